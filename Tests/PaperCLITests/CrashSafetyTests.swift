// The real `paper` binary, killed with SIGKILL at several moments (training, rendering, report writing) and run
// again, ends with exactly the outputs of an uninterrupted run, no temporary file left and every cache entry
// valid; two builds started at once in one checkout both succeed with the same outputs. Uses the smoke versions
// of the experiments (PAPER_SMOKE=1), a few seconds per build.
import Experiments
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("paper")
private let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("paper/src")

private func scratchRoot() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-crash-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("paper"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: sources, to: root.appendingPathComponent("paper/src"))
    return root
}

private func start(_ root: URL, _ extra: [String] = []) throws -> Process {
    let p = Process()
    p.executableURL = binary
    p.arguments = ["build", "--root", root.path] + extra
    var env = ProcessInfo.processInfo.environment
    env["PAPER_SMOKE"] = "1"
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

/// Relative path → bytes of every output file (figures, paper, site), skipping the cache folder.
private func outputs(_ root: URL) -> [String: Data] {
    var out: [String: Data] = [:]
    for dir in ["figures", "paper", "site"] {
        let base = root.appendingPathComponent(dir)
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
        for case let u as URL in e where (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out[dir + String(u.path.dropFirst(base.path.count))] = try? Data(contentsOf: u)
        }
    }
    return out
}

private func temporaries(_ root: URL) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
    return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
}

@Test(.timeLimit(.minutes(15)))   // a guard against a hang, not a speed test: slower machines (Zen 3) and a busy suite need minutes
func killedBuildsRecoverWithTheOutputsOfAnUninterruptedRun() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let ref = try scratchRoot()
    defer { try? FileManager.default.removeItem(at: ref) }
    let clean = try start(ref)
    let t0 = Date()
    clean.waitUntilExit()
    let duration = Date().timeIntervalSince(t0)
    #expect(clean.terminationStatus == 0)
    let expected = outputs(ref)
    #expect(expected.keys.contains("paper/claims.json") && expected.keys.contains("site/index.html"))

    let work = try scratchRoot()

    defer { try? FileManager.default.removeItem(at: work) }
    for fraction in [0.05, 0.2, 0.45, 0.7, 0.9, 0.97] {
        let p = try start(work, ["--force"])
        usleep(useconds_t(duration * fraction * 1_000_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }
    let final = try start(work)
    final.waitUntilExit()
    #expect(final.terminationStatus == 0)
    #expect(outputs(work) == expected)
    #expect(temporaries(work).isEmpty)
    let cache = work.appendingPathComponent(".cache")
    for name in try FileManager.default.contentsOfDirectory(atPath: cache.path) where name.hasSuffix(".cache") {
        let data = try Data(contentsOf: cache.appendingPathComponent(name))
        if case .failure(let why) = ResultsCache.parse(data) { Issue.record("\(name): \(why)") }
    }
}

@Test(.timeLimit(.minutes(15)))   // a guard against a hang, not a speed test: slower machines (Zen 3) and a busy suite need minutes
func twoBuildsAtOnceBothSucceedWithTheSameOutputs() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let ref = try scratchRoot()
    defer { try? FileManager.default.removeItem(at: ref) }
    let one = try start(ref)
    one.waitUntilExit()
    let root = try scratchRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    let a = try start(root), b = try start(root)
    a.waitUntilExit(); b.waitUntilExit()
    #expect(a.terminationStatus == 0 && b.terminationStatus == 0)
    #expect(outputs(root) == outputs(ref))
}
