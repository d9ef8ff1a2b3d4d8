// The pipeline behind `paper build` and `paper run`: validate every config, then for each experiment take its
// results from the cache or train, render its figures into figures/, collect its claims, and write
// paper/report.md, paper/claims.json and site/. Every file is written atomically; nothing is written before
// every config has been checked.

import Engine
import Foundation
import Plot
import Report

/// Where the pipeline reads and writes, relative to the repository root.
public struct Paths: Sendable {
    public let root: URL
    public init(root: URL) { self.root = root }
    public var cache: URL { root.appendingPathComponent(".cache") }
    public var figures: URL { root.appendingPathComponent("figures") }
    public var sources: URL { root.appendingPathComponent("paper/src") }
    public var report: URL { root.appendingPathComponent("paper/report.md") }
    public var claims: URL { root.appendingPathComponent("paper/claims.json") }
    /// Why each failing or inconclusive claim does (`CausesFile`).
    public var causes: URL { root.appendingPathComponent("paper/causes.tsv") }
    /// What the PyTorch reference's models gave under our claim rules (`paper crosscheck`).
    public var crossCheck: URL { root.appendingPathComponent("paper/crosscheck.json") }
    /// What we found where a claim differs from the reference's (`CrossCheckNotes`).
    public var crossCheckNotes: URL { root.appendingPathComponent("paper/crosscheck-notes.tsv") }
    public var site: URL { root.appendingPathComponent("site") }
    /// The README, whose outcome block each full build rewrites.
    public var readme: URL { root.appendingPathComponent("README.md") }
    public var runLog: URL { cache.appendingPathComponent("runs.log") }
}

/// What a build did.
public struct BuildSummary: Sendable {
    public var trained: [String] = []
    public var cached: [String] = []
    public var claims: [Claim] = []
    public var figuresWritten = 0
    public var seconds: Double = 0
    /// Experiments of an opt-in tier rendered from their committed snapshot.
    public var fromSnapshot: [String] = []
    /// The config hash of each experiment's recorded tier run (its snapshot's), by experiment.
    public var snapshotHashes: [String: String] = [:]
    /// Seconds spent per experiment (training or loading, plus rendering).
    public var experimentSeconds: [String: Double] = [:]

    public func count(_ s: ClaimStatus) -> Int { claims.filter { $0.status == s }.count }
    public var line: String {
        "claims: \(count(.pass)) passed, \(count(.fail)) failed, \(count(.inconclusive)) inconclusive, \(count(.unchecked)) unchecked"
            + " (exact: \(claims.filter { $0.kind == .exact && $0.status == .pass }.count) of \(claims.filter { $0.kind == .exact }.count) pass) · "
            + "\(trained.count) trained, \(cached.count) cached" + (fromSnapshot.isEmpty ? "" : ", \(fromSnapshot.count) from committed snapshots")
            + " · wall time \(String(format: "%.1f", seconds)) s"
    }
}

/// A figure rendered in memory.
public struct RenderedFigure: Sendable {
    public var name: String
    public var caption: String
    public var svg: Data
    public var png: Data
    /// Every text's ink box, and what the check found wrong with them (text off the canvas, or overlapping).
    public var layout: TextLayout
    public var layoutProblems: [String]
    /// The experiment that drew it, its config hash and root seeds.
    public var experiment: String = ""
    public var configHash: String = ""
    public var seeds: [UInt64] = []

    /// The figure as the report refers to it; `data` is the site's file of the results it is drawn from.
    func ref(data: String?) -> FigureRef {
        FigureRef(name: name, caption: caption, experiment: experiment, configHash: configHash, seeds: seeds,
                  width: layout.width, height: layout.height, smallestText: layout.smallestSize, dataFile: data)
    }
}

/// What a run of the experiments produced, before anything is written.
struct Production {
    var figures: [RenderedFigure] = []
    /// Each experiment's results of its first seed (canonical JSON): the data its figures are drawn from.
    var figureData: [String: Data] = [:]
    var claims: [Claim] = []
    var summary = BuildSummary()
    /// Where each tier experiment's results came from, for the report's `{{tier ID}}`.
    var tierNotes: [String: String] = [:]
    /// The snapshots of the tier experiments this build trained, written after the report.
    var newSnapshots: [TierSnapshot] = []
}

