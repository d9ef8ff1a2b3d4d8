// The report's prose lives in paper/src/*.md with placeholders, filled from a run's claims and figures:
//   {{claim C1.1}}       our value against the paper's, the tolerance and a pass/fail mark
//   {{figure NAME}}      the figure with its caption
//   {{claims-table}}     every claim of the run in one table
//   {{summary-table}}    claims by section, kind (trained / exact) and status
//   {{failures-table}}   every failing or inconclusive claim with its cause
//   {{spread ID}}        a trained claim's spread over seeds ("4 of 5 seeds hold; median …")
//   {{value ID}}         our value of a claim
//   {{when ID pass: TEXT || fail: TEXT || otherwise: TEXT}}   text chosen by the claim's status, so that prose
//                        about an outcome cannot contradict it (statuses: pass, fail, inconclusive, unchecked)
// An unknown or malformed placeholder is an error naming the file and line.

import Foundation

/// A figure the report can show.
public struct FigureRef: Sendable, Equatable {
    public var name: String
    public var caption: String
    public init(name: String, caption: String) { self.name = name; self.caption = caption }
}

/// What the report is rendered for: GitHub-readable Markdown, or Markdown that becomes the HTML site.
public enum ReportTarget: Sendable {
    /// paper/report.md: figures as PNG under `figureDir`, marks as emoji.
    case markdown(figureDir: String)
    /// The site: figures as SVG under `figureDir`, marks as styled HTML spans.
    case html(figureDir: String)
}

/// Fills placeholders.
public struct Template {
    public let claims: [String: Claim]
    public let orderedClaims: [Claim]
    public let figures: [String: FigureRef]

