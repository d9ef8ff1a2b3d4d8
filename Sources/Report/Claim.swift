// A claim of the paper as data: its catalogue ID, the paper's value, ours, the tolerance with its reason,
// and a status computed by code from a run's results. The constructors here are the only ways to make one.
// How a claim is judged (the report's front matter says the same):
//   - a trained claim is judged on each of several independent seeds, and `combine` joins them;
//   - an estimate within two standard errors of its threshold is inconclusive, never pass or fail;
//   - an exact claim (identity, closed form, construction) is checked once, with no training.

import Foundation

/// Whether a claim held in our run.
public enum ClaimStatus: String, Codable, Sendable, CaseIterable {
    /// Inconclusive: the estimate lies within two standard errors of its threshold, or the seeds disagree.
    case pass, fail, inconclusive, unchecked
}

/// What a claim's verdict rests on.
public enum ClaimKind: String, Codable, Sendable, CaseIterable {
    /// It depends on a model we trained: judged over seeds.
    case trained
    /// An identity, a closed form or a construction, checked numerically with no training.
    case exact
}

/// Why a claim does not pass: one of a fixed list, with the evidence or what would settle it.
public struct FailureCause: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The statement does not hold under our recipe at any seed.
        case doesNotHold = "does not hold"
        /// It holds under one recipe and not under another.
        case recipeDependent = "depends on the recipe"
        /// The paper under-specifies it; we say what we chose.
        case underSpecified = "under-specified"
        /// The estimate is inconclusive (noise, or seeds that disagree); what would settle it, at what cost.
        case inconclusive = "inconclusive"
    }
    public var kind: Kind
    public var detail: String
    public init(_ kind: Kind, _ detail: String) { self.kind = kind; self.detail = detail }
}

/// One seed's measurement of a trained claim.
public struct SeedValue: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var value: ClaimValue?
    public var status: ClaimStatus
    public init(seed: UInt64, value: ClaimValue?, status: ClaimStatus) { self.seed = seed; self.value = value; self.status = status }
}

/// The status of an estimate `value ± se` against a threshold: inconclusive within two standard errors of it.
/// `holds` says on which side the claim holds.
public func judge(_ value: Double, se: Double, threshold: Double, holdsAbove: Bool) -> ClaimStatus {
    guard value.isFinite else { return .fail }
    if se.isFinite && se > 0 && abs(value - threshold) < 2 * se { return .inconclusive }
    return (value > threshold) == holdsAbove ? .pass : .fail
}

