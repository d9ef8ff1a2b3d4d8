// The `paper` command: a thin layer over the Experiments pipeline.
//   paper build [--force] [--threads N]     run every experiment (cached), render figures, write the report
//   paper run <experiment> [--set k=v]…     run an experiment (or a variant) into runs/<experiment>-<hash>/
//   paper config <experiment>               every config field with its default and doc line (JSON)
//   paper export <experiment> [--set k=v]…  weights, metrics and figure data as NumPy .npy with a manifest
//   paper sweep <experiment> --grid k=a,b…  variants × seeds as tasks: --local, --slurm (one job array) or --status
//   paper task <manifest> <i> / gather <manifest>   one sweep task / the sweep's gather step (what Slurm runs)
//   paper list                              the experiments and whether their results are cached
//   paper explain <experiment…>             why an experiment would or would not be retrained
//   paper crosscheck [--only NAME…]         the PyTorch reference retrains the covered experiments: paper/crosscheck.json

import ArgumentParser
import Experiments
import Foundation

@main
struct Paper: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "paper",
        abstract: "Reproduce 'Toy Models of Superposition' (Elhage et al., 2022) and write the checked report.",
        subcommands: [Build.self, Run.self, ConfigCommand.self, Export.self, Sweep.self, TaskCommand.self, Gather.self, List.self, Explain.self, Check.self, Accept.self, Publish.self, Bench.self, CrossCheck.self],
        defaultSubcommand: Build.self)
}

/// Options every command shares.
struct Common: ParsableArguments {
    @Option(help: "The repository root (holding paper/src).")
    var root: String = FileManager.default.currentDirectoryPath

    @Option(help: "Threads to train on (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard FileManager.default.fileExists(atPath: root + "/paper/src") else {
            throw ValidationError("--root \(root) has no paper/src folder; run from the repository root")
        }
    }

    /// The pipeline over every experiment, or over their smoke versions when PAPER_SMOKE=1 (tests only).
    var pipeline: Pipeline {
        get throws {
            let smoke = ProcessInfo.processInfo.environment["PAPER_SMOKE"] == "1"
            if smoke && FileManager.default.fileExists(atPath: root + "/Package.swift") {
                throw ValidationError("PAPER_SMOKE=1 runs meaningless quick versions of the experiments; it refuses to write into the repository (\(root)); pass --root with a scratch folder")
            }
            return Pipeline(experiments: smoke ? Registry.smoke : Registry.all, paths: Paths(root: URL(fileURLWithPath: root)),
                            log: progress)
        }
    }
}

