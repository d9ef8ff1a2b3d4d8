// Sweeps: an experiment over a grid of config values and several seeds, expanded into tasks, one per
// (variant, seed), each named by its content key in the shared results cache. The tasks run on this machine
// (`--local`) or as one Slurm job array (`sbatch --array`, each array task running `paper task <manifest> <index>`),
// followed by a job that depends on it (`--dependency=afterok`) and gathers the results into the variants' folders.
// A task's only output is its cache entry, written atomically, so tasks never corrupt each other and a
// re-submitted sweep runs only what the cache lacks.
//
//   paper sweep uniform --seeds 3 --grid n=100,200 --set m=20 --local
//   paper sweep uniform --seeds 3 --grid n=100,200 --set m=20 --slurm --max-running 2
//   paper sweep uniform --seeds 3 --grid n=100,200 --set m=20 --status
//
// The sweep's folder, runs/sweep-<experiment>-<hash>/, holds manifest.json, the Slurm script and job ids, each
// task's log and, for a task that failed, `tasks/<index>.failed` with its error.

import Engine
import Foundation

/// A sweep's tasks, as written to manifest.json and read by each task.
public struct SweepManifest: Codable, Sendable, Equatable {
    public struct Variant: Codable, Sendable, Equatable {
        /// The grid values that make this variant, as `key=value` (empty for a sweep with no grid).
        public var grid: [String]
        public var config: JSONValue
        public var configHash: String
    }
    public struct Task: Codable, Sendable, Equatable {
        public var variant: Int
        public var seed: Int
        /// The cache entry and key hash the task fills.
        public var cacheID: String
        public var keyHash: String
    }
    public var format = 1
    public var experiment: String
    public var seeds: Int
    /// The `--set` values every variant shares.
    public var sets: [String]
    public var variants: [Variant]
    public var tasks: [Task]

    /// Reads a manifest, naming what is wrong with a malformed one.
    public static func read(_ url: URL) throws -> SweepManifest {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw SweepError("cannot read the sweep manifest \(url.path)") }
        let m: SweepManifest
        do { m = try JSONDecoder().decode(SweepManifest.self, from: data) } catch {
            throw SweepError("the sweep manifest \(url.path) is malformed: \(describe(error))")
        }
        guard m.format == 1 else { throw SweepError("the sweep manifest \(url.path) has format \(m.format); this paper reads format 1") }
        for t in m.tasks where !(m.variants.indices.contains(t.variant) && t.seed >= 0 && t.seed < m.seeds) {
            throw SweepError("the sweep manifest \(url.path) names variant \(t.variant) seed \(t.seed), which it does not define")
        }
        return m
    }
}

public struct SweepError: Error, CustomStringConvertible {
    public let description: String
    public init(_ s: String) { description = s }
}

/// Where a task stands.
public enum TaskState: String, Sendable {
    case done, running, pending, failed, missing
}

extension Pipeline {
    /// The variants of a sweep: every combination of the grid's values (`key=v1,v2,…`; a list field's values are
    /// lists: `key=[1,2],[3]`), each over the shared `--config` and `--set` values, with `seeds` seeds.
    public func sweepVariants(_ base: AnyExperiment, file: JSONValue?, sets: [String], grid: [String], seeds: Int?) throws
        -> [(grid: [String], experiment: AnyExperiment)] {
        var axes: [[String]] = []
        var seen = Set<String>()
        for g in grid {
            guard let eq = g.firstIndex(of: "="), eq != g.startIndex else { throw VariantError("--grid \(g): expected key=v1,v2,…") }
            let key = String(g[..<eq])
            guard seen.insert(key).inserted else { throw VariantError("--grid \(key) is given twice") }
            let values = splitTopLevel(String(g[g.index(after: eq)...]))
            guard !values.isEmpty, !values.contains(where: \.isEmpty) else { throw VariantError("--grid \(g): a value is empty") }
            guard Set(values).count == values.count else { throw VariantError("--grid \(g): a value is repeated") }
            axes.append(values.map { "\(key)=\($0)" })
        }
        var combos: [[String]] = [[]]
        for axis in axes { combos = combos.flatMap { c in axis.map { c + [$0] } } }
        guard combos.count <= 1000 else { throw VariantError("the grid makes \(combos.count) variants; at most 1000") }
        return try combos.map { c in (c, try base.variant(file: file, sets: sets + c, seeds: seeds)) }
    }

    /// The sweep's folder: named by the experiment and the hash of every task's key, so that the same sweep is
    /// the same folder.
    public func sweepFolder(_ experiment: String, _ tasks: [SweepManifest.Task]) -> URL {
        paths.root.appendingPathComponent("runs/sweep-\(experiment)-\(keyHash(tasks.map(\.keyHash).joined(separator: ",")))")
    }

    public func sweepManifest(_ base: AnyExperiment, variants: [(grid: [String], experiment: AnyExperiment)], sets: [String]) -> SweepManifest {
        let seeds = variants.first?.experiment.keys.count ?? 1
        var tasks: [SweepManifest.Task] = []
        for (i, v) in variants.enumerated() {
            for k in v.experiment.keys.indices {
                tasks.append(.init(variant: i, seed: k, cacheID: v.experiment.cacheID(k), keyHash: keyHash(v.experiment.keys[k])))
            }
        }
        return SweepManifest(experiment: base.id, seeds: seeds, sets: sets,
                             variants: variants.map { .init(grid: $0.grid, config: $0.experiment.configTree, configHash: $0.experiment.configHash) },
                             tasks: tasks)
    }