public struct Pipeline: Sendable {
    public let experiments: [AnyExperiment]
    public let paths: Paths
    public let log: @Sendable (String) -> Void
    /// The tiers this build trains; experiments of any other tier are rendered from their committed snapshots.
    public var tiers: Set<Tier> = [.paper]
    /// `--set` values and a seed count for the experiments of the opt-in tiers this build trains (a reduced run).
    public var tierSets: [String] = []
    public var tierSeeds: Int? = nil
    /// Whether a tier build may replace a snapshot whose run is closer to the tier's config than its own.
    public var replaceSnapshots = false

    public init(experiments: [AnyExperiment] = Registry.all, paths: Paths, log: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.experiments = experiments; self.paths = paths; self.log = log
    }

    /// The experiments named, in registry order; an unknown name is an error naming the known ones.
    public func select(_ names: [String]) throws -> [AnyExperiment] {
        let known = experiments.map(\.id)
        for n in names where !known.contains(n) { throw PipelineError.unknownExperiment(n, known: known) }
        return names.isEmpty ? experiments : experiments.filter { names.contains($0.id) }
    }

    /// Why an experiment would or would not be retrained, seed by seed: for a stale entry, the fields of its key that
    /// changed (a changed source file appears as `code.Experiments/Intro.swift`, say).
    public func explain(_ e: AnyExperiment) -> String {
        let cache = ResultsCache(directory: paths.cache)
        var lines: [String] = []
        for (k, key) in e.keys.enumerated() {
            let name = e.cacheID(k), label = "\(e.id) seed \(k + 1) of \(e.keys.count)"
            switch cache.lookup(e, seed: k) {
            case .hit: lines.append("\(label): cached under the current key; it would not be retrained")
            case .missing: lines.append("\(label): no cache entry at \(cache.url(for: name).path); it would be trained")
            case .corrupt(let why): lines.append("\(label): the cache entry \(cache.url(for: name).path) is unusable (\(why)); it would be retrained")
            case .stale(let old):
                lines.append("\(label): the cache entry was computed under another key; it would be retrained\n" + keyDiff(old: old, new: key))
            }
        }
        if e.tier != .paper && !tiers.contains(e.tier) {
            lines.insert("\(e.id) is in the \(e.tier.rawValue) tier: a build without --tier \(e.tier.rawValue) shows its recorded run, \(paths.snapshotPath(e.id)), and trains nothing; with it:", at: 0)
        }
        return lines.joined(separator: "\n") + "\nkey of seed 1 (\(e.configHash)): \(e.key)"
    }

    /// Whether every seed of the experiment is cached under its current key.
    public func isCached(_ e: AnyExperiment) -> Bool {
        let cache = ResultsCache(directory: paths.cache)
        return e.keys.indices.allSatisfy { if case .hit = cache.lookup(e, seed: $0) { return true } else { return false } }
    }

    /// Runs the experiments (all when `names` is empty), renders their figures and, for a full build,
    /// writes the report.
    /// `provenance`, when given, makes a section appended to the site (never to the committed report).
    public func build(names: [String] = [], force: Bool = false, threads: Int, writeReport: Bool = true,
                      provenance: ((BuildSummary) -> String)? = nil) throws -> BuildSummary {
        let start = Date()
        let chosen = try withTierOverrides(try select(names))
        try validate(chosen)
        let lock = try FileLock(paths.cache.appendingPathComponent("lock"), wait: true, log: log)
        defer { lock.release() }
        removeStaleTemporaries()
        var production = try produce(chosen, force: force, threads: threads, snapshots: true)
        for f in production.figures {
            if try Files.write(f.svg, to: paths.figures.appendingPathComponent("\(f.name).svg")) { production.summary.figuresWritten += 1 }
            if try Files.write(f.png, to: paths.figures.appendingPathComponent("\(f.name).png")) { production.summary.figuresWritten += 1 }
        }
        production.summary.seconds = Date().timeIntervalSince(start)
        if writeReport && names.isEmpty {
            try writeReportFiles(production, provenance: provenance?(production.summary) ?? "")
        }
        for snapshot in production.newSnapshots {
            try Files.write(try canonicalJSON(snapshot, pretty: true), to: paths.snapshot(snapshot.experiment))
        }
        appendRunLog(production.summary, threads: threads, force: force)
        return production.summary
    }