/// Writes a progress line straight to standard output, so that a log file or pipe sees it as it happens.
@Sendable func progress(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every experiment, render the figures and write the report.",
        discussion: """
            Experiments of the large tier (E1 at n = 65,536; hours on 2 cores) are trained only with --tier large, \
            which also commits their results to paper/tiers/; every other build shows those committed results, \
            marked with the run that made them. --seeds and --set reduce the tier's run (the snapshot records how).
            """)
    @OptionGroup var common: Common
    @Flag(help: "Ignore the cache and retrain everything.") var force = false
    @Option(help: ArgumentHelp("Also train this opt-in tier (large) and commit its results.", valueName: "tier")) var tier: String?
    @Option(help: "Independent seeds for the tier's experiments (default: their own).") var seeds: Int?
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config field of the tier's experiments (repeatable).", valueName: "key=value"))
    var sets: [String] = []

    @Flag(help: "Replace a committed tier snapshot that is closer to the tier's config than this run.") var replace = false

    func run() throws {
        if let tier, Tier(rawValue: tier) == nil || tier == Tier.paper.rawValue {
            throw CLIError("unknown tier '\(tier)'; the opt-in tiers are: " + Tier.allCases.filter { $0 != .paper }.map(\.rawValue).joined(separator: ", "))
        }
        if tier == nil && (seeds != nil || !sets.isEmpty || replace) {
            throw CLIError("--seeds, --set and --replace apply to a tier's experiments: add --tier large")
        }
        var p = try common.pipeline
        p.replaceSnapshots = replace
        if let tier = tier.flatMap(Tier.init(rawValue:)) { p.tiers.insert(tier) }
        p.tierSets = sets; p.tierSeeds = seeds
        let s = try p.build(force: force, threads: common.threads)
        print("wrote figures/, paper/report.md, paper/claims.json, site/index.html")
        let total = s.experimentSeconds.values.reduce(0, +)
        let shares = p.experiments.compactMap { e in
            s.experimentSeconds[e.id].map { "\(e.id) \(String(format: "%.1f", $0)) s (\(String(format: "%.0f", 100 * $0 / max(total, 1e-9))) %)" }
        }
        print("time by experiment: " + shares.joined(separator: ", "))
        let beyond = p.experiments.filter { $0.section.hasPrefix("Beyond the paper") }.compactMap { s.experimentSeconds[$0.id] }
        if !beyond.isEmpty {
            print("time of the paper's sections \(String(format: "%.1f", total - beyond.reduce(0, +))) s, beyond the paper \(String(format: "%.1f", beyond.reduce(0, +))) s")
        }
        print(s.line)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment, as the paper has it or as a variant, into a folder of its own.",
        discussion: """
            Writes runs/<experiment>-<hash>/ (or --out): figures, claims judged with the paper's rules, the \
            full config and a one-page report. Never writes figures/, paper/ or the README (`paper build` does). \
            Fields and their defaults: `paper config <experiment>`.
            """)
    @OptionGroup var common: Common
    @OptionGroup var variant: VariantOptions
    @Flag(help: "Ignore the cache and retrain.") var force = false
    @Option(help: "The folder to write (default runs/<experiment>-<hash>/).") var out: String?
    @Argument(help: "Experiment name (see `paper list`).") var experiment: String

    func run() throws {
        let p = try common.pipeline
        let base = try p.experiment(named: experiment)
        let v = try variant.make(base)
        let r = try p.runVariant(v, base: base, out: out.map { URL(fileURLWithPath: $0) }, command: commandLine(),
                                 force: force, threads: common.threads)
        for c in r.summary.claims {
            print("  \(c.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(c.id): ours \(c.ourValue.map { "\($0)" } ?? "—") · paper \(c.paperValue.map { "\($0)" } ?? "—")")
            if let sp = c.spread { print("               seeds: \(sp)") }
        }
        print(r.summary.line)
        print("wrote \(r.folder.path)/ (report.md, index.html, claims.json, config.json, figures/)")
    }
}

/// `--set`, `--config` and `--seeds`: how a variant departs from the paper's config.
struct VariantOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config field (repeatable).", valueName: "key=value"))
    var sets: [String] = []
    @Option(name: .customLong("config"), help: ArgumentHelp("A JSON file of config fields (as `paper config` prints).", valueName: "file"))
    var configFile: String?
    @Option(help: "Independent seeds (default: the experiment's own).") var seeds: Int?

    /// The `--config` file's JSON, if one is given.
    func file() throws -> JSONValue? {
        guard let path = configFile else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("--config \(path): cannot read the file") }
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw CLIError("--config \(path): not valid JSON (\(jsonErrorLine(error)))")
        }
    }

    /// The variant of `base` these options describe; a one-line error names a bad key, value or file.
    func make(_ base: AnyExperiment) throws -> AnyExperiment {
        let file = try file()
        do { return try base.variant(file: file, sets: sets, seeds: seeds) } catch let e as VariantError {
            throw CLIError(e.description)
        }
    }
}

