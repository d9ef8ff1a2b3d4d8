// The report's prose lives in paper/src/*.md with placeholders, filled from a run's claims and figures:
//   {{claim C1.1}}       our value against the paper's, the tolerance and a pass/fail mark
//   {{figure NAME}}      the figure with its caption
//   {{claims-table}}     every claim of the run in one table
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

    /// Renders one source file.
    public func render(_ source: String, file: String, for target: ReportTarget) throws -> String {
        var out: [String] = []
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            out.append(try renderLine(String(line), file: file, line: index + 1, target: target))
        }
        return out.joined(separator: "\n")
    }

    private func renderLine(_ line: String, file: String, line number: Int, target: ReportTarget) throws -> String {
        var result = ""
        var rest = line[...]
        while let open = rest.range(of: "{{") {
            result += rest[rest.startIndex..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ReportError.malformedPlaceholder(file: file, line: number, text: String(rest[open.lowerBound...]))
            }
            let raw = String(rest[open.lowerBound..<close.upperBound])
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
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
            default:
                throw ReportError.malformedPlaceholder(file: file, line: number, text: raw)
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// The status mark: emoji in Markdown (as GitHub shows them), glyphs every text font has in HTML.
    static func mark(_ s: ClaimStatus, html: Bool = false) -> String {
        switch s {
        case .pass: return html ? "✓" : "✅"
        case .fail: return html ? "✗" : "❌"
        case .unchecked: return html ? "○" : "⚪"
        }
    }

    func inlineClaim(_ c: Claim, target: ReportTarget) -> String {
        let ours = c.ourValue.map { "\($0)" } ?? "not checked"
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
        var rows = ["| | ID | Section | Claim | Paper | Ours | Tolerance or rule | Why this tolerance |",
                    "|---|---|---|---|---|---|---|---|"]
        for c in orderedClaims {
            let isHTML: Bool
            if case .html = target { isHTML = true } else { isHTML = false }
            let cells = [Self.mark(c.status, html: isHTML) + " " + c.status.rawValue, c.id, c.section, c.statement,
                         c.paperValue.map { "\($0)" } ?? "—", c.ourValue.map { "\($0)" } ?? "—", c.tolerance, c.reason]
            let escaped = cells.map { cell -> String in
                let e = cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
                if case .html = target { return htmlEscape(e) }
                return e
            }
            rows.append("| " + escaped.joined(separator: " | ") + " |")
        }
        return rows.joined(separator: "\n")
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