    func validate(_ chosen: [AnyExperiment]) throws {
        for e in chosen {
            do { try e.validate() } catch { throw PipelineError.experimentFailed(e.id, "\(error)") }
        }
    }

    func removeStaleTemporaries() {
        for dir in [paths.cache, paths.figures, paths.report.deletingLastPathComponent(), paths.site,
                    paths.site.appendingPathComponent("figures")] {
            Files.removeStaleTemporaries(in: dir)
        }
    }

    /// Results (from the cache or trained), figures rendered in memory, and claims. Call with the lock held.
    /// `causes`: apply paper/causes.tsv (the paper's runs; a variant's claims carry no cause).
    /// `snapshots`: render an opt-in tier's experiments that this build does not train from their committed snapshots,
    /// and write the snapshot of each one it does train (a build; a variant run trains whatever it is given).
    func produce(_ chosen: [AnyExperiment], force: Bool, threads: Int, causes applyCauses: Bool = true,
                 snapshots: Bool = false) throws -> Production {
        let cache = ResultsCache(directory: paths.cache)
        var p = Production()
        let ctx = RunContext(threads: threads, log: log)
        // Every snapshot this build renders is read, and every one it would replace checked, before any training.
        let committed = snapshots ? try readSnapshots(chosen) : [:]
        // Read before any training, so that a malformed table stops the run at once.
        var causes: [String: FailureCause] = [:]
        if applyCauses, let text = try? String(contentsOf: paths.causes, encoding: .utf8) {
            causes = try CausesFile.parse(text, file: "paper/causes.tsv")
        }
        for (k, e) in chosen.enumerated() {
            let t0 = Date()
            let tag = "[\(k + 1)/\(chosen.count)] \(e.id)"
            if let snap = committed[e.id] {
                try renderSnapshot(e, snap, into: &p)
                log("\(tag) … from its committed snapshot (\(e.tier.rawValue) tier)")
                p.summary.experimentSeconds[e.id] = Date().timeIntervalSince(t0)
                continue
            }
            var seedResults: [Data] = []
            var trainedAny = false, cachedAny = false
            func train(_ s: Int) throws -> Data {
                let d: Data, recorder = WeightRecorder(), started = Date()
                do { d = try WeightRecorder.$current.withValue(recorder) { try e.run(seed: s, ctx) } }
                catch { throw PipelineError.experimentFailed(e.id, "\(error)") }
                // The trained weights first: a results entry never stands without its weights beside it.
                try cache.store(id: e.weightsID(s), key: e.keys[s], payload: try WeightsPayload.encode(recorder.instances))
                try cache.store(id: e.cacheID(s), key: e.keys[s], payload: d)
                recordTraining(cache, id: e.cacheID(s), key: e.keys[s], started: started, threads: threads)
                trainedAny = true
                return d
            }
            for s in e.keys.indices {
                var cached: Data? = nil
                if !force {
                    switch cache.lookup(e, seed: s) {
                    case .hit(let d): cached = d
                    case .missing: break
                    case .stale: if s == 0 { log("\(tag): config or code changed since the cached run; retraining") }
                    case .corrupt(let why): log("\(tag): cache entry \(cache.url(for: e.cacheID(s)).path) is unusable (\(why)); retraining")
                    }
                }
                if cached != nil { cachedAny = true }
                seedResults.append(try cached ?? train(s))
            }
            var out: (figures: [FigureOutput], claims: [Claim])
            do { out = try e.outputs(from: seedResults) } catch {
                guard cachedAny else { throw PipelineError.experimentFailed(e.id, "its results could not be read: \(error)") }
                // A cached entry with a valid checksum that no longer decodes (its result type changed without a
                // version bump): recompute rather than fail.
                log("\(tag): cached results no longer decode (\(error)); retraining")
                seedResults = try e.keys.indices.map { try train($0) }
                do { out = try e.outputs(from: seedResults) } catch {
                    throw PipelineError.experimentFailed(e.id, "its results could not be read: \(error)")
                }
            }
            let seedNote = e.keys.count > 1 ? " (\(e.keys.count) seeds)" : ""
            if trainedAny {
                p.summary.trained.append(e.id)
                log("\(tag) … trained in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s\(seedNote)")
            } else {
                p.summary.cached.append(e.id)
                log("\(tag) … cached\(seedNote)")
            }
            if snapshots && e.tier != .paper {
                // Rendered from the snapshot it writes, exactly as every later build will render it.
                let snap = try makeSnapshot(e, results: seedResults, cache: cache)
                p.newSnapshots.append(snap)
                try renderSnapshot(e, snap, into: &p, fromCommitted: false)
            } else {
                p.figures += try renderFigures(out.figures, experiment: e.id, configHash: e.configHash, seeds: e.seeds)
                if !out.figures.isEmpty { p.figureData[e.id] = seedResults[0] }
                p.claims += out.claims
                p.tierNotes[e.id] = "These results were computed by this build (or taken from its cache under the current key)."
            }
            p.summary.experimentSeconds[e.id] = Date().timeIntervalSince(t0)
        }
        // A run of some experiments leaves the causes of the others' claims for the run that has them; a full run
        // applies every cause, so that one naming no claim is an error.
        if chosen.count < experiments.count {
            let here = Set(p.claims.map(\.id))
            causes = causes.filter { here.contains($0.key) }
        }
        p.claims = try CausesFile.apply(causes, to: p.claims, file: "paper/causes.tsv")
        p.summary.claims = p.claims
        return p
    }

