// `paper check` and `paper accept`: the committed figures/ and paper/claims.json are the baselines. A check
// re-renders every figure from the current code (results from the cache, or trained) and compares it with its
// baseline: exact bytes first; otherwise the decoded PNGs, by RMS difference and fraction of changed pixels against
// the tolerance below. It compares the fresh claims with the committed ones, writes check/index.html with
// expected / actual / difference images, and fails on a figure beyond tolerance, a new or missing figure, or a
// claim that disappeared, changed kind, or went from pass to anything else. Accepting copies fresh figures over their baselines.

import Foundation
import Plot
import Report

/// When two renderings of a figure count as the same picture.
public enum FigureTolerance {
    /// RMS channel difference on the 0–255 scale.
    public static let rms = 1.0
    /// Fraction of pixels allowed to differ at all.
    public static let changedFraction = 0.002
    /// Why: antialiasing differences between builds of the rasteriser touch a few edge pixels by a few levels
    /// (well under 0.1 % of pixels, RMS ≪ 1); any change a reader could see (a moved point, a different colour,
    /// a changed label) alters more pixels, by far more.
    public static let reason = "RMS ≤ 1 (0–255) and at most 0.2 % of pixels changed: antialiasing noise stays far below both; any visible change exceeds them"
}

public enum FigureStatus: String, Sendable, Comparable {
    case changed, new, missing, badLayout = "text clipped or overlapping", withinTolerance = "within tolerance", identical
    var failing: Bool { self == .changed || self == .new || self == .missing || self == .badLayout }
    var rank: Int { [.changed: 0, .badLayout: 1, .missing: 2, .new: 3, .withinTolerance: 4, .identical: 5][self]! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

public struct FigureComparison: Sendable {
    public var name: String
    public var status: FigureStatus
    public var difference: ImageDifference?
    /// Text that leaves the canvas or overlaps other text (the figure then fails, whatever its pixels).
    public var layoutProblems: [String] = []
}

public struct ClaimChange: Sendable {
    public var id: String
    public var before: Claim?
    public var after: Claim?
    /// What makes the check fail: a claim that disappeared, changed kind, or moved from pass to anything else
    /// (fail, inconclusive, unchecked); nil when the change is allowed (a new claim, a value that moved within its
    /// status, a claim that started to pass).
    public var regressionReason: String? {
        guard let b = before else { return nil }
        guard let a = after else { return "disappeared" }
        if a.kind != b.kind { return "changed kind from \(b.kind.rawValue) to \(a.kind.rawValue)" }
        if b.status == .pass && a.status != .pass { return "moved from pass to \(a.status.rawValue)" }
        return nil
    }
    public var regression: Bool { regressionReason != nil }
}

public struct CheckReport: Sendable {
    public var figures: [FigureComparison]
    public var claims: [ClaimChange]
    public var page: URL
    public var failed: Bool { figures.contains { $0.status.failing } || claims.contains { $0.regression } }
}

extension Paths {
    /// Where `paper check` writes its page and images (not committed).
    public var check: URL { root.appendingPathComponent("check") }
}

extension Pipeline {
    /// Re-renders every figure and compares figures and claims with the committed baselines.
    public func check(threads: Int) throws -> CheckReport {
        try validate(experiments)
        let lock = try FileLock(paths.cache.appendingPathComponent("lock"), wait: true, log: log)
        defer { lock.release() }
        removeStaleTemporaries()
        let production = try produce(experiments, force: false, threads: threads, snapshots: true)
        let out = paths.check
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

        var results: [FigureComparison] = []
        for f in production.figures {
            let baseline = paths.figures.appendingPathComponent("\(f.name).png")
            let problems = f.layoutProblems
            if !problems.isEmpty {
                try Files.write(f.png, to: out.appendingPathComponent("\(f.name)-actual.png"))
                results.append(FigureComparison(name: f.name, status: .badLayout, difference: nil, layoutProblems: problems))
                continue
            }
            guard let old = try? Data(contentsOf: baseline) else {
                try Files.write(f.png, to: out.appendingPathComponent("\(f.name)-actual.png"))
                results.append(FigureComparison(name: f.name, status: .new, difference: nil))
                continue
            }
            if old == f.png { results.append(FigureComparison(name: f.name, status: .identical, difference: nil)); continue }
            let a = try RasterImage(png: old), b = try RasterImage(png: f.png)
            let d = compareImages(a, b)
            let within = d.sameSize && d.rms <= FigureTolerance.rms && d.changedFraction <= FigureTolerance.changedFraction
            try Files.write(old, to: out.appendingPathComponent("\(f.name)-expected.png"))
            try Files.write(f.png, to: out.appendingPathComponent("\(f.name)-actual.png"))
            try Files.write(try differenceImage(expected: a, actual: b).png(), to: out.appendingPathComponent("\(f.name)-diff.png"))
            results.append(FigureComparison(name: f.name, status: within ? .withinTolerance : .changed, difference: d))
        }
        let fresh = Set(production.figures.map(\.name))
        let committed = ((try? FileManager.default.contentsOfDirectory(atPath: paths.figures.path)) ?? [])
            .filter { $0.hasSuffix(".png") }.map { String($0.dropLast(4)) }
        for name in committed.sorted() where !fresh.contains(name) {
            _ = try? Files.write(try Data(contentsOf: paths.figures.appendingPathComponent("\(name).png")),
                             to: out.appendingPathComponent("\(name)-expected.png"))
            results.append(FigureComparison(name: name, status: .missing, difference: nil))
        }
        results.sort { ($0.status, -($0.difference?.rms ?? 0), $0.name) < ($1.status, -($1.difference?.rms ?? 0), $1.name) }

        let before = (try? ClaimsFile.read(paths.claims))?.claims ?? []
        var changes: [ClaimChange] = []
        let old = Dictionary(before.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(production.claims.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for c in production.claims where old[c.id] != c {
            changes.append(ClaimChange(id: c.id, before: old[c.id], after: c))
        }
        for c in before where new[c.id] == nil { changes.append(ClaimChange(id: c.id, before: c, after: nil)) }
        if before.isEmpty { log("warning: no committed claims baseline at \(paths.claims.path); every claim is new") }

        let report = CheckReport(figures: results, claims: changes, page: out.appendingPathComponent("index.html"))
        try Files.write(checkPage(report), to: report.page)
        return report
    }

    /// Copies fresh renderings of the named figures over their baselines (only files that changed are written).
    public func accept(figures names: [String], threads: Int) throws -> [String] {
        try validate(experiments)
        // Names are checked before anything trains: against the baselines in figures/ and the figures the report's
        // sources place ({{figure NAME | …}}), so a typo costs a line, not a build.
        let declared = declaredFigureNames()
        for n in names where !declared.contains(n) {
            throw PipelineError.io("unknown figure '\(n)' (a new figure that no source places yet is accepted with --all); "
                                   + "known figures: \(declared.sorted().joined(separator: ", "))")
        }
        let lock = try FileLock(paths.cache.appendingPathComponent("lock"), wait: true, log: log)
        defer { lock.release() }
        let production = try produce(experiments, force: false, threads: threads, snapshots: true)
        let known = production.figures.map(\.name)
        for n in names where !known.contains(n) {
            throw PipelineError.io("unknown figure '\(n)'; known figures: \(known.joined(separator: ", "))")
        }
        var written: [String] = []
        for f in production.figures where names.contains(f.name) {
            let a = try Files.write(f.svg, to: paths.figures.appendingPathComponent("\(f.name).svg"))
            let b = try Files.write(f.png, to: paths.figures.appendingPathComponent("\(f.name).png"))
            if a || b { written.append(f.name) }
        }
        return written
    }

    /// The figure names known without rendering: the baselines in figures/ and the names in the report's sources.
    func declaredFigureNames() -> Set<String> {
        let fm = FileManager.default
        var names = Set(((try? fm.contentsOfDirectory(atPath: paths.figures.path)) ?? []).filter { $0.hasSuffix(".svg") }
            .map { String($0.dropLast(4)) })
        for file in (try? fm.contentsOfDirectory(atPath: paths.sources.path)) ?? [] where file.hasSuffix(".md") {
            guard let text = try? String(contentsOf: paths.sources.appendingPathComponent(file), encoding: .utf8) else { continue }
            for (kind, name) in Template.placements(in: text) where kind == "figure" { names.insert(name) }
        }
        return names
    }

    func checkPage(_ r: CheckReport) -> String {
        var body = "<h1>Figure and claim check</h1>\n<p>\(r.failed ? "<b>FAILED</b>" : "passed"): "
        body += "\(r.figures.filter { $0.status.failing }.count) of \(r.figures.count) figures fail, "
        body += "\(r.claims.filter(\.regression).count) claims regressed (disappeared, changed kind, or left pass). Tolerance: \(htmlEscape(FigureTolerance.reason)).</p>\n"
        body += "<table><tr><th>figure</th><th>status</th><th>RMS</th><th>pixels changed</th><th>expected</th><th>actual</th><th>difference</th></tr>\n"
        for f in r.figures {
            let d = f.difference
            func img(_ suffix: String) -> String {
                let file = "\(f.name)-\(suffix).png"
                return FileManager.default.fileExists(atPath: paths.check.appendingPathComponent(file).path)
                    ? "<a href=\"\(file)\"><img src=\"\(file)\" width=\"260\"></a>" : "—"
            }
            body += "<tr><td>\(htmlEscape(f.name))</td><td class=\"\(f.status.failing ? "fail" : "ok")\">\(f.status.rawValue)</td>"
            body += "<td>\(d.map { String(format: "%.3f", $0.rms) } ?? "—")</td><td>\(d.map { String(format: "%.4f %%", 100 * $0.changedFraction) } ?? "—")</td>"
            body += "<td>\(img("expected"))</td><td>\(img("actual"))</td><td>\(img("diff"))</td></tr>\n"
            if !f.layoutProblems.isEmpty {
                body += "<tr><td></td><td colspan=\"6\">" + f.layoutProblems.map(htmlEscape).joined(separator: "<br>") + "</td></tr>\n"
            }
        }
        body += "</table>\n<h2>Claims that changed</h2>\n"
        if r.claims.isEmpty { body += "<p>None.</p>\n" } else {
            body += "<table><tr><th>claim</th><th>before</th><th>after</th></tr>\n"
            for c in r.claims {
                let b = c.before.map { "\($0.status.rawValue): \($0.ourValue.map { "\($0)" } ?? "—")" } ?? "(absent)"
                let a = c.after.map { "\($0.status.rawValue): \($0.ourValue.map { "\($0)" } ?? "—")" } ?? "(absent)"
                body += "<tr><td>\(htmlEscape(c.id))</td><td>\(htmlEscape(b))</td><td class=\"\(c.regression ? "fail" : "ok")\">\(htmlEscape(a))</td></tr>\n"
            }
            body += "</table>\n"
        }
        return Site.page(title: "Figure check", body: body)
    }
}
