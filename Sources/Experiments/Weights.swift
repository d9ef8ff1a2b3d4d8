// Trained weights kept beside the cached results, and written out for NumPy.
//
// Every training run of the pipeline records its instances (Engine's WeightRecorder) and stores them in the
// cache as `<entry>.weights.cache`, under the same key as the results, so `paper export` never retrains what the
// cache holds. The payload is binary: an 8-byte little-endian length, a JSON manifest of the instances (their
// arrays' names and shapes, no values), then every array's values as little-endian float32 in manifest order.
//
// `NumPy.npy` writes one array in NumPy's .npy format (version 1.0), which `numpy.load` reads with nothing else.

import Engine
import Foundation

/// The binary encoding of a run's recorded instances.
public enum WeightsPayload {
    struct ArrayEntry: Codable { var name: String; var shape: [Int] }
    struct InstanceEntry: Codable {
        var kind: String; var seed: UInt64; var settings: [String: Double]; var arrays: [ArrayEntry]
    }

    public static func encode(_ instances: [RecordedInstance]) throws -> Data {
        let manifest = instances.map { i in
            InstanceEntry(kind: i.kind, seed: i.seed, settings: i.settings, arrays: i.arrays.map { ArrayEntry(name: $0.name, shape: $0.shape) })
        }
        let json = try canonicalJSON(manifest)
        var d = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(json)
        for i in instances {
            for a in i.arrays {
                a.values.withUnsafeBufferPointer { d.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!)
                    .assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
            }
        }
        return d
    }

    /// Decodes a payload, naming what is wrong with a malformed one.
    public static func decode(_ data: Data) throws -> [RecordedInstance] {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw PipelineError.io("weights payload: shorter than its header") }
        var len: UInt64 = 0
        for k in 0..<8 { len |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard len <= UInt64(bytes.count - 8) else { throw PipelineError.io("weights payload: manifest length \(len) exceeds the file") }
        let manifest: [InstanceEntry]
        do { manifest = try JSONDecoder().decode([InstanceEntry].self, from: Data(bytes[8..<(8 + Int(len))])) }
        catch { throw PipelineError.io("weights payload: its manifest does not decode (\(error))") }
        var off = 8 + Int(len)
        var out: [RecordedInstance] = []
        for i in manifest {
            var arrays: [RecordedArray] = []
            for a in i.arrays {
                guard a.shape.allSatisfy({ $0 >= 0 }) else { throw PipelineError.io("weights payload: \(a.name) has a negative dimension") }
                let count = a.shape.reduce(1, *)
                guard off + 4 * count <= bytes.count else { throw PipelineError.io("weights payload: \(a.name) runs past the end") }
                var values = [Float](repeating: 0, count: count)
                values.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[off..<(off + 4 * count)])) } }
                off += 4 * count
                arrays.append(RecordedArray(name: a.name, shape: a.shape, values: values))
            }
            out.append(RecordedInstance(kind: i.kind, seed: i.seed, settings: i.settings, arrays: arrays))
        }
        guard off == bytes.count else { throw PipelineError.io("weights payload: \(bytes.count - off) bytes left over") }
        return out
    }
}

/// NumPy's .npy format, version 1.0: magic, a header dict padded to a multiple of 64 bytes, then the data.
public enum NumPy {
    /// A little-endian array: `descr` "<f4", "<f8" or "<i8".
    public static func npy(descr: String, shape: [Int], bytes: Data) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var d = Data([0x93]); d.append(Data("NUMPY".utf8)); d.append(contentsOf: [1, 0])
        let n = UInt16(header.utf8.count)
        d.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        d.append(Data(header.utf8)); d.append(bytes)
        return d
    }

    public static func npy(_ values: [Float], shape: [Int]) -> Data {
        npy(descr: "<f4", shape: shape, bytes: values.withUnsafeBytes { Data($0) })
    }

    public static func npy(_ values: [Double], shape: [Int]) -> Data {
        npy(descr: "<f8", shape: shape, bytes: values.withUnsafeBytes { Data($0) })
    }

    public static func npy(_ values: [Int64], shape: [Int]) -> Data {
        npy(descr: "<i8", shape: shape, bytes: values.withUnsafeBytes { Data($0) })
    }
}
