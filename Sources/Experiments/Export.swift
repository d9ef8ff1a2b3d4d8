// `paper export`: an experiment's (or a variant's) trained weights, metrics and figure data as NumPy files, which
// `numpy.load` reads with nothing else installed, and a JSON manifest (config, seeds, code hashes, every file's shape).
//
//   exports/<experiment>-<hash>/
//     manifest.json
//     seed<k>/instances/<NNNN>-<kind>/<array>.npy     every trained instance (W, b, …), settings in the manifest
//     seed<k>/results/<path>.npy                      every numeric array of the results (lists of records stacked)
//     seed<k>/results.json                            the results as the figures and claims read them
//
// Weights come from the cache (`<entry>.weights.cache`, kept by every training run); a seed whose weights are not
// there is retrained.

import Engine
import Foundation

extension Pipeline {
    /// What an export wrote.
    public struct Export: Sendable {
        public var folder: URL
        public var files: Int
        public var instances: Int
        public var trained: Int
    }

    public func exportFolder(_ v: AnyExperiment) -> URL { paths.root.appendingPathComponent("exports/\(v.id)-\(v.runHash)") }

    /// Writes the export of every seed of `v`.
    public func export(_ v: AnyExperiment, out: URL? = nil, command: String, threads: Int) throws -> Export {
        let folder = out ?? exportFolder(v)
        try checkRunFolder(folder)
        try validate([v])
        let cache = ResultsCache(directory: paths.cache)
        let ctx = RunContext(threads: threads, log: log)
        var perSeed: [(results: Data, weights: [RecordedInstance])] = []
        var trained = 0
        do {
            for k in v.keys.indices {
                if case .hit(let r) = cache.lookup(v, seed: k), case .hit(let w) = cache.lookup(id: v.weightsID(k), key: v.keys[k]),
                   let instances = try? WeightsPayload.decode(w) {
                    perSeed.append((r, instances)); continue
                }
                log("\(v.id) seed \(k + 1) of \(v.keys.count): no cached weights under the current key; training")
                let recorder = WeightRecorder()
                let d: Data
                do { d = try WeightRecorder.$current.withValue(recorder) { try v.run(seed: k, ctx) } }
                catch { throw PipelineError.experimentFailed(v.id, "\(error)") }
                try cache.store(id: v.weightsID(k), key: v.keys[k], payload: try WeightsPayload.encode(recorder.instances))
                try cache.store(id: v.cacheID(k), key: v.keys[k], payload: d)
                perSeed.append((d, recorder.instances)); trained += 1
            }
        }
        // Every file is made in memory before anything is written.
        var files: [(path: String, data: Data)] = []
        var entries: [JSONValue] = []
        func add(_ path: String, _ data: Data, _ shape: [Int], _ dtype: String, _ what: String) {
            files.append((path, data))
            entries.append(.object(["path": .string(path), "shape": .array(shape.map { .int(Int64($0)) }),
                                    "dtype": .string(dtype), "what": .string(what)]))
        }
        var instanceList: [JSONValue] = []
        for (k, seed) in perSeed.enumerated() {
            let dir = "seed\(k)"
            for (j, inst) in seed.weights.enumerated() {
                let sub = "\(dir)/instances/\(String(format: "%04d", j))-\(inst.kind)"
                for a in inst.arrays { add("\(sub)/\(a.name).npy", NumPy.npy(a.values, shape: a.shape), a.shape, "float32", "\(inst.kind) instance \(j): \(a.name)") }
                instanceList.append(.object([
                    "seed_index": .int(Int64(k)), "folder": .string(sub), "kind": .string(inst.kind), "seed": .uint(inst.seed),
                    "settings": .object(inst.settings.mapValues { .double($0) }),
                    "arrays": .array(inst.arrays.map { .string($0.name) }),
                ]))
            }
            files.append(("\(dir)/results.json", seed.results))
            let tree = try JSONDecoder().decode(JSONValue.self, from: seed.results)
            for (path, array) in numericArrays(tree) {
                add("\(dir)/results/\(path).npy", NumPy.npy(array.values, shape: array.shape), array.shape, "float64", "results: \(path)")
            }
        }
        let manifest: JSONValue = .object([
            "experiment": .string(v.id), "title": .string(v.title), "config_hash": .string(v.configHash), "command": .string(command),
            "commit": commitDescription().map { .string($0) } ?? .null,
            "seeds": .array(v.seeds.map { .uint($0) }),
            "cache_keys": .array(try v.keys.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }),
            "config": v.configTree, "instances": .array(instanceList), "files": .array(entries),
        ])
        files.append(("manifest.json", try canonicalJSON(manifest, pretty: true)))
        for f in files { try Files.write(f.data, to: folder.appendingPathComponent(f.path)) }
        return Export(folder: folder, files: files.count, instances: instanceList.count, trained: trained)
    }
}

/// An n-dimensional array of reals.
struct NDArray: Equatable {
    var shape: [Int]
    var values: [Double]
}

/// Every numeric array in a results tree, by dotted path. A list of numbers is 1-D; a list of equal-shaped arrays
/// stacks into one more dimension; a list of records gives, for each field every record has, the field stacked
/// over the records (`main.dims`: records × features). Anything else (text, ragged lists) stays in results.json.
func numericArrays(_ tree: JSONValue) -> [(String, NDArray)] {
    var out: [(String, NDArray)] = []
    func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return s == "nan" ? .nan : s == "inf" ? .infinity : s == "-inf" ? -.infinity : nil
        default: return nil
        }
    }
    func array(_ v: JSONValue) -> NDArray? {
        if let x = number(v) { return NDArray(shape: [], values: [x]) }
        guard case .array(let items) = v, !items.isEmpty else { return nil }
        let parts = items.map(array)
        guard let first = parts.first ?? nil, parts.allSatisfy({ $0?.shape == first.shape }) else { return nil }
        return NDArray(shape: [items.count] + first.shape, values: parts.flatMap { $0!.values })
    }
    func walk(_ v: JSONValue, _ path: String) {
        switch v {
        case .object(let o):
            for k in o.keys.sorted() { walk(o[k]!, path.isEmpty ? k : path + "." + k) }
        case .array(let items):
            if let a = array(v) { out.append((path, a)); return }
            // A list of records: each field stacked over the records, when every record has it.
            let records = items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
            if records.count == items.count, let keys = records.first?.keys {
                var stacked = false
                for k in keys.sorted() where records.allSatisfy({ $0[k] != nil }) {
                    if let a = array(.array(records.map { $0[k]! })) { out.append((path + "." + k, a)); stacked = true }
                    else { walk(.array(records.map { $0[k]! }), path + "." + k) }
                }
                if stacked || !keys.isEmpty { return }
            }
            for (i, x) in items.enumerated() { walk(x, "\(path).\(i)") }
        default:
            // A scalar metric: a 0-d array.
            if !path.isEmpty, let x = number(v) { out.append((path, NDArray(shape: [], values: [x]))) }
        }
    }
    walk(tree, "")
    return out
}
