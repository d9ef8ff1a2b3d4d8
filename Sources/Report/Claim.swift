// A claim of the paper as data: its catalogue ID, the paper's value, ours, the tolerance with its reason,
// and a status computed by code from a run's results. The constructors here are the only ways to make one.

import Foundation

/// Whether a claim held in our run.
public enum ClaimStatus: String, Codable, Sendable, CaseIterable {
    case pass, fail, unchecked
}

/// A value in a claim: a number, or a short description for qualitative claims.
public enum ClaimValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let d): try c.encode(d)
        case .text(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let d): return formatNumber(d)
        case .text(let s): return s
        }
    }
}

/// A checked (or explicitly unchecked) claim.
public struct Claim: Codable, Sendable, Equatable {
    /// The catalogue's ID (C1.1, …) or ours (B1, …).
    public var id: String
    public var section: String
    public var statement: String
    public var paperValue: ClaimValue?
    public var ourValue: ClaimValue?
    /// The tolerance or the rule, e.g. "±0.05" or "every gap within 72° ± 12°".
    public var tolerance: String
    /// Why this tolerance or rule (or, for unchecked claims, why there is no check).
    public var reason: String
    public var status: ClaimStatus
    /// Filled in by the pipeline: the experiment, its root seed and the hash of its config.
    public var experiment: String = ""
    public var seed: UInt64 = 0
    public var configHash: String = ""

    enum CodingKeys: String, CodingKey {
        case id, section, statement, paperValue = "paper_value", ourValue = "our_value", tolerance, reason, status,
             experiment, seed, configHash = "config_hash"
    }

    /// A quantitative claim: passes when |ours − paper| ≤ tolerance.
    public static func within(_ id: String, section: String, _ statement: String, paper: Double, ours: Double,
                              tolerance: Double, reason: String) -> Claim {
        let ok = ours.isFinite && abs(ours - paper) <= tolerance
        return Claim(id: id, section: section, statement: statement, paperValue: .number(paper),
                     ourValue: .number(round6(ours)), tolerance: "±" + formatNumber(tolerance), reason: reason,
                     status: ok ? .pass : .fail)
    }

    /// A claim judged by an explicit rule, computed by the caller: passes when `holds`.
    public static func rule(_ id: String, section: String, _ statement: String, paper: String, ours: String,
                            rule: String, reason: String, holds: Bool) -> Claim {
        Claim(id: id, section: section, statement: statement, paperValue: .text(paper), ourValue: .text(ours),
              tolerance: rule, reason: reason, status: holds ? .pass : .fail)
    }

    /// A claim we list but do not check, with the reason.
    public static func unchecked(_ id: String, section: String, _ statement: String, paper: String,
                                 reason: String) -> Claim {
        Claim(id: id, section: section, statement: statement, paperValue: .text(paper), ourValue: nil,
              tolerance: "—", reason: reason, status: .unchecked)
    }
}

/// Rounds to 6 significant digits, so claims.json holds readable numbers.
public func round6(_ x: Double) -> Double {
    guard x.isFinite, x != 0 else { return x }
    return Double(String(format: "%.6g", x)) ?? x
}

/// A number as the report shows it: up to 4 significant digits, no exponent for ordinary magnitudes.
public func formatNumber(_ x: Double) -> String {
    guard x.isFinite else { return String(x) }
    if x == x.rounded() && abs(x) < 1e6 { return String(format: "%.0f", x) }
    let a = abs(x)
    if a >= 1e-3 && a < 1e6 {
        var s = String(format: "%.4g", x)
        if s.contains("e") { s = String(format: "%.4f", x) }
        return s
    }
    return String(format: "%.3e", x)
}