    /// SVG, PNG and text layout of each figure, warning of layout problems.
    func renderFigures(_ figures: [FigureOutput], experiment: String, configHash: String, seeds: [UInt64]) throws -> [RenderedFigure] {
        try figures.map { f in
            let (svg, layout) = try f.drawing.svgAndLayout()
            let problems = layout.problems()
            for problem in problems { log("warning: figure \(f.name): \(problem)") }
            return RenderedFigure(name: f.name, caption: f.caption, svg: svg, png: try f.drawing.png(), layout: layout,
                                  layoutProblems: problems, experiment: experiment, configHash: configHash, seeds: seeds)
        }
    }

    /// paper/report.md, paper/claims.json, the README's outcome and site/ (the page, each figure's SVG and the data
    /// it is drawn from) from the run's claims and figures.
    func writeReportFiles(_ production: Production, provenance: String = "") throws {
        let claims = production.claims
        let files = try FileManager.default.contentsOfDirectory(at: paths.sources, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw PipelineError.io("no report sources (*.md) in \(paths.sources.path)") }
        var sources: [(file: String, text: String)] = []
        for f in files {
            guard let text = try? String(contentsOf: f, encoding: .utf8) else {
                throw PipelineError.io("cannot read \(f.path) as UTF-8")
            }
            sources.append(("paper/src/" + f.lastPathComponent, text))
        }
        // The data behind each figure: its experiment's results (first seed), written beside the site's figures.
        func dataFile(_ experiment: String) -> String? {
            production.figureData[experiment] == nil ? nil : "data/\(experiment).json"
        }
        let refs = production.figures.map { $0.ref(data: dataFile($0.experiment)) }
        let template = try Template(claims: claims, figures: refs, sources: sources, commit: commitDescription(),
                                    crossCheck: try readCrossCheck(), crossCheckNotes: try readCrossCheckNotes(),
                                    tierNotes: production.tierNotes)
        var md: [String] = [], html: [String] = []
        for (name, text) in sources {
            md.append(try template.render(text, file: name, for: .markdown(figureDir: "../figures")))
            html.append(try template.render(text, file: name, for: .html(figureDir: "figures")))
        }
        // Everything is rendered before anything is written.
        let report = "<!-- Generated by `make paper` from paper/src/*.md and the run's results. Do not edit. -->\n\n"
            + md.joined(separator: "\n\n") + "\n"
        let claimsData = try ClaimsFile(claims: claims).encoded()
        let page = Site.page(title: "Toy Models of Superposition, reproduced",
                             body: Site.withContents(Site.scrollingTables(Site.typesetMath(try Markdown.html(html.joined(separator: "\n\n"))))) + provenance)
        let readme = try readmeWithOutcome(template)
        for f in production.figures {
            let src = paths.figures.appendingPathComponent("\(f.name).svg")
            try Files.write(try Data(contentsOf: src), to: paths.site.appendingPathComponent("figures/\(f.name).svg"))
        }
        for (experiment, data) in production.figureData.sorted(by: { $0.key < $1.key }) {
            try Files.write(data, to: paths.site.appendingPathComponent("data/\(experiment).json"))
        }
        try Files.write(page, to: paths.site.appendingPathComponent("index.html"))
        try Files.write(claimsData, to: paths.claims)
        try Files.write(report, to: paths.report)
        if let readme { try Files.write(readme, to: paths.readme) }
    }

