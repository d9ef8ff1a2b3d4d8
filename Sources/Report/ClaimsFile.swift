// paper/claims.json: every claim of the run, sorted as the report lists them, with nothing that changes from
// run to run (no times, no dates), encoded with sorted keys so that the same results give the same bytes.

import Foundation

/// The committed claims file.
public struct ClaimsFile: Codable, Sendable, Equatable {
    public var format: Int = 2
    /// Claims by kind, then by status: {"exact": {"pass": …}, "trained": {…}}. Counted apart, so that the pass count
    /// cannot be read as a fidelity score.
    public var summary: [String: [String: Int]]
    public var claims: [Claim]

    public init(claims: [Claim]) {
        self.claims = claims
        summary = Self.counts(claims)
    }

    /// Claims by kind and status (every status present, zero included).
    public static func counts(_ claims: [Claim]) -> [String: [String: Int]] {
        var s: [String: [String: Int]] = [:]
        for k in ClaimKind.allCases {
            var row: [String: Int] = [:]
            for st in ClaimStatus.allCases { row[st.rawValue] = claims.filter { $0.kind == k && $0.status == st }.count }
            s[k.rawValue] = row
        }
        return s
    }

    /// The file's bytes: pretty-printed JSON with sorted keys and a final newline.
    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var d = try enc.encode(self)
        d.append(0x0A)
        return d
    }

    /// Reads a claims file, naming the file when it is not valid.
    public static func read(_ url: URL) throws -> ClaimsFile {
        do { return try JSONDecoder().decode(ClaimsFile.self, from: Data(contentsOf: url)) }
        catch { throw ReportError.badClaimsFile(url.path, "\(error)") }
    }
}

/// Errors of the report layer.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case unknownPlaceholder(file: String, line: Int, text: String, known: String)
    case malformedPlaceholder(file: String, line: Int, text: String)
    case duplicateClaim(String)
    case badClaimsFile(String, String)
    case markdown(String)
    case badCauses(String)
    /// paper/crosscheck.json does not parse, or has another format.
    case badCrossCheck(String)

    public var description: String {
        switch self {
        case .unknownPlaceholder(let f, let l, let t, let known): return "\(f):\(l): \(t) names nothing known (\(known))"
        case .malformedPlaceholder(let f, let l, let t):
            return "\(f):\(l): malformed placeholder \(t): see the list at the top of Template.swift ({{claim ID}}, {{figure NAME | what it reproduces}}, {{claims-table}}, …)"
        case .duplicateClaim(let id): return "claim \(id) is produced twice"
        case .badClaimsFile(let p, let why): return "\(p) is not a valid claims file: \(why)"
        case .markdown(let s): return "markdown: \(s)"
        case .badCauses(let s): return s
        case .badCrossCheck(let s): return s
        }
    }
}

/// The rows of a tab-separated table with `columns` cells (the last takes the rest of the line), with their line
/// numbers; blank lines and lines starting with # are skipped. A row with an empty first or last cell, or too few
/// cells, throws `error(line)`.
func tabRows(_ text: String, columns: Int, error: (Int) -> Error) throws -> [(line: Int, cells: [String])] {
    var rows: [(line: Int, cells: [String])] = []
    for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { continue }
        let cells = raw.split(separator: "\t", maxSplits: columns - 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard cells.count == columns, !cells[0].isEmpty, !cells[columns - 1].isEmpty else { throw error(k + 1) }
        rows.append((k + 1, cells))
    }
    return rows
}

/// paper/causes.tsv: why a claim that does not pass does not, one line per claim:
///   ID <tab> cause <tab> evidence, or what would settle it
/// where the cause is one of `FailureCause.Kind`'s names. Blank lines and lines starting with # are skipped. A cause
/// is shown only while its claim fails or is inconclusive; the words about the outcome stay with the status.
public enum CausesFile {
    /// Parses the table, naming the file and line of anything malformed.
    public static func parse(_ text: String, file: String) throws -> [String: FailureCause] {
        var out: [String: FailureCause] = [:]
        for (line, cells) in try tabRows(text, columns: 3, error: { ReportError.badCauses("\(file):\($0): expected ID<tab>cause<tab>evidence") }) {
            guard let kind = FailureCause.Kind(rawValue: cells[1]) else {
                throw ReportError.badCauses("\(file):\(line): unknown cause '\(cells[1])'; use one of: "
                                            + FailureCause.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard out[cells[0]] == nil else { throw ReportError.badCauses("\(file):\(line): \(cells[0]) has a cause already") }
            out[cells[0]] = FailureCause(kind, cells[2])
        }
        return out
    }

    /// Attaches each cause to its claim where the claim does not pass; a cause naming no claim is an error.
    public static func apply(_ causes: [String: FailureCause], to claims: [Claim], file: String) throws -> [Claim] {
        let known = Set(claims.map(\.id))
        if let unknown = causes.keys.sorted().first(where: { !known.contains($0) }) {
            throw ReportError.badCauses("\(file): \(unknown) names no claim of this run")
        }
        return claims.map { c in
            guard let cause = causes[c.id], c.status == .fail || c.status == .inconclusive else { return c }
            var c = c; c.cause = cause; return c
        }
    }
}
