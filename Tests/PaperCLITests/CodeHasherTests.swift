// The CodeHasher binary (run by the build plugin): comments and an experiment's smoke config, after
// `// MARK: - Smoke`, are left out of a file's hash; any other change is in it.
import Foundation
import Testing

private let hasher = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("CodeHasher")

/// The hash CodeHasher gives `text` as Sources/Experiments/X.swift.
private func hash(_ text: String) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-test-hasher-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let dir = root.appendingPathComponent("Sources/Experiments")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try text.write(to: dir.appendingPathComponent("X.swift"), atomically: true, encoding: .utf8)
    let out = root.appendingPathComponent("out.swift")
    let p = Process()
    p.executableURL = hasher
    p.arguments = [out.path, root.appendingPathComponent("Sources").path, dir.appendingPathComponent("X.swift").path]
    try p.run(); p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let table = try String(contentsOf: out, encoding: .utf8)
    let line = try #require(table.split(separator: "\n").first { $0.contains("\"Experiments/X.swift\"") })
    return String(line.split(separator: "\"")[3])
}

@Test func theSmokeConfigAndCommentsAreLeftOutOfTheCodeHashAndCodeIsNot() throws {
    try #require(FileManager.default.isExecutableFile(atPath: hasher.path), "no CodeHasher at \(hasher.path)")
    let code = "struct X {\n    var steps = 100\n}\n"
    let smoke = "\n// MARK: - Smoke (left out)\n\nextension X {\n    var smoke: X { var e = self; e.steps = 5; return e }\n}\n"
    let base = try hash(code + smoke)
    #expect(try hash(code + smoke.replacingOccurrences(of: "e.steps = 5", with: "e.steps = 7")) == base)
    #expect(try hash("// what X is\n" + code + smoke) == base)
    #expect(try hash(code.replacingOccurrences(of: "100", with: "101") + smoke) != base)
    // Without the mark, the same lines count.
    #expect(try hash(code + smoke.replacingOccurrences(of: "// MARK: - Smoke", with: "// Smoke")) != base)
}
