// The report's prose lives in paper/src/*.md with placeholders, filled from a run's claims and figures:
//   {{claim C1.1}}       a short mark: status, ID (linked to its row in the claims table) and how many seeds agree;
//                        the failures table links the claim to the figure before it (or after, if none is before)
//   {{claim C1.1 | no figure}}  the same mark, for a claim whose statistic no figure shows: the failures table links
//                        it to no figure, wherever else it is cited
//   {{figure NAME | TEXT}}  the figure, numbered in order of appearance, with TEXT saying which figure of the paper it
//                        reproduces ("the paper's Fig 3.2", "beyond the paper"), its caption, data and provenance
//   {{marks}}            the legend of the status marks, as the target shows them
//   {{headline}}         one sentence: how many of the paper's claims we check, and how many pass, fail, are inconclusive
//   {{claims-table}}     every claim of the run, grouped by section, its detail folded in <details>
//   {{summary-table}}    claims by section, kind (trained / exact) and status
//   {{failures-table}}   every failing or inconclusive claim with its cause, linked to its claim and figure
//   {{spread ID}}        a trained claim's spread over seeds ("4 of 5 seeds hold; median …")
//   {{value ID}}         our value of a claim (the median over seeds for a number)
//   {{paper ID}}         the paper's value of a claim
//   {{when ID pass: TEXT || fail: TEXT || otherwise: TEXT}}   text chosen by the claim's status, so that prose
//                        about an outcome cannot contradict it (statuses: pass, fail, inconclusive, unchecked)
//   {{crosscheck}}       the PyTorch cross-check (paper/crosscheck.json): its summary, provenance and every covered
//                        claim beside ours (agrees, differs, stale)
//   {{crosscheck-line}}  its one-line summary ("k of n cross-checked claims agree"), or that there is none
//   {{tier ID}}          where experiment ID's results come from: this build, or (an opt-in tier's experiment) the
//                        committed run that trained them, with its provenance
// An unknown or malformed placeholder is an error naming the file and line.

import Foundation

/// A figure the report can show, with what the site prints under it.
public struct FigureRef: Sendable, Equatable {
    public var name: String
    public var caption: String
    /// The experiment that drew it, its config hash and its independent root seeds (the figure shows the first).
    public var experiment: String
    public var configHash: String
    public var seeds: [UInt64]
    /// Its size in points, and the smallest font size of its text (how small the site may show it).
    public var width: Double
    public var height: Double
    public var smallestText: Double
    /// The file with the data it is drawn from, relative to the site (nil when none is written).
    public var dataFile: String?

    public init(name: String, caption: String, experiment: String = "", configHash: String = "", seeds: [UInt64] = [],
                width: Double = 0, height: Double = 0, smallestText: Double = 0, dataFile: String? = nil) {
        self.name = name; self.caption = caption; self.experiment = experiment; self.configHash = configHash
        self.seeds = seeds; self.width = width; self.height = height; self.smallestText = smallestText; self.dataFile = dataFile
    }
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
    /// Where each experiment's results come from (`{{tier ID}}`), by experiment.
    public let tierNotes: [String: String]
    /// Each figure's number, in order of first appearance in the sources.
    public let figureNumbers: [String: Int]
    /// For each claim cited in the prose, the figure placed nearest before it in the same file (else the first after).
    let claimFigures: [String: String]
    /// Claims cited in the prose: their rows in the claims table link back to the first citation.
    let cited: Set<String>
    /// The commit the site was built from (shown under each figure on the site), if known.
    let commit: String?
    /// Which claims have been cited so far, per target: the first citation carries the anchor the table links back to.
    let seen = Seen()
    final class Seen: @unchecked Sendable { var ids: [Bool: Set<String>] = [:] }

    /// The PyTorch cross-check (paper/crosscheck.json), when there is one.
    let crossCheck: CrossCheckFile?
    /// Each covered claim beside the cross-check's, by ID.
    let comparisons: [String: CrossComparison]

