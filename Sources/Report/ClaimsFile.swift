// paper/claims.json: every claim of the run, sorted as the report lists them, with nothing that changes from
// run to run (no times, no dates), encoded with sorted keys so that the same results give the same bytes.

import Foundation

/// The committed claims file.
public struct ClaimsFile: Codable, Sendable, Equatable {
    public var format: Int = 1
    public var summary: [String: Int]
    public var claims: [Claim]

    public init(claims: [Claim]) {
        self.claims = claims
        var s: [String: Int] = [:]
        for st in ClaimStatus.allCases { s[st.rawValue] = claims.filter { $0.status == st }.count }
        summary = s
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

    public var description: String {
        switch self {
        case .unknownPlaceholder(let f, let l, let t, let known): return "\(f):\(l): \(t) names nothing known (\(known))"
        case .malformedPlaceholder(let f, let l, let t):
            return "\(f):\(l): malformed placeholder \(t): use {{claim ID}}, {{figure NAME}} or {{claims-table}}"
        case .duplicateClaim(let id): return "claim \(id) is produced twice"
        case .badClaimsFile(let p, let why): return "\(p) is not a valid claims file: \(why)"
        case .markdown(let s): return "markdown: \(s)"
        }
    }
}