    /// The variant a manifest describes, checked against the task keys it recorded (a changed build would compute
    /// other results under the same name: the manifest is then stale).
    public func sweepVariant(_ m: SweepManifest, _ i: Int) throws -> AnyExperiment {
        let base = try experiment(named: m.experiment)
        let v = try base.variant(config: m.variants[i].config, seeds: m.seeds)
        for t in m.tasks where t.variant == i && keyHash(v.keys[t.seed]) != t.keyHash {
            throw SweepError("task \(m.tasks.firstIndex(of: t)!) of the manifest was made by another build (its key changed); make the sweep again")
        }
        return v
    }

    /// Writes a sweep's folder and manifest (atomically); returns the manifest's path.
    public func writeSweep(_ m: SweepManifest) throws -> URL {
        let folder = sweepFolder(m.experiment, m.tasks)
        let url = folder.appendingPathComponent("manifest.json")
        try Files.write(try canonicalJSON(m, pretty: true), to: url)
        return url
    }

    /// Runs task `index` of a manifest: trains its seed unless the cache holds it. Takes no lock (other tasks run
    /// beside it); its writes are atomic renames. A failure leaves `tasks/<index>.failed` beside the manifest.
    public func runTask(manifest url: URL, index: Int, threads: Int) throws -> Bool {
        let m = try SweepManifest.read(url)
        guard m.tasks.indices.contains(index) else {
            throw SweepError("task \(index) is not in \(url.path) (it has tasks 0…\(m.tasks.count - 1))")
        }
        let t = m.tasks[index]
        let marker = url.deletingLastPathComponent().appendingPathComponent("tasks/\(index).failed")
        do {
            let v = try sweepVariant(m, t.variant)
            let cache = ResultsCache(directory: paths.cache)
            if case .hit = cache.lookup(v, seed: t.seed), case .hit = cache.lookup(id: v.weightsID(t.seed), key: v.keys[t.seed]) {
                try? FileManager.default.removeItem(at: marker)
                return false
            }
            let recorder = WeightRecorder(), started = Date()
            let d = try WeightRecorder.$current.withValue(recorder) { try v.run(seed: t.seed, RunContext(threads: threads, log: log)) }
            try cache.store(id: v.weightsID(t.seed), key: v.keys[t.seed], payload: try WeightsPayload.encode(recorder.instances))
            try cache.store(id: v.cacheID(t.seed), key: v.keys[t.seed], payload: d)
            recordTraining(cache, id: v.cacheID(t.seed), key: v.keys[t.seed], started: started, threads: threads)
            try? FileManager.default.removeItem(at: marker)
            return true
        } catch {
            _ = try? Files.write("\(error)\n", to: marker)
            throw error
        }
    }

    /// Each task's state from the cache and the failure markers; `active` maps a task index to Slurm's state for
    /// the tasks that Slurm still lists (running or pending).
    public func sweepStatus(manifest url: URL, active: [Int: TaskState] = [:]) throws -> [TaskState] {
        let m = try SweepManifest.read(url)
        let cache = ResultsCache(directory: paths.cache)
        let variants = try m.variants.indices.map { try sweepVariant(m, $0) }
        return m.tasks.enumerated().map { i, t in
            if case .hit = cache.lookup(variants[t.variant], seed: t.seed) { return .done }
            if let a = active[i] { return a }
            let marker = url.deletingLastPathComponent().appendingPathComponent("tasks/\(i).failed")
            return FileManager.default.fileExists(atPath: marker.path) ? .failed : .missing
        }
    }

    /// Gathers a finished sweep: every variant's folder (as `paper run` writes it), from the cache alone.
    public func gather(manifest url: URL) throws -> [URL] {
        let m = try SweepManifest.read(url)
        let states = try sweepStatus(manifest: url)
        let notDone = states.indices.filter { states[$0] != .done }
        guard notDone.isEmpty else {
            throw SweepError("\(notDone.count) of \(m.tasks.count) tasks are not done (\(notDone.prefix(8).map(String.init).joined(separator: ", "))\(notDone.count > 8 ? ", …" : "")); see `paper sweep --status`")
        }
        let base = try experiment(named: m.experiment)
        var folders: [URL] = []
        for i in m.variants.indices {
            let v = try sweepVariant(m, i)
            let command = (["paper run \(m.experiment)"] + (m.sets + m.variants[i].grid).map { "--set \(shellQuoted($0))" }
                + ["--seeds \(m.seeds)"]).joined(separator: " ")
            let r = try runVariant(v, base: base, command: command, threads: 1)
            folders.append(r.folder)
        }
        return folders
    }
}

/// Splits `a,b,[1,2],"x,y"` at the commas outside brackets and quotes.
func splitTopLevel(_ s: String) -> [String] {
    var out: [String] = [], cur = "", depth = 0, quoted = false
    for ch in s {
        if ch == "\"" { quoted.toggle() }
        if !quoted && (ch == "[" || ch == "{") { depth += 1 }
        if !quoted && (ch == "]" || ch == "}") { depth -= 1 }
        if ch == "," && depth == 0 && !quoted { out.append(cur); cur = "" } else { cur.append(ch) }
    }
    out.append(cur)
    return out.map { $0.trimmingCharacters(in: .whitespaces) }
}

/// A shell word: quoted when it holds anything a shell would read.
func shellQuoted(_ a: String) -> String {
    a.allSatisfy({ $0.isLetter || $0.isNumber || "-_=.,/:+".contains($0) }) ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
