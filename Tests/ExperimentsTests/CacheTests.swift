// The cache uses an entry only under the exact key with a valid checksum; writes are atomic.
import Foundation
import Testing
@testable import Experiments

@Test func storedResultsAreFoundUnderTheirKey() throws {
    let dirRoot = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: dirRoot) }
    let dir = dirRoot.appendingPathComponent(".cache")
    let cache = ResultsCache(directory: dir)
    #expect(cache.lookup(id: "a", key: "k1") == .missing)
    try cache.store(id: "a", key: "k1", payload: Data("{\"x\":1}".utf8))
    #expect(cache.lookup(id: "a", key: "k1") == .hit(Data("{\"x\":1}".utf8)))
    #expect(cache.lookup(id: "a", key: "k2") == .stale(cachedKey: "k1"))
}

@Test func corruptOrTruncatedEntriesAreDetectedAndNamed() throws {
    let dirRoot = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: dirRoot) }
    let dir = dirRoot.appendingPathComponent(".cache")
    let cache = ResultsCache(directory: dir)
    try cache.store(id: "a", key: "k", payload: Data("{\"weights\":[1,2,3]}".utf8))
    let good = try Data(contentsOf: cache.url(for: "a"))

    var flipped = good
    flipped[flipped.count - 3] ^= 0x01
    try flipped.write(to: cache.url(for: "a"))
    #expect(cache.lookup(id: "a", key: "k") == .corrupt("checksum mismatch"))

    try good.prefix(good.count - 4).write(to: cache.url(for: "a"))
    guard case .corrupt(let why) = cache.lookup(id: "a", key: "k") else { Issue.record("truncation not detected"); return }
    #expect(why.contains("payload"))

    try Data("tms-cache 0\nk\nfnv1a64 0 bytes 0\n".utf8).write(to: cache.url(for: "a"))
    #expect(cache.lookup(id: "a", key: "k") == .corrupt("not a cache file of format 1"))

    try Data("garbage".utf8).write(to: cache.url(for: "a"))
    #expect(cache.lookup(id: "a", key: "k") == .corrupt("truncated header"))
}

@Test func randomBytesNeverParseAsAnEntry() {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
        let n = Int.random(in: 0..<200, using: &rng)
        let bytes = Data((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        if case .success = ResultsCache.parse(bytes) { Issue.record("random bytes parsed as a cache entry") }
    }
}

@Test func atomicWritesLeaveNoTemporaryFilesAndSkipUnchangedContent() throws {
    let dir = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = dir.appendingPathComponent("out/a.txt")
    #expect(try Files.write("one", to: f))
    #expect(try !Files.write("one", to: f))
    #expect(try Files.write("two", to: f))
    #expect(try String(contentsOf: f, encoding: .utf8) == "two")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path) == ["a.txt"])
}

@Test func aSecondLockOnTheSameFileIsRefused() throws {
    let dir = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: dir) }
    let lock = try FileLock(dir.appendingPathComponent("lock"))
    // flock locks belong to the open file description, so a second open in this process conflicts too.
    #expect(throws: PipelineError.self) { try FileLock(dir.appendingPathComponent("lock")) }
    lock.release()
    _ = try FileLock(dir.appendingPathComponent("lock"))
}

@Test func mutatedEntriesAreNeverUsedAsValid() throws {
    // Flip, drop or insert bytes in a valid entry: the lookup must never return a hit with other bytes.
    let payload = Data(#"{"W":[0.5,-0.25,1e-3],"b":[0,0.5]}"#.utf8)
    let good = ResultsCache.encode(key: "{\"experiment\":\"x\"}", payload: payload)
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<5000 {
        var bytes = [UInt8](good)
        let i = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
        case 1: bytes.remove(at: i)
        default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
        }
        if case .success(let entry) = ResultsCache.parse(Data(bytes)) {
            #expect(entry.payload == payload && entry.key == "{\"experiment\":\"x\"}", "a mutated entry parsed as valid")
        }
    }
}
