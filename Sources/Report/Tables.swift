// What the placeholders expand to: the inline claim mark, the numbered figure, the one-line headline, and the
// three tables (outcome by section, what does not reproduce, every claim). Markdown for paper/report.md (GitHub
// renders its <details> and anchors), HTML for the site (raw HTML blocks, with no blank line inside, which
// cmark-gfm passes through).

import Foundation

extension Template {
    /// The status mark: emoji in Markdown (as GitHub shows them), glyphs every text font has in HTML.
    static func mark(_ s: ClaimStatus, html: Bool = false) -> String {
        switch s {
        case .pass: return html ? "✓" : "✅"
        case .fail: return html ? "✗" : "❌"
        case .inconclusive: return html ? "?" : "🟡"
        case .unchecked: return html ? "○" : "⚪"
        }
    }

    /// The anchor of a claim's row in the claims table, and of its first citation in the prose.
    static func rowAnchor(_ id: String) -> String { "claim-" + id }
    static func citeAnchor(_ id: String) -> String { "cite-" + id }

    /// How the seeds stand behind a verdict, in a few words: "5 of 5 seeds", "3 of 5 seeds pass", "exact".
    static func seedsNote(_ c: Claim) -> String {
        if c.status == .unchecked { return "not checked" }
        if c.kind == .exact { return "exact" }
        guard let seeds = c.seeds, seeds.count > 1 else { return "1 seed" }
        let k = seeds.count
        switch c.status {
        case .pass, .fail: return "\(seeds.filter { $0.status == c.status }.count) of \(k) seeds"
        default: return "\(seeds.filter { $0.status == .pass }.count) of \(k) seeds pass"
        }
    }

    /// Our value as shown: the value (median over seeds), with its standard error where it has one.
    static func ours(_ c: Claim) -> String {
        (c.ourValue.map { "\($0)" } ?? "—") + (c.standardError.map { " ± " + formatNumber($0) } ?? "")
    }

