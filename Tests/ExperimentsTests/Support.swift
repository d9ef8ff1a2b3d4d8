// Helpers for the pipeline tests: a temporary repository root, and a cheap experiment that counts its runs.
import Engine
import Foundation
import Plot
import Report
@testable import Experiments

/// A fresh folder with paper/src holding the given report sources.
func temporaryRoot(sources: [String: String]) throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-test-\(UUID().uuidString)")
    let src = root.appendingPathComponent("paper/src")
    try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
    for (name, text) in sources { try text.write(to: src.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return root
}

/// Every file under `dir` (relative path → bytes), skipping the cache.
func snapshot(_ dir: URL) -> [String: Data] {
    var out: [String: Data] = [:]
    let fm = FileManager.default
    guard let e = fm.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
    for case let u as URL in e where !u.path.contains("/.cache/") {
        if (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out[String(u.path.dropFirst(dir.path.count))] = try? Data(contentsOf: u)
        }
    }
    return out
}

final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func hit() { lock.lock(); n += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return n }
}

/// An experiment whose result is its config value; it counts how often it really runs.
struct Counting: Experiment {
    var smoke: Self { self }
    struct Config: Codable, Sendable { var value: Double }
    struct Results: Codable, Sendable { var value: Double }
    let id: String
    var config: Config
    let counter: RunCounter
    var title: String { "counting \(id)" }
    var section: String { "§0" }
    var version: Int { 1 }
    var seed: UInt64 { 7 }
    var sourceFiles: [String] { [] }
    var independentSeeds: Int { 1 }
    func reseeded(_ seed: UInt64) -> Counting { self }

    func validate() throws {
        guard config.value >= 0 else { throw EngineError.invalidConfig("value must be non-negative, got \(config.value)") }
    }
    func run(_ context: RunContext) throws -> Results { counter.hit(); return Results(value: config.value) }
    func figures(_ r: Results) -> [FigureOutput] {
        [FigureOutput(name: "\(id)-fig", caption: "a bar of length \(r.value)",
                      drawing: Drawing(width: 60, height: 20) { c in c.fill(Rect(0, 0, 10 * r.value, 20), .black) })]
    }
    func claims(_ r: Results) -> [Claim] {
        [.within("T-\(id)", section: "§0", "value near 1", paper: 1, ours: r.value, tolerance: 0.5, reason: "test")]
    }
}

/// Each claim's status by id (the first claim of an id), as `experiment.claims(results)` judges one seed's results:
/// what the rule tests assert on hand-made results.
func verdicts<E: Experiment>(_ e: E, _ r: E.Results) -> [String: String] {
    Dictionary(e.claims(r).map { ($0.id, $0.status.rawValue) }, uniquingKeysWith: { first, _ in first })
}