/// How many of `k` seeds must hold for a trained claim to pass (and fail for it to fail): 4 of 5, 3 of 3.
public func seedsNeeded(_ k: Int) -> Int { max(1, Int((0.8 * Double(k)).rounded(.up))) }

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
    /// Trained (judged over seeds) or exact (no training).
    public var kind: ClaimKind = .trained
    /// The standard error of our value, where it is a Monte-Carlo estimate.
    public var standardError: Double? = nil
    /// Each seed's value and status (trained claims; filled in by `combine`).
    public var seeds: [SeedValue]? = nil
    /// The spread over seeds: median and range of numeric values, or how many seeds hold.
    public var spread: String? = nil
    /// Why a claim that does not pass does not: from paper/causes.tsv (`CausesFile`), or set by `combine` when
    /// the seeds split; shown only while the claim does not pass.
    public var cause: FailureCause? = nil
    /// Filled in by the pipeline: the experiment, its root seed and the hash of its config.
    public var experiment: String = ""
    public var seed: UInt64 = 0
    public var configHash: String = ""

    enum CodingKeys: String, CodingKey {
        case id, section, statement, paperValue = "paper_value", ourValue = "our_value", tolerance, reason, status,
             kind, standardError = "standard_error", seeds, spread, cause, experiment, seed, configHash = "config_hash"
    }

    /// Marks a claim whose rule was chosen after seeing the data: exploratory, reported with its value but neither
    /// passed nor failed (status unchecked).
    public func exploratory() -> Claim {
        var c = self
        c.status = .unchecked
        c.tolerance = "exploratory, not judged (the rule was set after seeing the data): " + c.tolerance
        return c
    }

    /// Marks the claim exact (no training).
    public func exact() -> Claim { var c = self; c.kind = .exact; return c }

    /// Attaches the cause to show when the claim does not pass.
    public func because(_ kind: FailureCause.Kind, _ detail: String) -> Claim { var c = self; c.cause = FailureCause(kind, detail); return c }

    /// Attaches a standard error to a claim whose status was judged by `judge` (the caller's status stands).
    public func withError(_ se: Double, status: ClaimStatus) -> Claim {
        var c = self; c.standardError = round6(se); c.status = status; return c
    }

    /// Joins one trained claim measured on several seeds (the first is the seed the figures show): it passes when at
    /// least `seedsNeeded(k)` seeds pass, fails when that many fail, and is inconclusive otherwise. Exact and
    /// unchecked claims are taken from the first seed.
    public static func combine(_ perSeed: [Claim], seeds: [UInt64]) -> Claim {
        precondition(!perSeed.isEmpty && perSeed.count == seeds.count)
        var c = perSeed[0]
        guard c.kind == .trained, c.status != .unchecked, perSeed.count > 1 else { return c }
        let k = perSeed.count, need = seedsNeeded(k)
        let passes = perSeed.filter { $0.status == .pass }.count, fails = perSeed.filter { $0.status == .fail }.count
        c.status = passes >= need ? .pass : fails >= need ? .fail : .inconclusive
        c.seeds = zip(perSeed, seeds).map { SeedValue(seed: $1, value: $0.ourValue, status: $0.status) }
        let numbers = perSeed.compactMap { claim -> Double? in if case .number(let d)? = claim.ourValue { return d } else { return nil } }
        var spread = "\(passes) of \(k) seeds hold"
        if numbers.count == k {
            let sorted = numbers.sorted()
            let median = k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2
            c.ourValue = .number(round6(median))
            spread += "; median \(formatNumber(median)), range \(formatNumber(sorted.first!))–\(formatNumber(sorted.last!))"
        }
        c.spread = spread
        c.standardError = nil
        c.tolerance += " — in at least \(need) of \(k) seeds"
        if c.status == .inconclusive && c.cause == nil {
            let noisy = perSeed.filter { $0.status == .inconclusive }.count
            c.cause = FailureCause(.inconclusive, noisy > 0
                ? "\(noisy) of \(k) seeds lie within two standard errors of the threshold; larger evaluation sets would settle it"
                : "the seeds disagree (\(passes) of \(k) hold); more seeds would tell how often the statement holds")
        }
        return c
    }

    /// A quantitative claim: passes when |ours − paper| ≤ tolerance.
    public static func within(_ id: String, section: String, _ statement: String, paper: Double, ours: Double,
                              tolerance: Double, reason: String) -> Claim {
        let ok = ours.isFinite && abs(ours - paper) <= tolerance
        return Claim(id: id, section: section, statement: statement, paperValue: .number(paper),
                     ourValue: .number(round6(ours)), tolerance: "±" + formatNumber(tolerance), reason: reason,
                     status: ok ? .pass : .fail)
    }

    /// A quantitative estimate with its standard error: passes when |ours − paper| ≤ tolerance, and is inconclusive
    /// when that distance lies within two standard errors of the tolerance.
    public static func within(_ id: String, section: String, _ statement: String, paper: Double, ours: Double, se: Double,
                              tolerance: Double, reason: String) -> Claim {
        let c = within(id, section: section, statement, paper: paper, ours: ours, tolerance: tolerance, reason: reason)
        return c.withError(se, status: judge(abs(ours - paper), se: se, threshold: tolerance, holdsAbove: false))
    }

    /// A claim judged by an explicit rule whose status the caller computed (pass, fail or inconclusive).
    public static func rule(_ id: String, section: String, _ statement: String, paper: String, ours: String,
                            rule: String, reason: String, status: ClaimStatus) -> Claim {
        Claim(id: id, section: section, statement: statement, paperValue: .text(paper), ourValue: .text(ours),
              tolerance: rule, reason: reason, status: status)
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