/// A JSON parse error in a few words.
func jsonErrorLine(_ error: Error) -> String {
    if case DecodingError.dataCorrupted(let c)? = error as? DecodingError {
        let under = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return under ?? c.debugDescription
    }
    return "\(error)"
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print an experiment's config: every field with its value and doc line (JSON).",
        discussion: """
            The output is JSON: `config` holds the values (edit a copy and pass it to `paper run --config`), \
            `fields` each dotted key with its default and doc line. --set and --config show a variant's values.
            """)
    @OptionGroup var common: Common
    @OptionGroup var variant: VariantOptions
    @Argument(help: "Experiment name (see `paper list`).") var experiment: String

    func run() throws {
        let p = try common.pipeline
        let base = try p.experiment(named: experiment)
        let v = try variant.make(base)
        let defaults = Dictionary(base.configFields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var fields: [String: JSONValue] = [:]
        for f in v.configFields {
            var entry: [String: JSONValue] = ["default": defaults[f.key] ?? .null, "doc": f.doc.map { .string($0) } ?? .null]
            if defaults[f.key] != f.value { entry["value"] = f.value }
            fields[f.key] = .object(entry)
        }
        let doc: JSONValue = .object([
            "experiment": .string(v.id), "title": .string(v.title), "section": .string(v.section),
            "seeds": .int(Int64(v.seeds.count)), "config": v.configTree, "fields": .object(fields),
        ])
        print(String(decoding: try jsonText(doc), as: UTF8.self))
    }
}
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the experiments.")
    @OptionGroup var common: Common

    func run() throws {
        let p = try common.pipeline
        for e in p.experiments {
            let cached = e.tier != .paper ? "\(e.tier.rawValue) tier" : p.isCached(e) ? "cached" : "not cached"
            print("\(e.id.padding(toLength: 14, withPad: " ", startingAt: 0)) \(e.section.padding(toLength: 22, withPad: " ", startingAt: 0)) \(cached.padding(toLength: 11, withPad: " ", startingAt: 0)) \(e.title)")
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Say why experiments would or would not be retrained.")
    @OptionGroup var common: Common
    @Argument(help: "Experiment names (all when none).") var experiments: [String] = []

    func run() throws {
        let p = try common.pipeline
        for e in try p.select(experiments) { print(p.explain(e)) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-render every figure and compare figures and claims with the committed baselines.")
    @OptionGroup var common: Common

    func run() throws {
        let r = try common.pipeline.check(threads: common.threads)
        for f in r.figures where f.status != .identical {
            let d = f.difference.map { String(format: " (RMS %.3f, %.4f %% of pixels)", $0.rms, 100 * $0.changedFraction) } ?? ""
            print("  \(f.status.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(f.name)\(d)")
            for p in f.layoutProblems { print("      \(p)") }
        }
        for c in r.claims {
            let b = c.before.map { "\($0.status.rawValue) \($0.ourValue.map { "\($0)" } ?? "—")" } ?? "absent"
            let a = c.after.map { "\($0.status.rawValue) \($0.ourValue.map { "\($0)" } ?? "—")" } ?? "absent"
            print("  claim \(c.id)\(c.regressionReason.map { " REGRESSED (\($0))" } ?? ""): \(b) → \(a)")
        }
        let identical = r.figures.filter { $0.status == .identical }.count
        print("\(identical) of \(r.figures.count) figures identical, \(r.claims.count) claims changed; details: \(r.page.path)")
        if r.failed {
            print("check FAILED: accept intended changes with `paper accept --all` (or name the figures)")
            throw ExitCode.failure
        }
        print("check passed")
    }
}

struct Accept: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy fresh figures (and, with --all, the report and claims) over the committed baselines.")
    @OptionGroup var common: Common
    @Flag(help: "Accept every figure, the report and the claims.") var all = false
    @Argument(help: "Figure names (as in figures/, without extension).") var figures: [String] = []

    func validate() throws {
        guard all != !figures.isEmpty else { throw ValidationError("name the figures to accept, or pass --all (not both)") }
    }

    func run() throws {
        let p = try common.pipeline
        if all {
            let s = try p.build(threads: common.threads)
            print("accepted: \(s.figuresWritten) figure files rewritten; paper/report.md and paper/claims.json updated where they changed")
        } else {
            let written = try p.accept(figures: figures, threads: common.threads)
            print(written.isEmpty ? "nothing to accept: the named figures already match" : "accepted: " + written.joined(separator: ", "))
        }
    }
}

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build everything and write site/ with the run's provenance, ready for any static host.")
    @OptionGroup var common: Common
    @Flag(help: "Ignore the cache and retrain everything.") var force = false

    func run() throws {
        let s = try common.pipeline.publish(threads: common.threads, force: force)
        print("site ready: \(common.root)/site/index.html (open it from the file system, or serve the folder)")
        print(s.line)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an experiment's trained weights, metrics and figure data as NumPy .npy files with a JSON manifest.",
        discussion: "Writes exports/<experiment>-<hash>/ (or --out). Weights come from the cache; a seed without them is retrained.")
    @OptionGroup var common: Common
    @OptionGroup var variant: VariantOptions
    @Option(help: "The folder to write (default exports/<experiment>-<hash>/).") var out: String?
    @Argument(help: "Experiment name (see `paper list`).") var experiment: String

    func run() throws {
        let p = try common.pipeline
        let v = try variant.make(try p.experiment(named: experiment))
        let x = try p.export(v, out: out.map { URL(fileURLWithPath: $0) }, command: commandLine(), threads: common.threads)
        print("wrote \(x.folder.path)/: \(x.files) files, \(x.instances) trained instances over \(v.seeds.count) seeds\(x.trained > 0 ? " (\(x.trained) seeds trained now)" : ""); see manifest.json")
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment over a grid of config values and seeds, here or on a Slurm cluster.",
        discussion: """
            Each (variant, seed) is a task named by its content key in the shared cache; tasks already there are \\
            skipped. --local runs the tasks here; --slurm submits one job array (sbatch --array) and a gather job \\
            after it; --status lists done, running, pending, failed and missing tasks. The gathered variants are \\
            written as `paper run` writes them (runs/<experiment>-<hash>/).
            """)
    @OptionGroup var common: Common
    @OptionGroup var variant: VariantOptions
    @Option(name: .customLong("grid"), help: ArgumentHelp("Values of a field to sweep (repeatable).", valueName: "key=v1,v2,…"))
    var grid: [String] = []
    @Flag(help: "Run the tasks on this machine.") var local = false
    @Flag(help: "Submit the tasks to Slurm.") var slurm = false
    @Flag(help: "Say where each task stands.") var status = false
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "At most this many array tasks at once (sbatch --array=…%K).") var maxRunning: Int?
    @Option(help: "Threads of each Slurm task.") var taskThreads: Int = 1

    /// The options' own checks, as one-line errors (thrown from `run`, so that no usage text follows).
    func checkOptions() throws {
        guard [local, slurm, status].filter({ $0 }).count == 1 else { throw CLIError("choose one of --local, --slurm and --status") }
        if let k = maxRunning, k < 1 { throw CLIError("--max-running must be at least 1, got \(k)") }
        guard taskThreads >= 1 else { throw CLIError("--task-threads must be at least 1, got \(taskThreads)") }
        if partition != nil || maxRunning != nil, !slurm { throw CLIError("--partition and --max-running go with --slurm") }
    }

    @Argument(help: "Experiment name (see `paper list`).") var experiment: String

    func run() throws {
        try checkOptions()
        let p = try common.pipeline
        let base = try p.experiment(named: experiment)
        let variants: [(grid: [String], experiment: AnyExperiment)]
        do { variants = try p.sweepVariants(base, file: try variant.file(), sets: variant.sets, grid: grid, seeds: variant.seeds) }
        catch let e as VariantError { throw CLIError(e.description) }
        let m = p.sweepManifest(base, variants: variants, sets: variant.sets)
        let folder = p.sweepFolder(m.experiment, m.tasks)
        if status && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.json").path) {
            throw CLIError("this sweep has not been started (no manifest in \(folder.path)); run it with --local or --slurm")
        }
        if slurm {
            guard (try? Slurm.run(["sbatch", "--version"])) != nil else {
                throw CLIError("--slurm needs Slurm's sbatch on the PATH, and it is not there (or does not answer)")
            }
        }
        let url = try p.writeSweep(m)
        print("sweep \(url.deletingLastPathComponent().path): \(m.variants.count) variants × \(m.seeds) seeds = \(m.tasks.count) tasks")
        let last = Slurm.lastSubmission(manifest: url)
        var active: [Int: TaskState] = [:]
        if let last { active = (try? Slurm.activeTasks(job: last.arrayJob)) ?? [:] }
        let states = try p.sweepStatus(manifest: url, active: active)
        let todo = states.indices.filter { states[$0] == .missing || states[$0] == .failed }
        if status {
            for s in [TaskState.done, .running, .pending, .failed, .missing] {
                let ids = states.indices.filter { states[$0] == s }
                print("  \(s.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(ids.count)\(ids.isEmpty || s == .done ? "" : ": tasks " + ids.map(String.init).joined(separator: ", "))")
            }
            let folder = url.deletingLastPathComponent()
            for i in states.indices where states[i] == .failed {
                let why = (try? String(contentsOf: folder.appendingPathComponent("tasks/\(i).failed"), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                print("  task \(i) failed: \(why); log \(folder.path)/logs/task-\(i).out")
            }
            for i in states.indices where states[i] == .missing && last?.tasks.contains(i) == true {
                print("  task \(i) was submitted (job \(last!.arrayJob)) but left no result; log \(folder.path)/logs/task-\(i).out")
            }
            return
        }
        if local {
            for (n, i) in todo.enumerated() {
                print("[\(n + 1)/\(todo.count)] task \(i): variant \(m.tasks[i].variant) \(m.variants[m.tasks[i].variant].grid.joined(separator: " ")) seed \(m.tasks[i].seed + 1)")
                _ = try p.runTask(manifest: url, index: i, threads: common.threads)
            }
            for f in try p.gather(manifest: url) { print("wrote \(f.path)/") }
            return
        }
        let busy = states.indices.filter { states[$0] == .running || states[$0] == .pending }
        guard busy.isEmpty else {
            throw CLIError("\(busy.count) tasks of job \(last?.arrayJob ?? "?") are still running or pending; wait, or scancel it, then submit again")
        }
        if todo.isEmpty {
            print("every task is in the cache; gathering here")
            for f in try p.gather(manifest: url) { print("wrote \(f.path)/") }
            return
        }
        if let last { Slurm.cancel(last.gatherJob) }
        let paper = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: common.root).standardizedFileURL.path
        let sub = try Slurm.submit(manifest: url, tasks: todo, paper: paper, root: root, partition: partition,
                                   maxRunning: maxRunning, threads: taskThreads)
        print("submitted \(todo.count) of \(m.tasks.count) tasks as job array \(sub.arrayJob) and the gather as job \(sub.gatherJob); "
              + "follow with `paper sweep \(experiment) … --status`")
    }
}

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Run one task of a sweep (what each Slurm array task runs).")
    @OptionGroup var common: Common
    @Argument(help: "The sweep's manifest.json.") var manifest: String
    @Argument(help: "The task's index.") var index: Int

    func run() throws {
        let trained = try common.pipeline.runTask(manifest: URL(fileURLWithPath: manifest), index: index, threads: common.threads)
        print(trained ? "task \(index) trained" : "task \(index) was in the cache")
    }
}

