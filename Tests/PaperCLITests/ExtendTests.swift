// What a researcher does to go beyond the paper, through the real `paper` binary on the smoke versions of the
// experiments (PAPER_SMOKE=1) in scratch folders: a variant from the command line into its own folder, an export
// read back by NumPy, bad input refused in one line with nothing written, a sweep run on a real single-node Slurm
// (one task killed and re-submitted) that gathers byte for byte what the same sweep gathers with --local, and the
// PyTorch cross-check: without a Python that has torch it stops in one line and writes nothing; a corrupt
// paper/crosscheck.json is named and left as it was; with torch (the virtual environment `make crosscheck` creates)
// a small cross-check writes the file with its provenance, and refreshing one experiment keeps the other's entries.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("paper")
private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A scratch root with the report sources (which every command checks for), removed by the caller.
private func scratch() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-extend-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("paper"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: repo.appendingPathComponent("paper/src"), to: root.appendingPathComponent("paper/src"))
    return root
}

private struct Output { var status: Int32; var out: String; var err: String }

private func run(_ executable: URL, _ args: [String], env extra: [String: String] = [:]) throws -> Output {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["PAPER_SMOKE"] = "1"
    for (k, v) in extra { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Output(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}

private func paper(_ args: [String], root: URL, env: [String: String] = [:]) throws -> Output {
    try run(binary, args + ["--root", root.path, "--threads", "2"], env: env)
}

/// Relative path → bytes of every file under `dir`.
private func files(_ dir: URL, skipping skip: [String] = []) -> [String: Data] {
    var out: [String: Data] = [:]
    guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
    for case let u as URL in e where (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        let rel = String(u.path.dropFirst(dir.path.count))
        if !skip.contains(where: { rel.contains($0) }) { out[rel] = try? Data(contentsOf: u) }
    }
    return out
}

private let variant = ["--set", "n=32", "--set", "recipe.steps=100", "--seeds", "2"]

@Test(.timeLimit(.minutes(15)))
func aVariantRunWritesItsOwnFolderAndNeverTheBaselines() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let first = try paper(["run", "uniform"] + variant, root: root)
    #expect(first.status == 0, "\(first.err)")
    #expect(first.out.contains("1 trained, 0 cached"))
    let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
    #expect(runs.count == 1 && runs[0].hasPrefix("uniform-"))
    let folder = root.appendingPathComponent("runs/\(runs[0])")
    let written = files(folder)
    for f in ["/report.md", "/index.html", "/claims.json", "/config.json", "/data/uniform.json", "/figures/dims-per-feature.svg"] {
        #expect(written[f] != nil, "\(f) missing from the variant's folder")
    }
    let report = String(decoding: written["/report.md"] ?? Data(), as: UTF8.self)
    #expect(report.contains("| `n` | 24 | 32 |") && report.contains("| `recipe.steps` | 150 | 100 |"))
    // The paper's outputs are untouched.
    for baseline in ["figures", "paper/report.md", "paper/claims.json", "site"] {
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(baseline).path), "\(baseline) was written")
    }
    // Run again: nothing trains, and the folder is the same bytes.
    let again = try paper(["run", "uniform"] + variant, root: root)
    #expect(again.status == 0 && again.out.contains("0 trained, 1 cached"))
    #expect(files(folder) == written)
}

@Test(.timeLimit(.minutes(10)))
func badVariantInputIsOneLineAndWritesNothing() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let bad = root.appendingPathComponent("bad.json")
    try Data("{\"n\": 32,".utf8).write(to: bad)
    let manifest = root.appendingPathComponent("manifest.json")
    try Data("{\"format\": 1}".utf8).write(to: manifest)
    let before = files(root)
    let cases: [([String], String)] = [
        (["run", "uniform", "--set", "recipe.step=5"], "unknown key 'recipe.step' for uniform"),
        (["run", "uniform", "--set", "n=2.5"], "n=2.5: n takes an integer"),
        (["run", "uniform", "--set", "m=99"], "needs m < n"),
        (["run", "uniform", "--config", bad.path], "--config \(bad.path): not valid JSON"),
        (["run", "uniform", "--config", root.appendingPathComponent("none.json").path], "cannot read the file"),
        (["run", "nosuch"], "unknown experiment 'nosuch'"),
        (["export", "uniform", "--set", "bogus=1"], "unknown key 'bogus'"),
        (["config", "uniform", "--seeds", "0"], "--seeds 0"),
        (["sweep", "uniform", "--grid", "n=24,24", "--local"], "a value is repeated"),
        (["task", manifest.path, "0"], "the sweep manifest \(manifest.path) is malformed"),
        (["run", "uniform", "--out", root.appendingPathComponent("figures").path], "not under runs/ or exports/"),
        (["sweep", "uniform", "--status"], "this sweep has not been started"),
        (["sweep", "uniform"], "choose one of --local, --slurm and --status"),
        (["sweep", "uniform", "--local", "--max-running", "2"], "--partition and --max-running go with --slurm"),
    ]
    for (args, expected) in cases {
        let r = try paper(args, root: root)
        let lines = r.err.split(separator: "\n")
        #expect(r.status != 0, "\(args) succeeded")
        #expect(lines.count == 1 && lines[0].hasPrefix("Error: ") && r.err.contains(expected), "\(args): \(r.err)")
    }
    #expect(files(root) == before)
}

