// The opt-in tiers: experiments too long for `make paper` (the large tier: E1 at n = 65,536). `paper build --tier
// large` trains them (through the shared cache, like any experiment) and commits each one's results as a snapshot,
// paper/tiers/<experiment>.json, with where they came from: command, commit, processor, threads, date and wall time of
// the training, the seeds, and how the run's config departs from the tier's. Every other build renders the tier's
// figures and claims from that snapshot and says so in the report (`{{tier ID}}`), naming any change of code or config
// since, so that a committed result is never passed off as this build's.
//
//   paper build --tier large                                   the tier as the registry has it (hours on 2 cores)
//   paper build --tier large --seeds 1 --set frozenArmsUpTo=16384   a reduced run; the snapshot records what it left out
//
// A training record (.cache/<entry>.trained.json) is written beside every cache entry a build or a sweep task trains,
// so that a snapshot made from cached results still names the run that trained them: `paper sweep dense-large
// --seeds 3 --slurm` trains the tier's seeds as one array task each, and `paper build --tier large` then commits them.

import Engine
import Foundation
import Report

/// When, where and how long one seed of an experiment was trained (a side file of its cache entry).
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// The hash of the cache key the results were trained under.
    public var keyHash: String
    public var date: String
    public var seconds: Double
    public var threads: Int
    public var machine: String
    public var commit: String?
    public var command: String
}

/// A tier experiment's committed results and their provenance.
public struct TierSnapshot: Codable, Sendable, Equatable {
    public var format = 1
    public var experiment: String
    public var tier: String
    /// The command that wrote the snapshot.
    public var command: String
    /// Each seed's training record (nil where the cache entry had none).
    public var training: [TrainingRecord?]
    /// The run's root seeds, its config hash, full config and cache keys.
    public var seeds: [UInt64]
    public var configHash: String
    public var config: JSONValue
    public var keys: [String]
    /// How the run departs from the tier's config: key → (the tier's value, the run's), as JSON text.
    public var changes: [String: [String]]
    /// Each seed's results, as the cache holds them.
    public var results: [JSONValue]

    /// Reads the snapshot at `url` (shown as `rel`) of experiment `experiment` of tier `tier`, naming what is wrong
    /// with a missing or malformed one in one line.
    public static func read(_ url: URL, rel: String, experiment: String, tier: String) throws -> TierSnapshot {
        let refresh = "restore it with `git checkout -- \(rel)` or run `paper build --tier \(tier)`"
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError.io("\(rel) is missing: the results of \(experiment), an experiment of the \(tier) tier, are committed there; \(refresh)")
        }
        struct Header: Decodable { var format: Int }
        if let h = try? JSONDecoder().decode(Header.self, from: data), h.format != 1 {
            throw PipelineError.io("\(rel) has format \(h.format); this paper reads format 1")
        }
        let s: TierSnapshot
        do { s = try JSONDecoder().decode(TierSnapshot.self, from: data) } catch {
            throw PipelineError.io("\(rel) is malformed (\(describe(error))); \(refresh)")
        }
        guard s.experiment == experiment, s.tier == tier else {
            throw PipelineError.io("\(rel) holds \(s.experiment) of the \(s.tier) tier, not \(experiment) of the \(tier) tier; \(refresh)")
        }
        guard !s.results.isEmpty, s.results.count == s.seeds.count, s.keys.count == s.seeds.count, s.training.count == s.seeds.count,
              s.configHash == keyHash(s.keys[0]) else {
            throw PipelineError.io("\(rel) is malformed: it needs one result, key and training record per seed, and the config hash of its first key; \(refresh)")
        }
        return s
    }
}

/// This process's command line as a shell would take it back (`paper` and its arguments, quoted where needed).
public func commandLine() -> String {
    (["paper"] + CommandLine.arguments.dropFirst()).map { a in
        a.contains(where: { " \"'$".contains($0) }) ? "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" : a
    }.joined(separator: " ")
}

/// The processor's model name and family, from /proc/cpuinfo.
public func machineName() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let name = info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last ?? "unknown"
    let family = info.split(separator: "\n").first { $0.hasPrefix("cpu family") }?.split(separator: ":").last ?? "?"
    return "\(name.trimmingCharacters(in: .whitespaces)) (family \(family.trimmingCharacters(in: .whitespaces)))"
}

extension Paths {
    /// Where an opt-in tier experiment's snapshot lives, relative to the root (as messages name it).
    public func snapshotPath(_ id: String) -> String { "paper/tiers/\(id).json" }
    /// The same, as a URL.
    public func snapshot(_ id: String) -> URL { root.appendingPathComponent(snapshotPath(id)) }
}

extension ResultsCache {
    func recordURL(_ id: String) -> URL { directory.appendingPathComponent("\(id).trained.json") }

    /// The training record of an entry, if it has one for `key`.
    func record(id: String, key: String) -> TrainingRecord? {
        guard let data = FileManager.default.contents(atPath: recordURL(id).path),
              let r = try? JSONDecoder().decode(TrainingRecord.self, from: data), r.keyHash == keyHash(key) else { return nil }
        return r
    }

