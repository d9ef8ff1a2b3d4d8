// The results cache: one file per experiment in .cache/, holding the key it was computed under (experiment id,
// code versions, full config), a checksum and the results as JSON. An entry is used only when its key equals
// the current key byte for byte and its checksum holds; anything else is reported by name and recomputed.
//
// File layout (text):
//   tms-cache <format>
//   <key: one line of canonical JSON>
//   fnv1a64 <16 hex digits> bytes <payload length>
//   <payload: the results as JSON>

import Engine
import Foundation

public struct ResultsCache {
    public static let format = 1
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public func url(for id: String) -> URL { directory.appendingPathComponent("\(id).cache") }

    /// What a lookup found.
    public enum Lookup: Equatable {
        case hit(Data)
        case missing
        /// The entry exists but was computed under another key (config or code changed).
        case stale(cachedKey: String)
        /// The entry is unreadable: wrong format, truncated, or its checksum fails.
        case corrupt(String)
    }

    /// Looks up the results stored for `id` under `key`.
    public func lookup(id: String, key: String) -> Lookup {
        guard let data = try? Data(contentsOf: url(for: id)) else { return .missing }
        switch Self.parse(data) {
        case .failure(let why): return .corrupt(why.description)
        case .success(let entry):
            return entry.key == key ? .hit(entry.payload) : .stale(cachedKey: entry.key)
        }
    }

    /// Looks up the results stored for independent seed `k` of an experiment under its current key.
    public func lookup(_ e: AnyExperiment, seed k: Int) -> Lookup { lookup(id: e.cacheID(k), key: e.keys[k]) }

    /// Stores results atomically.
    public func store(id: String, key: String, payload: Data) throws {
        try Files.write(Self.encode(key: key, payload: payload), to: url(for: id))
    }

    static func checksum(_ key: String, _ payload: Data) -> String {
        var bytes = Array(key.utf8); bytes.append(0x0A); bytes.append(contentsOf: payload)
        let h = fnv1a64(bytes)
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func encode(key: String, payload: Data) -> Data {
        precondition(!key.contains("\n"), "a cache key is one line")
        var d = Data("tms-cache \(format)\n\(key)\nfnv1a64 \(checksum(key, payload)) bytes \(payload.count)\n".utf8)
        d.append(payload)
        return d
    }

    /// Parses an entry, naming what is wrong with it.
    public static func parse(_ data: Data) -> Result<(key: String, payload: Data), CacheError> {
        var lines: [Data] = []
        var start = data.startIndex
        while lines.count < 3 {
            guard let nl = data[start...].firstIndex(of: 0x0A) else { return .failure(.init("truncated header")) }
            lines.append(data[start..<nl])
            start = nl + 1
        }
        let payload = Data(data[start...])
        guard let magic = String(data: lines[0], encoding: .utf8), magic == "tms-cache \(format)" else {
            return .failure(.init("not a cache file of format \(format)"))
        }
        guard let key = String(data: lines[1], encoding: .utf8) else { return .failure(.init("key is not UTF-8")) }
        guard let sumLine = String(data: lines[2], encoding: .utf8) else { return .failure(.init("bad checksum line")) }
        let parts = sumLine.split(separator: " ")
        guard parts.count == 4, parts[0] == "fnv1a64", parts[2] == "bytes", let n = Int(parts[3]) else {
            return .failure(.init("bad checksum line"))
        }
        guard n == payload.count else { return .failure(.init("payload is \(payload.count) bytes, header says \(n)")) }
        guard String(parts[1]) == checksum(key, payload) else { return .failure(.init("checksum mismatch")) }
        return .success((key, payload))
    }
}

/// Why a cache entry could not be used.
public struct CacheError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ s: String) { description = s }
}