    /// The README with its outcome block (between `<!-- outcome -->` and `<!-- /outcome -->`) filled from the run:
    /// the headline, the outcome by section and the failures table, linked into the report. Nil when there is no
    /// README or it has no such block (test roots).
    func readmeWithOutcome(_ template: Template) throws -> String? {
        guard let text = try? String(contentsOf: paths.readme, encoding: .utf8),
              let open = text.range(of: "<!-- outcome -->"), let close = text.range(of: "<!-- /outcome -->"),
              open.upperBound <= close.lowerBound else { return nil }
        let report = "paper/report.md"
        func linked(_ table: String) -> String {
            // Anchors in the README's tables point into the report, where the claims and figures are.
            table.replacingOccurrences(of: "](#", with: "](\(report)#")
        }
        let crossCheck = template.crossCheckLine().map {
            " Against a second implementation (PyTorch, [the cross-check](\(report)#a-second-implementation-the-pytorch-cross-check)): " + $0
        } ?? ""
        let block = "\n" + template.headline() + crossCheck + "\n\n" + linked(template.summaryTable()) + "\n\n"
            + "**What does not reproduce, and why** (each failing or inconclusive claim, its cause and the evidence; the claim "
            + "links to its row in the [report](\(report)), where its detail folds out):\n\n"
            + linked(template.failuresTable(target: .markdown(figureDir: "figures"))) + "\n"
        return String(text[..<open.upperBound]) + block + String(text[close.lowerBound...])
    }

    /// Times and what ran go to a log that is not committed.
    func appendRunLog(_ s: BuildSummary, threads: Int, force: Bool) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let per = s.experimentSeconds.keys.sorted().map { "\($0)=\(String(format: "%.2f", s.experimentSeconds[$0]!))s" }
        let line = "\(stamp) threads=\(threads) force=\(force) \(s.line) \(per.joined(separator: " "))\n"
        try? FileManager.default.createDirectory(at: paths.cache, withIntermediateDirectories: true)
        if let h = try? FileHandle(forWritingTo: paths.runLog) {
            h.seekToEndOfFile(); h.write(Data(line.utf8)); try? h.close()
        } else {
            try? Data(line.utf8).write(to: paths.runLog)
        }
    }
}

/// The top-level fields of two keys that differ, one per line.
func keyDiff(old: String, new: String) -> String {
    func fields(_ s: String) -> [String: String] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        func walk(_ v: Any, _ path: String) {
            if let d = v as? [String: Any] { for (k, x) in d { walk(x, path.isEmpty ? k : path + "." + k) } }
            else if let data = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) {
                out[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(obj, "")
        return out
    }
    let a = fields(old), b = fields(new)
    let keys = Set(a.keys).union(b.keys).sorted()
    let lines = keys.compactMap { k -> String? in
        a[k] == b[k] ? nil : "  \(k): cached \(a[k] ?? "(absent)") → now \(b[k] ?? "(absent)")"
    }
    return lines.isEmpty ? "  (keys differ in formatting only)" : lines.joined(separator: "\n")
}
