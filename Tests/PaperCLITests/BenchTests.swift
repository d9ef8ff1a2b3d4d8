// `paper bench --json`: the object issue #4 asks for, from the real binary on two tiny workloads (a few steps; the
// timings themselves are not tested: benchmarks are a command, not timed tests), and an unknown workload refused.
import Foundation
import Testing

private let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("paper")

private func runBench(_ args: [String]) throws -> (status: Int32, out: Data, err: Data) {
    let p = Process()
    p.executableURL = binary
    p.arguments = ["bench"] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, o, e)
}

@Test func benchJSONHasTheCeilingAndOneConsistentRowPerWorkload() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let r = try runBench(["--only", "intro", "tms20", "--steps", "3", "--threads", "2", "--json"])
    #expect(r.status == 0, "\(String(decoding: r.err, as: UTF8.self))")
    let object = try #require(try JSONSerialization.jsonObject(with: r.out) as? [String: Any])
    let ceiling = try #require(object["sgemm_gflops"] as? Double)
    #expect(ceiling > 0)
    #expect((object["sgemm_kernel"] as? String)?.isEmpty == false)
    #expect([8, 16].contains(object["kernel_width"] as? Int ?? 0))
    let rows = try #require(object["workloads"] as? [[String: Any]])
    #expect(rows.map { $0["name"] as? String } == ["intro", "tms20"])
    for row in rows {
        for key in ["name", "n", "m", "instances", "batch", "steps_per_s", "ms_per_step", "gflops", "pct_of_sgemm",
                    "torch_steps_per_s", "speedup_vs_torch"] {
            #expect(row[key] != nil, "\(key) missing")
        }
        let n = try #require(row["n"] as? Int), m = try #require(row["m"] as? Int)
        let inst = try #require(row["instances"] as? Int), batch = try #require(row["batch"] as? Int)
        let rate = try #require(row["steps_per_s"] as? Double)
        #expect(rate > 0)
        // The FLOP count, 12·B·m·n per instance-step, and the derived columns.
        let gflops = 12 * Double(batch * m * n * inst) * rate / 1e9
        #expect(abs((row["gflops"] as? Double ?? 0) - gflops) <= 1e-9 * gflops)
        #expect(abs((row["ms_per_step"] as? Double ?? 0) - 1000 / rate) <= 1e-9 * 1000 / rate)
        #expect(abs((row["pct_of_sgemm"] as? Double ?? 0) - 100 * gflops / ceiling) <= 1e-9 * 100 * gflops / ceiling)
        // Without --vs-torch the PyTorch fields are null.
        #expect(row["torch_steps_per_s"] is NSNull && row["speedup_vs_torch"] is NSNull)
    }
}

@Test func benchRefusesAnUnknownWorkloadByName() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let r = try runBench(["--only", "nb300"])
    #expect(r.status != 0)
    let message = String(decoding: r.err + r.out, as: UTF8.self)
    #expect(message.contains("unknown workload nb300"))
}