    func storeRecord(_ r: TrainingRecord, id: String) throws {
        try Files.write(try canonicalJSON(r, pretty: true), to: recordURL(id))
    }
}

extension Pipeline {
    /// Writes the training record of a cache entry this process has just trained (a build's or a sweep task's); a
    /// record that cannot be written is logged, never a reason to lose the training.
    func recordTraining(_ cache: ResultsCache, id: String, key: String, started: Date, threads: Int) {
        let record = TrainingRecord(keyHash: keyHash(key), date: ISO8601DateFormatter().string(from: started),
                                    seconds: Date().timeIntervalSince(started), threads: threads, machine: machineName(),
                                    commit: commitDescription(), command: commandLine())
        do { try cache.storeRecord(record, id: id) } catch { log("warning: the training record of \(id) was not written: \(error)") }
    }

    /// `chosen` with this build's `--set` and `--seeds` applied to the experiments of the opt-in tiers it trains.
    func withTierOverrides(_ chosen: [AnyExperiment]) throws -> [AnyExperiment] {
        guard !tierSets.isEmpty || tierSeeds != nil else { return chosen }
        let targets = chosen.filter { $0.tier != .paper && tiers.contains($0.tier) }
        guard !targets.isEmpty else {
            throw PipelineError.io("--set and --seeds apply to the experiments of the tier a build trains (--tier large); this build trains none")
        }
        return try chosen.map { e in
            guard e.tier != .paper && tiers.contains(e.tier) else { return e }
            do { return try e.variant(file: nil, sets: tierSets, seeds: tierSeeds) } catch {
                throw PipelineError.experimentFailed(e.id, "\(error)")
            }
        }
    }

    /// Before any training: the snapshot of every chosen tier experiment this build does not train (a missing or
    /// malformed one stops the build), and for each one it trains, a check that it would not replace a recorded run
    /// closer to the tier's config (more seeds or fewer changed fields) unless `replaceSnapshots`.
    func readSnapshots(_ chosen: [AnyExperiment]) throws -> [String: TierSnapshot] {
        var out: [String: TierSnapshot] = [:]
        for e in chosen where e.tier != .paper {
            let rel = paths.snapshotPath(e.id)
            guard tiers.contains(e.tier) else {
                out[e.id] = try TierSnapshot.read(paths.snapshot(e.id), rel: rel, experiment: e.id, tier: e.tier.rawValue)
                continue
            }
            guard !replaceSnapshots, FileManager.default.fileExists(atPath: paths.snapshot(e.id).path),
                  let old = try? TierSnapshot.read(paths.snapshot(e.id), rel: rel, experiment: e.id, tier: e.tier.rawValue) else { continue }
            let base = (try? experiment(named: e.id)) ?? e
            let changes = self.changes(e, from: base)
            if changes.count > old.changes.count || e.seeds.count < old.seeds.count {
                throw PipelineError.io("\(rel) records a run closer to the \(e.tier.rawValue) tier's config (\(old.seeds.count) seeds, \(old.changes.count) changed fields) "
                                       + "than this one (\(e.seeds.count) seeds, \(changes.count)); add --replace to replace it")
            }
        }
        return out
    }

    /// The snapshot of a tier experiment this build trained (or found in the cache): its results, the training record
    /// of each seed, and how its config departs from the registry's.
    func makeSnapshot(_ e: AnyExperiment, results: [Data], cache: ResultsCache) throws -> TierSnapshot {
        let base = (try? experiment(named: e.id)) ?? e
        let changes = changes(e, from: base)
        return TierSnapshot(experiment: e.id, tier: e.tier.rawValue, command: commandLine(),
                            training: e.keys.indices.map { cache.record(id: e.cacheID($0), key: e.keys[$0]) },
                            seeds: e.seeds, configHash: e.configHash, config: e.configTree, keys: e.keys,
                            changes: Dictionary(changes.map { ($0.key, [$0.paper, $0.ours]) }, uniquingKeysWith: { a, _ in a }),
                            results: try results.map { try JSONValue.parse(String(decoding: $0, as: UTF8.self)) })
    }

    /// Figures and claims of a tier experiment from a snapshot: the one committed (`fromCommitted`), or the one this
    /// build has just made, so that both kinds of build draw the same bytes.
    func renderSnapshot(_ e: AnyExperiment, _ snap: TierSnapshot, into p: inout Production, fromCommitted: Bool = true) throws {
        let rel = paths.snapshotPath(e.id), refresh = "run `paper build --tier \(e.tier.rawValue)` to refresh it"
        let v: AnyExperiment
        do { v = try e.variant(config: snap.config, seeds: snap.seeds.count) } catch {
            throw PipelineError.io("\(rel): its config no longer fits \(e.id) (\(error)); \(refresh)")
        }
        guard v.seeds == snap.seeds else {
            throw PipelineError.io("\(rel): its root seeds \(snap.seeds) are not those its config gives (\(v.seeds)); \(refresh)")
        }
        let data = try snap.results.map { try canonicalJSON($0) }
        let out: (figures: [FigureOutput], claims: [Claim])
        do { out = try v.outputs(from: data) } catch {
            throw PipelineError.io("\(rel): its results no longer decode as \(e.id)'s (\(describe(error))); \(refresh)")
        }
        p.figures += try renderFigures(out.figures, experiment: e.id, configHash: snap.configHash, seeds: snap.seeds)
        if !out.figures.isEmpty { p.figureData[e.id] = data[0] }
        p.claims += out.claims.map { var c = $0; c.configHash = snap.configHash; return c }
        p.tierNotes[e.id] = tierNote(snap, current: v)
        p.summary.snapshotHashes[e.id] = snap.configHash
        if fromCommitted { p.summary.fromSnapshot.append(e.id) }
    }