    /// - Parameter sources: the report's source files (name, text), scanned for the order of figures and citations.
    /// - Parameter crossCheckNotes: what we found where a covered claim differs (paper/crosscheck-notes.tsv), by ID.
    public init(claims: [Claim], figures: [FigureRef], sources: [(file: String, text: String)] = [], commit: String? = nil,
                crossCheck: CrossCheckFile? = nil, crossCheckNotes: [String: String] = [:], tierNotes: [String: String] = [:]) throws {
        self.crossCheck = crossCheck
        self.tierNotes = tierNotes
        comparisons = Dictionary((try crossCheck?.comparisons(with: claims, notes: crossCheckNotes) ?? []).map { ($0.id, $0) },
                                 uniquingKeysWith: { a, _ in a })
        var byId: [String: Claim] = [:]
        for c in claims {
            guard byId[c.id] == nil else { throw ReportError.duplicateClaim(c.id) }
            byId[c.id] = c
        }
        self.claims = byId
        orderedClaims = claims
        self.figures = Dictionary(figures.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.commit = commit
        var numbers: [String: Int] = [:], near: [String: String] = [:], cited: Set<String> = []
        // A claim cited as `{{claim ID | no figure}}` (no figure shows its statistic) links to none.
        let unlinked = Set(sources.flatMap { Self.unlinkedClaims(in: $0.text) })
        for (_, text) in sources {
            var lastFigure: String? = nil, waiting: [String] = []
            for (kind, name) in Self.placements(in: text) {
                if kind == "figure" {
                    if numbers[name] == nil { numbers[name] = numbers.count + 1 }
                    for id in waiting where near[id] == nil { near[id] = name }
                    waiting = []
                    lastFigure = name
                } else {
                    cited.insert(name)
                    if unlinked.contains(name) { continue }
                    if let f = lastFigure { if near[name] == nil { near[name] = f } } else { waiting.append(name) }
                }
            }
        }
        figureNumbers = numbers; claimFigures = near; self.cited = cited
    }

    /// The `{{figure NAME …}}` and `{{claim ID …}}` placeholders of a source text, in order: ("figure", NAME) or
    /// ("claim", ID).
    public static func placements(in text: String) -> [(kind: String, name: String)] {
        text.matches(of: /\{\{\s*(figure|claim)\s+([^\s|}]+)/).map { (String($0.output.1), String($0.output.2)) }
    }

    /// The claims cited as `{{claim ID | no figure}}`: the failures table links them to no figure.
    static func unlinkedClaims(in text: String) -> [String] {
        text.matches(of: /\{\{\s*claim\s+([^\s|}]+)\s*\|\s*no\s+figure\s*\}\}/).map { String($0.output.1) }
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
                // `{{claim ID}}`, or `{{claim ID | no figure}}` where no figure shows the claim's statistic.
                let spec = parts[1].split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard spec.count == 1 || spec[1].split(separator: " ") == ["no", "figure"] else {
                    throw ReportError.malformedPlaceholder(file: file, line: number, text: raw + " (the only option of a claim is `| no figure`)")
                }
                guard let c = claims[spec[0]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "claims: " + claims.keys.sorted().joined(separator: ", "))
                }
                result += inlineClaim(c, target: target)
            case ("figure", 2):
                let spec = parts[1].split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard let f = figures[spec[0]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "figures: " + figures.keys.sorted().joined(separator: ", "))
                }
                guard spec.count == 2, !spec[1].isEmpty else {
                    throw ReportError.malformedPlaceholder(file: file, line: number,
                                                           text: raw + " (say which figure of the paper it reproduces: {{figure \(spec[0]) | the paper's Fig …}})")
                }
                result += figure(f, reproduces: spec[1], target: target)
            case ("headline", 1):
                result += headline()
            case ("marks", 1):
                result += ClaimStatus.allCases.map { st in
                    let word = st == .unchecked ? "not checked" : st.rawValue
                    return target.isHTML ? "<span class=\"mark \(st.rawValue)\">\(Self.mark(st, html: true))</span> \(word)" : "\(Self.mark(st)) \(word)"
                }.joined(separator: ", ")
            case ("claims-table", 1):
                result += claimsTable(target: target)
            case ("summary-table", 1):
                result += summaryTable()
            case ("failures-table", 1):
                result += failuresTable(target: target)
            case ("crosscheck", 1):
                result += crossCheckSection(target: target)
            case ("tier", 2):
                guard let note = tierNotes[parts[1]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "experiments: " + tierNotes.keys.sorted().joined(separator: ", "))
                }
                result += note
            case ("crosscheck-line", 1):
                result += crossCheckLine() ?? "No cross-check against a second implementation is on record."
            case ("spread", 2), ("value", 2), ("paper", 2), ("when", 2):
                let words = parts[1].split(separator: " ", maxSplits: 1).map(String.init)
                guard let c = claims[words[0]] else {
                    throw ReportError.unknownPlaceholder(file: file, line: number, text: raw,
                                                         known: "claims: " + claims.keys.sorted().joined(separator: ", "))
                }
                switch parts[0] {
                case "spread": result += c.spread ?? (c.kind == .exact ? "exact, no seeds" : "one seed")
                case "value": result += c.ourValue.map { "\($0)" } ?? "not checked"
                case "paper": result += c.paperValue.map { "\($0)" } ?? "not given"
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