private let numpy: Bool = (try? run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import numpy"]).status) == 0

@Test(.timeLimit(.minutes(15)), .enabled(if: numpy, "python3 with numpy is not installed (make test installs it)"))
func anExportLoadsInNumPyAndItsWeightsGiveTheReportedNorms() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let out = root.appendingPathComponent("exports/mine")
    let r = try paper(["export", "uniform"] + variant + ["--out", out.path], root: root)
    #expect(r.status == 0, "\(r.err)")
    // NumPy alone reads every file the manifest lists with the shape it states, and the trained W of every main
    // sweep point gives the feature norms the results report for it.
    let script = """
        import json, sys, numpy as np
        d = sys.argv[1]
        m = json.load(open(d + "/manifest.json"))
        assert m["experiment"] == "uniform" and len(m["seeds"]) == 2, m["seeds"]
        for f in m["files"]:
            a = np.load(d + "/" + f["path"])
            assert list(a.shape) == f["shape"], (f["path"], a.shape, f["shape"])
        checked = 0
        for k in range(2):
            res = json.load(open(d + "/seed%d/results.json" % k))
            dims = np.load(d + "/seed%d/results/main.dims.npy" % k)
            assert dims.shape == (len(res["main"]), 32), dims.shape
            for p in res["main"]:
                inst = [i for i in m["instances"] if i["seed_index"] == k and i["settings"]["n"] == 32 and i["settings"]["m"] == p["m"]
                        and abs(np.load(d + "/" + i["folder"] + "/density.npy")[0] - 1 / p["inverseDensity"]) < 1e-6]
                assert len(inst) == 1, (k, p["inverseDensity"], len(inst))
                W = np.load(d + "/" + inst[0]["folder"] + "/W.npy")
                assert W.shape == (p["m"], 32) and W.dtype == np.float32
                norms = np.sqrt((W.astype(np.float64) ** 2).sum(axis=0))
                assert np.allclose(norms, p["norms"], rtol=1e-5, atol=1e-6), (norms[:3], p["norms"][:3])
                checked += 1
        print("checked", checked)
        """
    let py = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, out.path])
    #expect(py.status == 0, "\(py.err)")
    #expect(py.out.hasPrefix("checked 8"), "\(py.out)")
}

private let slurmNode = repo.appendingPathComponent("Tests/PaperCLITests/slurm-node.sh")
private let slurmAvailable = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld")
    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/munged")

@Test(.timeLimit(.minutes(20)),
      .enabled(if: slurmAvailable, "needs root and Debian's slurmctld, slurmd, slurm-client and munge (make test installs them)"))