struct Gather: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write every variant of a finished sweep from the cache (the sweep's last job).")
    @OptionGroup var common: Common
    @Argument(help: "The sweep's manifest.json.") var manifest: String

    func run() throws {
        for f in try common.pipeline.gather(manifest: URL(fileURLWithPath: manifest)) { print("wrote \(f.path)/") }
    }
}

/// An error found while running a command: printed as one line ("Error: …"), without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

struct CrossCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscheck",
        abstract: "Have the PyTorch reference (bench/torch_reference.py) train the covered experiments and judge its models with our claim rules.",
        discussion: "Writes paper/crosscheck.json, which `paper build` reads; refreshing some experiments (--only) keeps the others' entries. "
            + "Covered by default: \(crossCheckedExperiments.joined(separator: ", ")).")
    @OptionGroup var common: Common
    @Option(parsing: .upToNextOption, help: "Only these experiments.") var only: [String] = []
    @Option(help: "Each experiment's first N seeds instead of all (quicker, with less power to see a difference).") var seeds: Int?
    @Option(help: "The Python with torch installed (make crosscheck creates it).") var python = ".venv-torch/bin/python"
    @Option(help: "The PyTorch reference script.") var script = "bench/torch_reference.py"

    func run() throws {
        let p = try common.pipeline
        let t0 = Date()
        let file = try p.crossCheck(names: only, seeds: seeds, python: python, script: script, threads: common.threads, machine: machineName())
        print("wrote paper/crosscheck.json: \(file.claims.count) claims of \(file.experiments.map(\.id).joined(separator: ", ")) "
              + "in \(String(format: "%.0f", Date().timeIntervalSince(t0))) s")
    }
}