    public init(claims: [Claim], figures: [FigureRef]) throws {
        var byId: [String: Claim] = [:]
        for c in claims {
            guard byId[c.id] == nil else { throw ReportError.duplicateClaim(c.id) }
            byId[c.id] = c
        }
        self.claims = byId
        orderedClaims = claims
        self.figures = Dictionary(figures.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Renders one source file. A placeholder may span lines (a `when` with long texts).
    public func render(_ source: String, file: String, for target: ReportTarget) throws -> String {
        var result = ""
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            result += rest[rest.startIndex..<open.lowerBound]
            let number = source[source.startIndex..<open.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            guard let close = rest[open.upperBound...].range(of: "}}"),
                  !rest[open.upperBound..<close.lowerBound].contains("{{") else {
                let tail = rest[open.lowerBound...].prefix { $0 != "\n" }
                throw ReportError.malformedPlaceholder(file: file, line: number, text: String(tail))
            }
            let raw = String(rest[open.lowerBound..<close.upperBound])
            let inner = rest[open.upperBound..<close.lowerBound].replacingOccurrences(of: "\n", with: " ")
                .trimmingCharacters(in: .whitespaces)
            let parts = inner.split(separator: " ", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count) {
            case ("claim", 2):
                guard let c = claims[parts[1]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "claims: " + claims.keys.sorted().joined(separator: ", "))
                }
                result += inlineClaim(c, target: target)
            case ("figure", 2):
                guard let f = figures[parts[1]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "figures: " + figures.keys.sorted().joined(separator: ", "))
                }
                result += figure(f, target: target)
            case ("claims-table", 1):
                result += claimsTable(target: target)
            case ("summary-table", 1):
                result += summaryTable()
            case ("failures-table", 1):
                result += failuresTable(target: target)
            case ("spread", 2), ("value", 2), ("when", 2):
                let words = parts[1].split(separator: " ", maxSplits: 1).map(String.init)
                guard let c = claims[words[0]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "claims: " + claims.keys.sorted().joined(separator: ", "))
                }
                switch parts[0] {
                case "spread": result += c.spread ?? (c.kind == .exact ? "exact, no seeds" : "one seed")
                case "value": result += c.ourValue.map { "\($0)" } ?? "not checked"
                default:
                    guard words.count == 2, let text = Self.choose(words[1], status: c.status) else {
                        throw ReportError.malformedPlaceholder(file: file, line: number, text: raw)
                    }
                    result += text
                }
            default:
                throw ReportError.malformedPlaceholder(file: file, line: number, text: raw)
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// The text of `{{when ID status: TEXT || …}}` for `status`: its own branch, else `otherwise`; nil when the
    /// branches are malformed or none applies.
    static func choose(_ spec: String, status: ClaimStatus) -> String? {
        var branches: [String: String] = [:]
        for part in spec.components(separatedBy: "||") {
            guard let colon = part.firstIndex(of: ":") else { return nil }
            let name = part[..<colon].trimmingCharacters(in: .whitespaces)
            guard name == "otherwise" || ClaimStatus(rawValue: name) != nil else { return nil }
            branches[name] = part[part.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        return branches[status.rawValue] ?? branches["otherwise"]
    }

    /// The status mark: emoji in Markdown (as GitHub shows them), glyphs every text font has in HTML.
    static func mark(_ s: ClaimStatus, html: Bool = false) -> String {
        switch s {
        case .pass: return html ? "✓" : "✅"
        case .fail: return html ? "✗" : "❌"
        case .inconclusive: return html ? "?" : "🟡"
        case .unchecked: return html ? "○" : "⚪"
        }
    }

    /// Claims by section (in the paper's order: §1…§13, the appendix, then beyond the paper): for each kind, how many
    /// pass, fail, are inconclusive or unchecked; totals for the paper and for beyond it, counted apart.
    func summaryTable() -> String {
        var sections: [String] = []
        for c in orderedClaims where !sections.contains(c.section) { sections.append(c.section) }
        sections.sort { (Self.sectionOrder($0), $0) < (Self.sectionOrder($1), $1) }
        var rows = ["| Section | trained: pass | fail | inconclusive | unchecked | exact: pass | fail | unchecked |",
                    "|---|---|---|---|---|---|---|---|"]
        func row(_ name: String, _ cs: [Claim]) -> String {
            func n(_ k: ClaimKind, _ s: ClaimStatus) -> Int { cs.filter { $0.kind == k && $0.status == s }.count }
            return "| \(name) | \(n(.trained, .pass)) | \(n(.trained, .fail)) | \(n(.trained, .inconclusive)) | \(n(.trained, .unchecked)) | "
                + "\(n(.exact, .pass)) | \(n(.exact, .fail)) | \(n(.exact, .unchecked)) |"
        }
        for s in sections { rows.append(row(s, orderedClaims.filter { $0.section == s })) }
        let beyond = orderedClaims.filter { Self.sectionOrder($0.section) >= 200 }
        let paper = orderedClaims.filter { Self.sectionOrder($0.section) < 200 }
        rows.append(row("**the paper's claims**", paper))
        if !beyond.isEmpty { rows.append(row("**beyond the paper**", beyond)) }
        return rows.joined(separator: "\n")
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

    /// "What does not reproduce, and why": every failing or inconclusive claim with its cause.
    func failuresTable(target: ReportTarget) -> String {
        var rows = ["| | Claim | Section | Ours | Cause | Evidence, or what would settle it |", "|---|---|---|---|---|---|"]
        let isHTML = target.isHTML
        for c in orderedClaims where c.status == .fail || c.status == .inconclusive {
            // A missing cause is shown as missing, never under a kind it was not given.
            let cells = [Self.mark(c.status, html: isHTML) + " " + c.status.rawValue, c.id, c.section,
                         (c.ourValue.map { "\($0)" } ?? "—") + (c.spread.map { " (\($0))" } ?? ""),
                         c.cause?.kind.rawValue ?? "none recorded", c.cause?.detail ?? c.reason]
            rows.append(Self.tableRow(cells, html: isHTML))
        }
        return rows.count == 2 ? "Every checked claim passes." : rows.joined(separator: "\n")
    }

    func inlineClaim(_ c: Claim, target: ReportTarget) -> String {
        var ours = c.ourValue.map { "\($0)" } ?? "not checked"
        if let se = c.standardError { ours += " ± " + formatNumber(se) }
        if let sp = c.spread { ours += " (" + sp + ")" }
        let paper = c.paperValue.map { "\($0)" } ?? "—"
        switch target {
        case .markdown:
            return "\(Self.mark(c.status)) **\(c.id)** ours **\(mdEscape(ours))** · paper \(mdEscape(paper)) · tolerance \(mdEscape(c.tolerance))"
        case .html:
            return "<span class=\"claim \(c.status.rawValue)\" id=\"claim-\(htmlEscape(c.id))\" title=\"\(htmlEscape(c.reason))\">"
                + "<span class=\"mark\">\(Self.mark(c.status, html: true)) \(c.status.rawValue)</span> <b>\(htmlEscape(c.id))</b> "
                + "ours <b>\(htmlEscape(ours))</b> · paper \(htmlEscape(paper)) <span class=\"tol\">· tolerance \(htmlEscape(c.tolerance))</span></span>"
        }
    }

    func figure(_ f: FigureRef, target: ReportTarget) -> String {
        switch target {
        case .markdown(let dir):
            return "![Figure \(f.name)](\(dir)/\(f.name).png)\n\n*Figure \(f.name): \(mdEscape(f.caption))*"
        case .html(let dir):
            return "<figure id=\"fig-\(htmlEscape(f.name))\"><img src=\"\(dir)/\(f.name).svg\" alt=\"\(htmlEscape(f.caption))\">"
                + "<figcaption><b>\(htmlEscape(f.name))</b>: \(htmlEscape(f.caption))</figcaption></figure>"
        }
    }

    func claimsTable(target: ReportTarget) -> String {
        var rows = ["| | ID | Kind | Section | Claim | Paper | Ours | Seeds | Tolerance or rule | Why this tolerance |",
                    "|---|---|---|---|---|---|---|---|---|---|"]
        let isHTML = target.isHTML
        for c in orderedClaims {
            let perSeed = c.seeds.map { $0.map { s in (s.value.map { "\($0)" } ?? "—") + " " + Self.mark(s.status, html: isHTML) }.joined(separator: "; ") }
            let ours = (c.ourValue.map { "\($0)" } ?? "—") + (c.standardError.map { " ± " + formatNumber($0) } ?? "")
            let seedsCell = [c.spread, perSeed].compactMap { $0 }.joined(separator: ": ")
            let cells = [Self.mark(c.status, html: isHTML) + " " + c.status.rawValue, c.id, c.kind.rawValue, c.section, c.statement,
                         c.paperValue.map { "\($0)" } ?? "—", ours, seedsCell.isEmpty ? "—" : seedsCell, c.tolerance, c.reason]
            rows.append(Self.tableRow(cells, html: isHTML))
        }
        return rows.joined(separator: "\n")
    }
}

extension ReportTarget {
    var isHTML: Bool { if case .html = self { return true } else { return false } }
}

extension Template {
    /// One row of a Markdown table: pipes and line breaks escaped in each cell, and HTML-escaped for the site.
    static func tableRow(_ cells: [String], html: Bool) -> String {
        "| " + cells.map { cell -> String in
            let e = cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
            return html ? htmlEscape(e) : e
        }.joined(separator: " | ") + " |"
    }
}

/// Escapes the characters Markdown would read as emphasis or links in a value.
func mdEscape(_ s: String) -> String {
    var out = ""
    for ch in s {
        if "*_[]`<>".contains(ch) { out.append("\\") }
        out.append(ch)
    }
    return out
}

/// Escapes text for HTML content and attributes.
public func htmlEscape(_ s: String) -> String {
    var out = ""
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(ch)
        }
    }
    return out
}