    /// `{{claim ID}}`: the mark, the ID linked to its row in the claims table, and the seeds behind it. The first
    /// citation carries the anchor the row links back to.
    func inlineClaim(_ c: Claim, target: ReportTarget) -> String {
        let html = target.isHTML
        let first = seen.ids[html, default: []].insert(c.id).inserted
        let note = Self.seedsNote(c)
        if !html {
            let anchor = first ? "<a id=\"\(Self.citeAnchor(c.id))\"></a>" : ""
            return "\(anchor)\(Self.mark(c.status)) [\(c.id)](#\(Self.rowAnchor(c.id))) (\(note))"
        }
        let title = "\(c.status.rawValue): ours \(Self.ours(c)) · paper \(c.paperValue.map { "\($0)" } ?? "—")"
        return "<a class=\"claim \(c.status.rawValue)\"\(first ? " id=\"\(htmlEscape(Self.citeAnchor(c.id)))\"" : "") "
            + "href=\"#\(htmlEscape(Self.rowAnchor(c.id)))\" title=\"\(htmlEscape(title))\">"
            + "<span class=\"mark\">\(Self.mark(c.status, html: true))</span> \(htmlEscape(c.id)) <span class=\"seeds\">\(htmlEscape(note))</span></a>"
    }

    /// `{{figure NAME | TEXT}}`: "Figure N", what it reproduces, the caption; on the site also a link to the SVG at full
    /// size, its data and its provenance. The site shows it at one CSS pixel per point at least (so that its smallest
    /// text is at least 10 px), up to the window's width.
    func figure(_ f: FigureRef, reproduces: String, target: ReportTarget) -> String {
        let n = figureNumbers[f.name].map { "Figure \($0)" } ?? "Figure"
        switch target {
        case .markdown(let dir):
            return "<a id=\"fig-\(f.name)\"></a>\n\n![\(n): \(mdEscape(f.name))](\(dir)/\(f.name).png)\n\n"
                + "*__\(n)__ (\(mdEscape(reproduces))). \(mdEscape(f.caption))*"
        case .html(let dir):
            let scale = f.smallestText > 0 ? max(1, 10 / f.smallestText) : 1
            let width = (f.width * scale).rounded()
            var provenance = ["experiment <code>\(htmlEscape(f.experiment))</code>", "config hash <code>\(htmlEscape(f.configHash))</code>"]
            if let s = f.seeds.first {
                provenance.append("root seed \(s)" + (f.seeds.count > 1 ? " (the first of \(f.seeds.count); claims use all)" : ""))
            }
            if let commit { provenance.append("commit <code>\(htmlEscape(String(commit.prefix(12))))</code>") }
            var links = ["<a href=\"\(dir)/\(f.name).svg\">SVG at full size</a>"]
            if let d = f.dataFile { links.append("<a class=\"data\" href=\"\(htmlEscape(d))\">data (JSON)</a>") }
            var html = "<figure id=\"fig-\(htmlEscape(f.name))\" style=\"width: \(Int(width))px\">"
            html += "<a href=\"\(dir)/\(f.name).svg\"><img src=\"\(dir)/\(f.name).svg\" width=\"\(Int(width))\" "
            html += "data-width=\"\(Int(f.width))\" data-min-text=\"\(formatNumber(f.smallestText))\" alt=\"\(htmlEscape(f.caption))\"></a>"
            html += "<figcaption><b>\(n)</b> <span class=\"reproduces\">(\(htmlEscape(reproduces)))</span>. \(htmlEscape(f.caption))"
            html += "<span class=\"figmeta\">" + links.joined(separator: " · ") + " · " + provenance.joined(separator: " · ") + "</span></figcaption></figure>"
            return html
        }
    }

    /// `{{headline}}`: the paper's claims we check, and how many pass, fail and are inconclusive, by kind.
    public func headline() -> String {
        let (paper, beyond) = paperAndBeyond
        func count(_ cs: [Claim], _ k: ClaimKind?, _ s: ClaimStatus) -> Int { cs.filter { (k == nil || $0.kind == k!) && $0.status == s }.count }
        let checked = paper.filter { $0.status != .unchecked }
        func part(_ k: ClaimKind) -> String {
            let cs = paper.filter { $0.kind == k && $0.status != .unchecked }
            return "\(cs.count) \(k.rawValue) (\(count(cs, k, .pass)) pass, \(count(cs, k, .fail)) fail, \(count(cs, k, .inconclusive)) inconclusive)"
        }
        let pass = count(checked, nil, .pass), fail = count(checked, nil, .fail), inconclusive = count(checked, nil, .inconclusive)
        var s = "Of the paper's \(paper.count) claims in this report (the catalogue's claims, some judged in more than one "
        s += "setting, e.g. C9.4, and C9.4-K under a second recipe) we check \(checked.count): \(pass) pass, "
        s += "\(fail) fail and \(inconclusive) are inconclusive; by kind, " + part(.trained) + " and " + part(.exact) + ". "
        s += "\(paper.count - checked.count) are not checked (qualitative, or with no number to test)."
        if !beyond.isEmpty {
            let b = beyond.filter { $0.status != .unchecked }
            let bp = count(b, nil, .pass), bf = count(b, nil, .fail), bi = count(b, nil, .inconclusive)
            s += " Beyond the paper, counted apart: \(b.count) checked claims, \(bp) pass, \(bf) fail, \(bi) inconclusive."
        }
        return s
    }

    /// Claims by section (in the paper's order: §1…§13, the appendix, then beyond the paper): for each kind, how many
    /// pass, fail, are inconclusive or unchecked; totals for the paper and for beyond it, counted apart.
    public func summaryTable() -> String {
        var rows = ["| Section | trained: pass | fail | inconclusive | unchecked | exact: pass | fail | unchecked |",
                    "|---|---|---|---|---|---|---|---|"]
        func row(_ name: String, _ cs: [Claim]) -> String {
            func n(_ k: ClaimKind, _ s: ClaimStatus) -> Int { cs.filter { $0.kind == k && $0.status == s }.count }
            return "| \(name) | \(n(.trained, .pass)) | \(n(.trained, .fail)) | \(n(.trained, .inconclusive)) | \(n(.trained, .unchecked)) | "
                + "\(n(.exact, .pass)) | \(n(.exact, .fail)) | \(n(.exact, .unchecked)) |"
        }
        for s in sections { rows.append(row("[\(s)](#\(Self.sectionAnchor(s)))", orderedClaims.filter { $0.section == s })) }
        let (paper, beyond) = paperAndBeyond
        rows.append(row("**the paper's claims**", paper))
        if !beyond.isEmpty { rows.append(row("**beyond the paper**", beyond)) }
        return rows.joined(separator: "\n")
    }

    /// The run's claims split into the paper's (§…, the appendix) and those beyond it, which are counted apart.
    var paperAndBeyond: (paper: [Claim], beyond: [Claim]) {
        (orderedClaims.filter { Self.sectionOrder($0.section) < 200 }, orderedClaims.filter { Self.sectionOrder($0.section) >= 200 })
    }

    /// The sections of the run's claims, in the paper's order.
    var sections: [String] {
        var out: [String] = []
        for c in orderedClaims where !out.contains(c.section) { out.append(c.section) }
        return out.sorted { (Self.sectionOrder($0), $0) < (Self.sectionOrder($1), $1) }
    }

    /// The anchor of a section's group in the claims table.
    static func sectionAnchor(_ section: String) -> String {
        var slug = "claims-"
        for ch in section.lowercased() {
            if ch.isLetter || ch.isNumber { slug.append(ch) } else if ch == " " || ch == "-" { slug.append("-") }
        }
        return slug
    }

    /// A section's place: §N (with a letter after it a half step later), Appendix at 100, Beyond the paper at 200.
    static func sectionOrder(_ section: String) -> Double {
        if section.hasPrefix("Beyond") { return 200 }
        if section.hasPrefix("Appendix") { return 100 }
        guard section.hasPrefix("§") else { return 150 }
        let digits = section.dropFirst().prefix { $0.isNumber }
        let letter = section.dropFirst(1 + digits.count).first.map { $0.isLetter } ?? false
        return (Double(String(digits)) ?? 150) + (letter ? 0.5 : 0)
    }

    /// "What does not reproduce, and why": every failing or inconclusive claim with its cause, linked to its row in
    /// the claims table and to the figure nearest it in the prose.
    public func failuresTable(target: ReportTarget) -> String {
        let isHTML = target.isHTML
        var rows = ["| | Claim | Section | Ours (seeds) | Cause | Evidence, or what would settle it | Figure |", "|---|---|---|---|---|---|---|"]
        for c in orderedClaims where c.status == .fail || c.status == .inconclusive {
            // A missing cause is shown as missing, never under a kind it was not given.
            let cells = [Self.mark(c.status, html: isHTML) + " " + c.status.rawValue, c.id, c.section,
                         Self.ours(c) + " (\(Self.seedsNote(c)))", c.cause?.kind.rawValue ?? "none recorded", c.cause?.detail ?? c.reason]
            var row = Self.tableRow(cells, html: isHTML)
            // The ID cell links to the claim's row; the last cell to its figure (links are not escaped).
            row = row.replacingOccurrences(of: "| \(isHTML ? htmlEscape(c.id) : c.id) |", with: "| [\(c.id)](#\(Self.rowAnchor(c.id))) |")
            let fig = claimFigures[c.id].flatMap { name in figureNumbers[name].map { "[Figure \($0)](#fig-\(name))" } } ?? "—"
            rows.append(row + " \(fig) |")
        }
        return rows.count == 2 ? "Every checked claim passes." : rows.joined(separator: "\n")
    }

    /// Every claim, one table per section. Each row: mark, ID (the anchor citations link to, and a link back to the
    /// first citation), the statement, the seeds; the detail (paper, ours, tolerance and reason, each seed's value,
    /// config hash) folds out.
    func claimsTable(target: ReportTarget) -> String {
        let isHTML = target.isHTML
        var out: [String] = []
        for section in sections {
            let cs = orderedClaims.filter { $0.section == section }
            if isHTML {
                var rows = ["<div class=\"table-scroll\"><table class=\"claims\"><thead><tr><th></th><th>ID</th><th>Claim</th><th>Seeds</th><th>Detail</th></tr></thead><tbody>"]
                for c in cs {
                    let back = cited.contains(c.id) ? " <a class=\"back\" href=\"#\(htmlEscape(Self.citeAnchor(c.id)))\" title=\"back to the text\">↩</a>" : ""
                    rows.append("<tr id=\"\(htmlEscape(Self.rowAnchor(c.id)))\" class=\"\(c.status.rawValue)\">"
                        + "<td class=\"mark\">\(Self.mark(c.status, html: true)) \(c.status.rawValue)</td>"
                        + "<td class=\"id\">\(htmlEscape(c.id))\(back)</td><td>\(htmlEscape(c.statement))</td>"
                        + "<td>\(htmlEscape(Self.seedsNote(c)))</td><td>\(detail(c, html: true))</td></tr>")
                }
                rows.append("</tbody></table></div>")
                out.append("<h3 id=\"\(Self.sectionAnchor(section))\">\(htmlEscape(section))</h3>\n" + rows.joined())
            } else {
                var rows = ["<a id=\"\(Self.sectionAnchor(section))\"></a>\n\n### \(section)\n", "| | ID | Claim | Seeds | Detail |", "|---|---|---|---|---|"]
                for c in cs {
                    let back = cited.contains(c.id) ? " [↩](#\(Self.citeAnchor(c.id)))" : ""
                    var row = Self.tableRow([Self.mark(c.status) + " " + c.status.rawValue, c.id, c.statement, Self.seedsNote(c)], html: false)
                    row = row.replacingOccurrences(of: "| \(c.id) |", with: "| <a id=\"\(Self.rowAnchor(c.id))\"></a>\(c.id)\(back) |")
                    rows.append(row + " \(detail(c, html: false)) |")
                }
                out.append(rows.joined(separator: "\n"))
            }
        }
        return out.joined(separator: "\n\n")
    }

    /// The folded detail of a claim: paper and ours, the tolerance and its reason, each seed, the cause, the config hash.
    func detail(_ c: Claim, html: Bool) -> String {
        func e(_ s: String) -> String {
            html ? htmlEscape(s) : htmlEscape(s).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var parts = ["<b>paper</b> " + e(c.paperValue.map { "\($0)" } ?? "—"), "<b>ours</b> " + e(Self.ours(c)),
                     "<b>kind</b> " + c.kind.rawValue, "<b>tolerance or rule</b> " + e(c.tolerance), "<b>why</b> " + e(c.reason)]
        if let sp = c.spread { parts.append("<b>spread</b> " + e(sp)) }
        if let seeds = c.seeds, seeds.count > 1 {
            parts.append("<b>each seed</b> " + seeds.map { s in e(s.value.map { "\($0)" } ?? "—") + " " + Self.mark(s.status, html: html) }.joined(separator: "; "))
        }
        if let cause = c.cause, c.status == .fail || c.status == .inconclusive {
            parts.append("<b>cause</b> " + e(cause.kind.rawValue + ": " + cause.detail))
        }
        if let x = comparisons[c.id] {
            parts.append("<b>PyTorch</b> " + e(x.torchValue + " (" + x.torchStatus.rawValue + "): " + x.mark.rawValue + ", " + x.why
                                                  + (x.note.map { ". Found: " + $0 } ?? "")))
        }
        if !c.configHash.isEmpty { parts.append("<b>experiment</b> \(e(c.experiment)), config hash <code>\(e(c.configHash))</code>") }
        let summary = "ours " + e(Self.ours(c)) + " · paper " + e(c.paperValue.map { "\($0)" } ?? "—")
        return "<details><summary>\(summary)</summary>" + parts.joined(separator: "<br>") + "</details>"
    }

    /// "**k of n cross-checked claims agree**, d differ, s stale (…)." from the cross-check; nil without one. When every
    /// claim is stale, it says that none was compared.
    public func crossCheckLine() -> String? {
        guard crossCheck != nil else { return nil }
        let list = orderedClaims.compactMap { comparisons[$0.id] }
        let agree = list.filter { $0.mark == .agrees }.count, differ = list.filter { $0.mark == .differs }.count
        let stale = list.filter { $0.mark == .stale }.count, noise = list.filter { $0.withinNoise == true }.count
        if stale > 0 && stale == list.count {
            return "**none of the \(stale) cross-checked claims is compared**: every experiment it covers changed since it ran "
                + "(config or code), so all \(stale) are stale until `make crosscheck` reruns it."
        }
        var s = "**\(agree) of \(list.count) cross-checked claims agree**"
        if differ > 0 {
            s += ", \(differ) \(differ == 1 ? "differs" : "differ")"
            if noise > 0 { s += " (\(noise == differ ? (differ == 1 ? "its verdict" : "all") : "\(noise)") within the seeds' noise)" }
            let open = list.filter(\.unexplained).count
            if differ > noise { s += open == 0 ? "; each difference beyond the noise has a written finding" : "; \(open) not yet looked into" }
        }
        return s + (stale > 0 ? ", \(stale) stale (their experiment changed since the cross-check ran; not compared)" : "") + "."
    }

    /// `{{crosscheck}}`: where the PyTorch cross-check ran, how many covered claims agree, and each covered claim beside
    /// ours; or that there is none.
    func crossCheckSection(target: ReportTarget) -> String {
        guard let x = crossCheck else {
            return "No cross-check is on record (paper/crosscheck.json is missing): `make crosscheck` makes one."
        }
        let isHTML = target.isHTML
        let list = orderedClaims.compactMap { c in comparisons[c.id].map { (c, $0) } }
        let p = x.provenance
        let runs = x.experiments.map { e in "\(e.id) (\(e.seeds.count) seeds, \(e.models) models, \(Int(e.seconds.rounded())) s)" }
        var s = crossCheckLine() ?? ""
        s += " The reference: PyTorch \(p.torch) (Python \(p.python)) on \(p.machine), \(p.threads) \(p.threads == 1 ? "process" : "processes") of one torch thread each; "
        s += "it trained " + runs.joined(separator: ", ") + "; latest run \(p.date), commit `\(p.commit)`.\n\n"
        let mark: (CrossMark) -> String = { m in
            switch m {
            case .agrees: return isHTML ? "✓ agrees" : "✅ agrees"
            case .differs: return isHTML ? "✗ differs" : "❌ differs"
            case .stale: return isHTML ? "○ stale" : "⚪ stale"
            }
        }
        var rows = ["| | Claim | Ours (seeds) | PyTorch | Verdicts: ours, PyTorch | Why |", "|---|---|---|---|---|---|"]
        for (c, cmp) in list {
            var row = Self.tableRow([mark(cmp.mark), c.id, cmp.oursValue ?? Self.ours(c) + " (\(Self.seedsNote(c)))", cmp.torchValue,
                                     c.status.rawValue + ", " + cmp.torchStatus.rawValue,
                                     cmp.why + (cmp.note.map { ". **Found:** " + $0 } ?? "")], html: isHTML)
            row = row.replacingOccurrences(of: "| \(isHTML ? htmlEscape(c.id) : c.id) |", with: "| [\(c.id)](#\(Self.rowAnchor(c.id))) |")
            rows.append(row)
        }
        return s + (list.isEmpty ? "The file covers none of this run's claims." : rows.joined(separator: "\n"))
    }
}