    /// What the report says about where a tier experiment's results come from (`{{tier ID}}`): the run that trained
    /// them, how its config departs from the tier's, whether the code has changed since, and, for a reduced run, a rough
    /// estimate of what the whole tier would take at that run's speed.
    func tierNote(_ s: TierSnapshot, current: AnyExperiment) -> String {
        var parts = ["**Where these results come from.** A build without `--tier \(s.tier)` does not train this experiment: "
                     + "it shows the run recorded in `\(paths.snapshotPath(s.experiment))`, written by `\(s.command)`."]
        let records = s.training.compactMap { $0 }
        if !records.isEmpty {
            let seconds = records.map(\.seconds).reduce(0, +)
            let commits = Set(records.map { r in r.commit.map { c in "`\(c.prefix(10))`" + (c.hasSuffix("with uncommitted changes") ? " with uncommitted changes" : "") } ?? "no recorded commit" })
            let places = Set(records.map { "\($0.machine), \($0.threads) threads" })
            parts.append("Its \(s.seeds.count == 1 ? "seed was" : "\(s.seeds.count) seeds were") trained from commit "
                         + commits.sorted().joined(separator: ", ") + " on " + places.sorted().joined(separator: "; ")
                         + ", starting \(records.map(\.date).min()!.prefix(10)): " + formatDuration(seconds) + " of training in all"
                         + (records.count < s.training.count ? " (\(s.training.count - records.count) seed(s) without a record)" : "") + ".")
            let trainers = Set(records.map(\.command)).subtracting([s.command])
            if !trainers.isEmpty { parts.append("Trained by " + trainers.sorted().map { "`\($0)`" }.joined(separator: "; ") + ".") }
            if !s.changes.isEmpty, let work = current.trainingWork, work > 0,
               let full = try? experiment(named: s.experiment), let fullWork = full.trainingWork {
                let estimate = seconds / Double(records.count) * fullWork * Double(full.seeds.count) / work
                parts.append("The whole tier (\(full.seeds.count) seeds at the tier's config) would take roughly \(formatDuration(estimate)) of "
                             + "training at this run's speed: a rough estimate that takes the time as proportional to steps·batch·n·m "
                             + "(the output product), costs a frozen arm as a trained one and leaves out the measurements.")
            }
        } else {
            parts.append("Its training records are missing, so when and where it was trained is not known.")
        }
        parts.append("Root seeds \(s.seeds.map(String.init).joined(separator: ", ")); config hash `\(s.configHash)`.")
        if !s.changes.isEmpty {
            parts.append("It departs from the tier's config in: " + s.changes.keys.sorted().map { k in
                "`\(k)` \(s.changes[k]![0]) → \(s.changes[k]![1])" }.joined(separator: "; ") + ".")
        }
        if current.keys == s.keys {
            parts.append("The code and config that would train it today are those that did (every cache key matches).")
        } else {
            let fields = keyDiff(old: s.keys[0], new: current.keys[0]).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            parts.append("**The code has changed since it was trained** (" + fields.map { String($0.prefix(80)) }.joined(separator: "; ")
                         + "): these are the old code's results; `paper build --tier \(s.tier)` refreshes them.")
        }
        return parts.joined(separator: " ")
    }
}

/// "42 s", "12.5 min" or "3.4 h".
func formatDuration(_ seconds: Double) -> String {
    seconds < 120 ? String(format: "%.0f s", seconds) : seconds < 7200 ? String(format: "%.1f min", seconds / 60) : String(format: "%.1f h", seconds / 3600)
}

extension DensePhase {
    /// Σ steps·batch·n·m over every arm and exposure-curve run: the output product Wᵀh, which dominates training at
    /// large n.
    public var trainingWork: Double? {
        let c = config
        return c.shapes.reduce(0.0) { total, s in
            let n = s[0], m = s[1], size = Double(n) * Double(m)
            let arms = n <= c.frozenArmsUpTo ? 3.0 : 1.0
            let curve = n <= c.curveUpTo ? c.curveExposures.map { Double(c.recipe(n: n, exposures: $0).steps) }.reduce(0, +) : 0
            return total + (arms * Double(c.recipe(n: n, exposures: c.exposures).steps) + curve) * size * Double(c.batch)
        }
    }
}
