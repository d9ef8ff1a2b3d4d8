// `paper bench`: times the training engine on the paper's workloads (the notebook recipe, fresh data every step,
// each instance at the density its sweep uses), measures the machine's ceiling (a 2048³ single-precision matrix
// product through OpenBLAS on all cores), and with --vs-torch times the PyTorch reference (bench/torch_reference.py)
// on the same workloads in the same run, each workload right before ours. GFLOP are counted as 12·B·m·n per instance-step.
// The large sparse model of the beyond-the-paper sections (`dense4096x256`, `dense16384x256`: E1's whole n = 4096,
// m = 256 recipe, 2000 steps, at each n's density, read from `DenseConfig`) counts only the product that cannot be
// skipped, Wᵀh for every feature of every sample: 2·B·n·m per step.
// `make bench` runs it; `make bench-torch` first creates the PyTorch environment.

import ArgumentParser
import COpenBLAS
import Engine
import Experiments
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the training engine on the paper's workloads.")
    @Option(help: "Steps to time per workload with our engine.") var steps = 100
    @Option(help: "Steps to time per workload with PyTorch.") var torchSteps = 20
    @Option(help: "Threads for both engines.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Also time the PyTorch reference on the same workloads.") var vsTorch = false
    @Option(help: "The Python with torch installed (make bench-torch creates it).") var python = ".venv-torch/bin/python"
    @Option(parsing: .upToNextOption, help: "Time only these workloads (names as in the table).") var only: [String] = []
    @Option(help: "Train every instance at this feature density instead of its sweep's (to see where the time goes).")
    var density: Float?
    @Option(help: "Write the PyTorch replay golden file for the tests to this path, and exit.") var torchGolden: String?

    struct Workload: Codable {
        let name: String
        let n, m, instances, batch: Int
        let importance: [Float]
        let densities: [Float]
    }

    /// The workloads of issue #4, each instance at the density of the sweep it comes from. Those that are an
    /// experiment's sweep read its config (intro, tms20 and phase2's density grid); the others are the PyTorch anchor's
    /// fixed shapes (../shared/reference/pytorch-anchor.md), kept as they are so that its timings stay comparable.
    static let workloads: [Workload] = {
        func geometric(_ count: Int, _ base: Double) -> [Float] {
            (0..<count).map { Float(pow(base, -Double($0) / Double(max(1, count - 1)))) }
        }
        func decay(_ n: Int, _ r: Double) -> [Float] { (0..<n).map { Float(pow(r, Double($0))) } }
        let intro = IntroConfig(), tms20 = BasicConfig.n20, phase = PhaseConfig.n2
        // Every (density, importance) cell of the n = 2 phase diagram, at equal importances (the cost does not depend
        // on them).
        let grid = phase.densities.flatMap { d in Array(repeating: Float(d), count: phase.importances.count) }
        return [
            Workload(name: "intro", n: intro.n, m: intro.m, instances: intro.sweepDensities.count, batch: intro.recipe.batch,
                     importance: intro.importance, densities: intro.sweepDensities),
            Workload(name: "tms20", n: tms20.n, m: tms20.m, instances: tms20.densities.count, batch: tms20.recipe.batch,
                     importance: tms20.importance, densities: tms20.densities),
            Workload(name: "phase2", n: phase.n, m: phase.m, instances: grid.count, batch: phase.recipe.batch, importance: [1, 1], densities: grid),
            Workload(name: "phase2b128", n: phase.n, m: phase.m, instances: grid.count, batch: 128, importance: [1, 1], densities: grid),
            Workload(name: "nb100", n: 100, m: 20, instances: 20, batch: 1024, importance: decay(100, 0.95), densities: geometric(20, 20)),
            Workload(name: "nb200", n: 200, m: 20, instances: 20, batch: 1024, importance: Array(repeating: 1, count: 200), densities: geometric(20, 20)),
            Workload(name: "dims400x40", n: 400, m: 30, instances: 40, batch: 1024, importance: Array(repeating: 1, count: 400), densities: geometric(40, 100)),
            Workload(name: "dims400x50b128", n: 400, m: 30, instances: 50, batch: 128, importance: Array(repeating: 1, count: 400), densities: geometric(50, 100)),
        ]
    }()

    /// The large sparse model at E1's recipe (batch, active features per sample) and m = 256, at E1's n = 4096 and
    /// n = 16,384 (issue #22); both run the n = 4096 arm's 2000 steps.
    static let largeWorkloads: [(name: String, n: Int, m: Int)] = [("dense4096x256", 4096, 256), ("dense16384x256", 16_384, 256)]

    func run() throws {
        if let path = torchGolden { return try writeGolden(path) }
        let known = Self.workloads.map(\.name) + Self.largeWorkloads.map(\.name)
        let unknown = only.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("unknown workload \(unknown.joined(separator: ", ")); known: \(known.joined(separator: ", "))")
        }
        if let density, !(density > 0 && density <= 1) {
            throw ValidationError("--density must be in (0, 1], got \(density)")
        }
        let chosen = Self.workloads.filter { only.isEmpty || only.contains($0.name) }.map { w in
            density.map { d in Workload(name: w.name, n: w.n, m: w.m, instances: w.instances, batch: w.batch,
                                        importance: w.importance, densities: Array(repeating: d, count: w.instances)) } ?? w
        }
        var torch: [String: Double] = [:]
        var rates: [Double] = []
        for w in chosen {
            // Each workload's PyTorch timing right before ours, so that both meet the same machine: on this shared
            // machine kind the speed drifts by tens of percent over minutes.
            if vsTorch { torch.merge(try timeTorch([w])) { $1 } }
            let specs = (0..<w.instances).map { k in
                ToyModelSpec(n: w.n, m: w.m, activation: .relu, importance: w.importance, density: w.densities[k], seed: UInt64(k))
            }
            _ = try Trainer.train(specs, recipe: TrainingRecipe(steps: 2, batch: w.batch), threads: threads)   // warm-up
            // The median of three timings: this machine kind shares its cores, and single timings vary by ±30 %.
            var runs: [Double] = []
            for _ in 0..<3 {
                let t0 = Date()
                _ = try Trainer.train(specs, recipe: TrainingRecipe(steps: steps, batch: w.batch, logEvery: steps), threads: threads)
                runs.append(Double(steps) / Date().timeIntervalSince(t0))
            }
            rates.append(runs.sorted()[1])
        }
        // The large model's dense start (b = 0, so about half of all outputs are positive and take part in the
        // backward pass) is slower per step than its sparse rest, so the whole recipe is timed: 2000 steps. Three
        // times, each run followed by its own ceiling measurement: on this shared machine kind the speed of both
        // drifts by up to a fifth over minutes, and a ceiling measured minutes later would compare two machines. The
        // run with the median ratio is reported.
        let dense = DenseConfig()
        var largeRates: [(name: String, n: Int, m: Int, perSecond: Double, ceiling: Double)] = []
        for w in Self.largeWorkloads where only.isEmpty || only.contains(w.name) {
            let p = Array(repeating: density ?? dense.activePerSample / Float(w.n), count: w.n)
            let spec = LargeModelSpec(n: w.n, m: w.m, probabilities: p, seed: 1)
            let dirs = LargeTrainer.initialDirections(spec)
            let recipe = dense.recipe(n: 4096, exposures: dense.exposures)   // E1's n = 4096 arm: 2000 steps, for both
            var warmUp = recipe
            warmUp.steps = 2; warmUp.warmup = 1
            _ = try LargeTrainer.train(spec, recipe: warmUp, threads: threads, directions: dirs)
            var runs: [(perSecond: Double, ceiling: Double)] = []
            for _ in 0..<3 {
                let t0 = Date()
                _ = try LargeTrainer.train(spec, recipe: recipe, threads: threads, directions: dirs)
                let perSecond = Double(recipe.steps) / Date().timeIntervalSince(t0)
                runs.append((perSecond, try sgemmGFLOPS()))
                Thread.sleep(forTimeInterval: 1)   // OpenBLAS's worker threads spin for a while after a product
            }
            let median = runs.sorted { $0.perSecond / $0.ceiling < $1.perSecond / $1.ceiling }[1]
            largeRates.append((w.name, w.n, w.m, median.perSecond, median.ceiling))
        }
        // Last, so that OpenBLAS's spinning worker threads cannot slow the paper workloads' timings (each large run's
        // own ceiling is followed by a second's pause instead). This one is the table's header and the small rows'.
        let ceiling = try sgemmGFLOPS()
        var rows: [[String: Any]] = []
        /// One row of the table (and of --json); `flop` is the work counted per step.
        func row(_ name: String, n: Int, m: Int, instances: Int, batch: Int, perSecond: Double, flop: Double, torch t: Double?,
                 against ceiling: Double = ceiling) -> [String: Any] {
            let gflops = flop * perSecond / 1e9
            return ["name": name, "n": n, "m": m, "instances": instances, "batch": batch,
                    "steps_per_s": perSecond, "ms_per_step": 1000 / perSecond, "gflops": gflops,
                    "pct_of_sgemm": 100 * gflops / ceiling, "sgemm_gflops": ceiling,
                    "torch_steps_per_s": t.map { $0 as Any } ?? NSNull(),
                    "speedup_vs_torch": t.map { perSecond / $0 as Any } ?? NSNull()]
        }
        for (w, perSecond) in zip(chosen, rates) {
            rows.append(row(w.name, n: w.n, m: w.m, instances: w.instances, batch: w.batch, perSecond: perSecond,
                            flop: 12.0 * Double(w.batch * w.m * w.n * w.instances), torch: torch[w.name]))
        }
        for w in largeRates {
            let batch = dense.batch
            rows.append(row(w.name, n: w.n, m: w.m, instances: 1, batch: batch, perSecond: w.perSecond,
                            flop: 2.0 * Double(batch * w.n * w.m), torch: nil, against: w.ceiling))
        }
        if json {
            let object: [String: Any] = ["sgemm_gflops": ceiling, "sgemm_kernel": openBLASCore(), "cpu": machineName(),
                                         "threads": threads, "kernel_width": KernelWidth.wide ? 16 : 8, "workloads": rows]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("processor: \(machineName()), \(threads) threads, engine on SIMD\(KernelWidth.wide ? 16 : 8); sgemm 2048³ ceiling "
              + "\(String(format: "%.1f", ceiling)) GFLOP/s (OpenBLAS \(openBLASCore()) kernel)")
        print("workload            n    m  inst  batch    steps/s   ms/step  GFLOP/s  %sgemm   torch/s  speedup")
        for r in rows {
            let t = (r["torch_steps_per_s"] as? Double).map { String(format: "%9.1f", $0) } ?? "        —"
            let x = (r["speedup_vs_torch"] as? Double).map { String(format: "%7.1f×", $0) } ?? "       —"
            print((r["name"] as! String).padding(toLength: 15, withPad: " ", startingAt: 0)
                + String(format: "%5d %4d %5d %6d %10.1f %9.3f %8.2f %6.1f%%", r["n"] as! Int, r["m"] as! Int,
                         r["instances"] as! Int, r["batch"] as! Int, r["steps_per_s"] as! Double, r["ms_per_step"] as! Double,
                         r["gflops"] as! Double, r["pct_of_sgemm"] as! Double) + " " + t + " " + x)
        }
        if !largeRates.isEmpty {
            print("dense…: the median of three whole-recipe runs, each against the ceiling measured right after it ("
                  + largeRates.map { "\($0.name) \(String(format: "%.1f", $0.ceiling))" }.joined(separator: ", ") + " GFLOP/s)")
        }
    }

    /// The best of ten 2048³ SGEMMs through OpenBLAS on all cores, in GFLOP/s. A few entries of the product are
    /// checked against sums in Double, so that a kernel computing wrong results cannot set the ceiling.
    func sgemmGFLOPS() throws -> Double {
        let n = 2048
        var a = [Float](repeating: 0, count: n * n), b = a, c = a
        var rng = Xoshiro(seed: 1)
        for i in a.indices { a[i] = rng.unitFloat(); b[i] = rng.unitFloat() }
        // The best of ten timings (after one warm-up): a ceiling is what the machine can do, and on a shared machine
        // single timings run up to twice slower.
        var best = Double.infinity
        for k in 0..<11 {
            let t0 = Date()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            if k > 0 { best = min(best, Date().timeIntervalSince(t0)) }
        }
        for (i, j) in [(0, 0), (1, 2047), (1000, 17), (2047, 2047), (513, 1029)] {
            let exact = (0..<n).reduce(0.0) { $0 + Double(a[i * n + $1]) * Double(b[$1 * n + j]) }
            guard abs(Double(c[i * n + j]) - exact) <= 1e-4 * exact else {
                throw ValidationError("OpenBLAS's sgemm (\(openBLASCore())) gave C[\(i)][\(j)] = \(c[i * n + j]), expected \(exact): "
                                      + "its kernel computes wrong results on this processor; set OPENBLAS_CORETYPE=Haswell")
            }
        }
        return 2 * pow(Double(n), 3) / best / 1e9
    }

    /// The kernel family OpenBLAS chose for this processor (or was told to use by OPENBLAS_CORETYPE).
    func openBLASCore() -> String { String(cString: openblas_get_corename()) }

    func python(_ args: [String], input: Data) throws -> Data {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ValidationError("no Python with torch at \(python): run `make bench-torch`, which creates it")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["bench/torch_reference.py"] + args
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe
        try p.run()
        inPipe.fileHandleForWriting.write(input)
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("the PyTorch reference failed (exit \(p.terminationStatus))") }
        return out
    }

    func timeTorch(_ chosen: [Workload]) throws -> [String: Double] {
        let out = try python(["time", "--steps", String(torchSteps), "--threads", String(threads)],
                             input: try JSONEncoder().encode(chosen))
        return try JSONDecoder().decode([String: Double].self, from: out)
    }

    func writeGolden(_ path: String) throws {
        let c = ReplayCase.standard()
        struct Reply: Codable { var losses: [Double]; var torch: String }
        let reply = try JSONDecoder().decode(Reply.self, from: try python(["replay"], input: try JSONEncoder().encode(c)))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try enc.encode(ReplayGolden(replayCase: c, torchLosses: reply.losses, torchVersion: reply.torch))
            .write(to: URL(fileURLWithPath: path), options: .atomic)
        print("wrote \(path): \(reply.losses.count) PyTorch losses (torch \(reply.torch))")
    }
}