func aSweepOnSlurmWithAKilledTaskResubmittedGathersWhatTheLocalSweepGathers() throws {
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no paper binary at \(binary.path)")
    let cluster = FileManager.default.temporaryDirectory.appendingPathComponent("tms-slurm-\(UUID().uuidString)")
    let start = try run(URL(fileURLWithPath: "/bin/bash"), [slurmNode.path, "start", cluster.path])
    defer {
        _ = try? run(URL(fileURLWithPath: "/bin/bash"), [slurmNode.path, "stop", cluster.path])
        try? FileManager.default.removeItem(at: cluster)
    }
    try #require(start.status == 0, "the Slurm node did not start: \(start.err)")
    let env = ["SLURM_CONF": cluster.appendingPathComponent("slurm.conf").path]
    // 2 variants × 3 seeds; the second variant's tasks train long enough to be killed while running.
    let sweep = ["sweep", "uniform", "--seeds", "3", "--grid", "recipe.steps=100,800"]
    let onSlurm = try scratch(), here = try scratch()
    defer { try? FileManager.default.removeItem(at: onSlurm); try? FileManager.default.removeItem(at: here) }

    let submitted = try paper(sweep + ["--slurm", "--max-running", "2"], root: onSlurm, env: env)
    try #require(submitted.status == 0, "\(submitted.err)")
    let job = try #require(submitted.out.split(separator: " ").drop { $0 != "array" }.dropFirst().first.map(String.init))
    func squeue() throws -> String {
        try run(URL(fileURLWithPath: "/usr/bin/env"), ["squeue", "-h", "-r", "-o", "%i %T"], env: env).out
    }
    // Wait for task 4 (a long one) to run, then kill it.
    var running = false
    for _ in 0..<600 where !running {
        running = try squeue().contains("\(job)_4 RUNNING")
        if !running { usleep(200_000) }
    }
    try #require(running, "task 4 never ran")
    #expect(try run(URL(fileURLWithPath: "/usr/bin/env"), ["scancel", "\(job)_4"], env: env).status == 0)
    // The other tasks finish; the gather job waits for ever on the failed array.
    for _ in 0..<900 { if try !squeue().contains("\(job)_") { break }; usleep(200_000) }
    let status = try paper(sweep + ["--status"], root: onSlurm, env: env)
    #expect(status.out.contains("done     5") && status.out.contains("missing  1: tasks 4"), "\(status.out)")
    #expect(status.out.contains("task 4 was submitted (job \(job)) but left no result"))

    // Re-submitting runs only task 4, then the gather.
    let again = try paper(sweep + ["--slurm"], root: onSlurm, env: env)
    #expect(again.status == 0 && again.out.contains("submitted 1 of 6 tasks"), "\(again.out) \(again.err)")
    for _ in 0..<1500 { if try squeue().isEmpty { break }; usleep(200_000) }
    let done = try paper(sweep + ["--status"], root: onSlurm, env: env)
    #expect(done.out.contains("done     6"), "\(done.out)")

    let local = try paper(sweep + ["--local"], root: here)
    #expect(local.status == 0, "\(local.err)")
    let a = files(onSlurm.appendingPathComponent("runs"), skipping: ["/logs/", "slurm.json", "task.sh"])
    let b = files(here.appendingPathComponent("runs"))
    #expect(a.keys.filter { $0.hasSuffix("/report.md") }.count == 2)
    #expect(a == b, "the gathered variants differ: \(Set(a.keys).symmetricDifference(b.keys).sorted()) \(a.keys.filter { a[$0] != b[$0] }.sorted())")
}

// MARK: - The PyTorch cross-check

private let torchPython = repo.appendingPathComponent(".venv-torch/bin/python")

/// `paper crosscheck` with `args`, the given Python and the repository's reference script.
private func crosscheckArgs(_ args: [String], python: String) -> [String] {
    ["crosscheck"] + args + ["--python", python, "--script", repo.appendingPathComponent("bench/torch_reference.py").path]
}

@Test func withoutPythonTheCrossCheckStopsInOneLineAndWritesNothing() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let r = try paper(crosscheckArgs(["--only", "intro"], python: "/nonexistent/python"), root: root)
    #expect(r.status != 0)
    let lines = r.err.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].contains("no Python at /nonexistent/python"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("paper/crosscheck.json").path))
}

@Test func aCorruptCrossCheckFileIsNamedAndKept() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let file = root.appendingPathComponent("paper/crosscheck.json")
    try Data("{ not json".utf8).write(to: file)
    let r = try paper(crosscheckArgs(["--only", "intro"], python: torchPython.path), root: root)
    #expect(r.status != 0)
    #expect(r.err.contains("paper/crosscheck.json is not a cross-check file"), "\(r.err)")
    #expect(try Data(contentsOf: file) == Data("{ not json".utf8))
}

@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: torchPython.path),
               "no Python with torch at .venv-torch/bin/python: `make crosscheck` creates it"),
      .timeLimit(.minutes(5)))
func aSmallCrossCheckWritesItsFileAndARefreshKeepsTheOtherEntries() throws {
    let root = try scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let first = try paper(crosscheckArgs(["--only", "intro", "--seeds", "2"], python: torchPython.path), root: root)
    #expect(first.status == 0, "\(first.err)")
    let url = root.appendingPathComponent("paper/crosscheck.json")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let provenance = try #require(json["provenance"] as? [String: Any])
    #expect((provenance["torch"] as? String)?.isEmpty == false)
    let experiments = try #require(json["experiments"] as? [[String: Any]])
    #expect(experiments.map { $0["id"] as? String } == ["intro"])
    #expect((experiments[0]["seeds"] as? [Any])?.count == 2)
    #expect((experiments[0]["models"] as? Int ?? 0) > 0)
    let claims = try #require(json["claims"] as? [[String: Any]])
    #expect(!claims.isEmpty && claims.allSatisfy { $0["experiment"] as? String == "intro" && $0["kind"] as? String == "trained" })
    let judged = claims.filter { $0["status"] as? String != "unchecked" }
    #expect(!judged.isEmpty && judged.allSatisfy { ($0["seeds"] as? [Any])?.count == 2 }, "every judged claim on both seeds")

    let second = try paper(crosscheckArgs(["--only", "basic20"], python: torchPython.path), root: root)
    #expect(second.status == 0, "\(second.err)")
    let after = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let ids = (after["experiments"] as? [[String: Any]] ?? []).map { $0["id"] as? String }
    #expect(ids == ["intro", "basic20"])
}
