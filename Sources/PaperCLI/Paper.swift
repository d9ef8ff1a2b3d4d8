// The `paper` command: a thin layer over the Experiments pipeline.
//   paper build [--force] [--threads N]     run every experiment (cached), render figures, write the report
//   paper run <experiment…> [--force]       run some experiments and render their figures; prints their claims
//   paper list                              the experiments and whether their results are cached
//   paper explain <experiment…>             why an experiment would or would not be retrained

import ArgumentParser
import Experiments
import Foundation

@main
struct Paper: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "paper",
        abstract: "Reproduce 'Toy Models of Superposition' (Elhage et al., 2022) and write the checked report.",
        subcommands: [Build.self, Run.self, List.self, Explain.self, Check.self, Accept.self, Publish.self, Bench.self],
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
    static let configuration = CommandConfiguration(abstract: "Run every experiment, render the figures and write the report.")
    @OptionGroup var common: Common
    @Flag(help: "Ignore the cache and retrain everything.") var force = false

    func run() throws {
        let p = try common.pipeline
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
    static let configuration = CommandConfiguration(abstract: "Run the named experiments and render their figures.")
    @OptionGroup var common: Common
    @Flag(help: "Ignore the cache and retrain.") var force = false
    @Argument(help: "Experiment names (see `paper list`).") var experiments: [String]

    func validate() throws {
        guard !experiments.isEmpty else { throw ValidationError("name at least one experiment (see `paper list`)") }
    }

    func run() throws {
        let s = try common.pipeline.build(names: experiments, force: force, threads: common.threads, writeReport: false)
        for c in s.claims {
            print("  \(c.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(c.id): ours \(c.ourValue.map { "\($0)" } ?? "—") · paper \(c.paperValue.map { "\($0)" } ?? "—")")
            if let sp = c.spread { print("            seeds: \(sp)") }
            if c.status == .fail || c.status == .inconclusive { print("            tolerance \(c.tolerance): \(c.reason)") }
        }
        print(s.line)
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the experiments.")
    @OptionGroup var common: Common

    func run() throws {
        let p = try common.pipeline
        for e in p.experiments {
            let cached = p.isCached(e) ? "cached" : "not cached"
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
