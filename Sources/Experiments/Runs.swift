// Variant runs: an experiment with its config changed from the command line (`paper run uniform --set n=200`),
// trained through the shared content-keyed cache and written to a folder of its own (default
// `runs/<experiment>-<hash>/`): figures, claims judged with the paper's rules, the first seed's results, the
// full config and a one-page report (Markdown and HTML). It never writes figures/, paper/ or the README, and takes no
// build lock.

import Engine
import Foundation
import Report

/// What a variant run wrote.
public struct VariantRun: Sendable {
    public var folder: URL
    public var experiment: AnyExperiment
    public var summary: BuildSummary
}

extension Pipeline {
    /// The registry's experiment of that name; an unknown name is a one-line error naming the known ones.
    public func experiment(named name: String) throws -> AnyExperiment {
        guard let e = experiments.first(where: { $0.id == name }) else {
            throw PipelineError.unknownExperiment(name, known: experiments.map(\.id))
        }
        return e
    }

    /// The default folder of a variant.
    public func runFolder(_ v: AnyExperiment) -> URL {
        paths.root.appendingPathComponent("runs/\(v.id)-\(v.runHash)")
    }

    /// Fails unless `folder` may hold a run or an export: inside the repository only under runs/ or exports/ (never the
    /// baselines, sources or cache); elsewhere a new or empty folder, or one that a run or export already wrote
    /// (it holds our config.json or manifest.json). Symbolic links are resolved first.
    func checkRunFolder(_ folder: URL) throws {
        let real = { (u: URL) in u.standardizedFileURL.resolvingSymlinksInPath().path + "/" }
        let f = real(folder), root = real(paths.root)
        if f.hasPrefix(root) || root.hasPrefix(f) {
            guard f.hasPrefix(root + "runs/") || f.hasPrefix(root + "exports/"), f != root + "runs/", f != root + "exports/" else {
                throw PipelineError.io("--out \(folder.path) is inside the repository but not under runs/ or exports/, where the paper build's files are; choose a folder there or outside it")
            }
            return
        }
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path), !names.isEmpty else { return }
        guard names.contains("config.json") || names.contains("manifest.json") else {
            throw PipelineError.io("--out \(folder.path) is a folder that holds other files; name a new or empty folder")
        }
    }

    /// Trains (or takes from the cache) every seed of `v` and writes its folder. `base` is the registry's experiment
    /// that `v` varies; `command` is recorded as the run's provenance.
    public func runVariant(_ v: AnyExperiment, base: AnyExperiment, out: URL? = nil, command: String, force: Bool = false,
                           threads: Int) throws -> VariantRun {
        let start = Date()
        let folder = out ?? runFolder(v)
        try checkRunFolder(folder)
        try validate([v])
        // No build lock: a variant writes only its own folder and content-keyed cache entries, each atomically, so it
        // can run beside a paper build or other variants (and it leaves their temporary files alone).
        var production = try produce([v], force: force, threads: threads, causes: false)
        production.summary.seconds = Date().timeIntervalSince(start)
        try writeVariant(production, v, base: base, folder: folder, command: command)
        return VariantRun(folder: folder, experiment: v, summary: production.summary)
    }

    /// Each changed field of `v` against `base`: key, base value and `v`'s (JSON text).
    func changes(_ v: AnyExperiment, from base: AnyExperiment) -> [(key: String, paper: String, ours: String)] {
        let old = Dictionary(base.configFields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var out = v.configFields.compactMap { f -> (key: String, paper: String, ours: String)? in
            old[f.key] == f.value ? nil : (f.key, old[f.key]?.text ?? "(absent)", f.value.text)
        }
        if v.seeds.count != base.seeds.count { out.append(("independent seeds", "\(base.seeds.count)", "\(v.seeds.count)")) }
        return out
    }

    func writeVariant(_ p: Production, _ v: AnyExperiment, base: AnyExperiment, folder: URL, command: String) throws {
        struct ConfigRecord: Encodable {
            var experiment: String, command: String, commit: String?, configHash: String
            var seeds: [UInt64], changes: [String: String], config: JSONValue, keys: [String]
        }
        let changes = changes(v, from: base)
        let commit = commitDescription()
        let record = ConfigRecord(experiment: v.id, command: command, commit: commit, configHash: v.configHash, seeds: v.seeds,
                                  changes: Dictionary(changes.map { ($0.key, $0.ours) }, uniquingKeysWith: { a, _ in a }),
                                  config: v.configTree, keys: v.keys)
        let page = VariantPage(experiment: v.id, title: v.title, section: v.section, configHash: v.configHash, command: command,
                               commit: commit, changes: changes, seeds: v.seeds, claims: p.claims,
                               figures: p.figures.map { ($0.name, $0.caption) })
        let md = page.markdown
        let html = Site.page(title: "\(v.title): a variant", body: Site.typesetMath(try Markdown.html(md)))
        // Everything is rendered before anything is written.
        var files: [(String, Data)] = [
            ("config.json", try canonicalJSON(record, pretty: true)),
            ("claims.json", try ClaimsFile(claims: p.claims).encoded()),
            ("report.md", Data(md.utf8)),
            ("index.html", Data(html.utf8)),
        ]
        for f in p.figures { files += [("figures/\(f.name).svg", f.svg), ("figures/\(f.name).png", f.png)] }
        for (id, data) in p.figureData { files.append(("data/\(id).json", data)) }
        for (name, data) in files { try Files.write(data, to: folder.appendingPathComponent(name)) }
    }
}
