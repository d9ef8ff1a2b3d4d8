// The cross-check against a second implementation: paper/crosscheck.json (written by `paper crosscheck`, which has
// the PyTorch reference train the covered experiments' models and judges them with our claim rules), and the
// comparison of each covered claim's PyTorch seeds with ours. Pure: `make paper` only reads the file.
//
// How two claims are compared (the report's cross-check section says the same):
//   - stale: the claim's experiment changed (config or code hash) since the cross-check ran; never compared;
//   - numbers on both sides (one per seed, at least two seeds each): they agree when the two means lie within two
//     standard errors of their difference, √(se_ours² + se_torch²), each se the spread over seeds / √k;
//   - otherwise (a description, or one seed): they agree when the verdicts (pass, fail, inconclusive) are the same;
//     where they differ, Fisher's exact test on the seeds that pass (ours k₁ of n₁, the reference's k₂ of n₂) says
//     whether the difference lies within the seeds' noise (two-sided p ≥ 0.05) or beyond it.

import Foundation

/// paper/crosscheck.json: what the PyTorch reference measured, and where and when.
public struct CrossCheckFile: Codable, Sendable, Equatable {
    /// Where and with what the latest cross-check ran (each experiment keeps its own date and commit).
    public struct Provenance: Codable, Sendable, Equatable {
        public var torch: String
        public var python: String
        /// The commit the cross-check ran from (" with uncommitted changes" appended when the tree was dirty).
        public var commit: String
        /// ISO 8601, UTC.
        public var date: String
        public var machine: String
        /// Processes of the reference, each on one torch thread (`paper crosscheck --threads`).
        public var threads: Int
        public init(torch: String, python: String, commit: String, date: String, machine: String, threads: Int) {
            self.torch = torch; self.python = python; self.commit = commit; self.date = date; self.machine = machine; self.threads = threads
        }
    }
    /// One experiment the reference trained.
    public struct Experiment: Codable, Sendable, Equatable {
        public var id: String
        /// Our config hash at the time: a claim whose hash differs now is stale.
        public var configHash: String
        public var seeds: [UInt64]
        /// Models the reference trained for it, over all seeds.
        public var models: Int
        public var seconds: Double
        /// When and from which commit this experiment was cross-checked (a refresh of some experiments keeps the
        /// others' entries).
        public var date: String
        public var commit: String
        public init(id: String, configHash: String, seeds: [UInt64], models: Int, seconds: Double, date: String, commit: String) {
            self.id = id; self.configHash = configHash; self.seeds = seeds; self.models = models; self.seconds = seconds
            self.date = date; self.commit = commit
        }
    }
    public var format: Int = 1
    public var provenance: Provenance
    public var experiments: [Experiment]
    /// The covered experiments' trained claims, judged by our rules on the reference's models.
    public var claims: [Claim]

    public init(provenance: Provenance, experiments: [Experiment], claims: [Claim]) {
        self.provenance = provenance; self.experiments = experiments; self.claims = claims
    }

    /// Reads the file; a file that does not parse is an error naming it.
    public static func decode(_ data: Data, file: String) throws -> CrossCheckFile {
        do {
            let f = try JSONDecoder().decode(CrossCheckFile.self, from: data)
            guard f.format == 1 else { throw ReportError.badCrossCheck("\(file): format \(f.format), this build reads format 1") }
            return f
        } catch let e as ReportError { throw e } catch {
            throw ReportError.badCrossCheck("\(file) is not a cross-check file: \(error)")
        }
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(self) + Data("\n".utf8)
    }
}

/// How a claim compares with the reference's.
public enum CrossMark: String, Codable, Sendable, CaseIterable {
    case agrees, differs, stale
}

/// One claim beside the reference's.
public struct CrossComparison: Sendable, Equatable {
    public var id: String
    public var mark: CrossMark
    /// The reference's value as the report shows it (mean ± se over seeds, or its first seed's description).
    public var torchValue: String
    /// Ours shown the same way where the comparison is of numbers (mean ± se over seeds); nil otherwise.
    public var oursValue: String? = nil
    public var torchStatus: ClaimStatus
    /// Why the mark: the distance and its allowance, or the two verdicts.
    public var why: String
    /// For verdicts that differ: whether the seeds' pass counts are consistent with one rate (Fisher's exact test,
    /// two-sided p ≥ 0.05); nil otherwise.
    public var withinNoise: Bool? = nil
    /// For a claim that differs: what we found when we looked into it (paper/crosscheck-notes.tsv); nil otherwise.
    public var note: String? = nil

    /// A difference beyond the seeds' noise that no note explains yet.
    public var unexplained: Bool { mark == .differs && withinNoise != true && note == nil }
}

/// paper/crosscheck-notes.tsv: what we found where a claim differs from the reference's, one line per claim:
///   ID <tab> finding (which side is right and why; a bug of ours is fixed, not noted)
/// Blank lines and lines starting with # are skipped. A note is shown only while its claim differs.
public enum CrossCheckNotes {
    /// Parses the table, naming the file and line of anything malformed.
    public static func parse(_ text: String, file: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (line, cells) in try tabRows(text, columns: 2, error: { ReportError.badCrossCheck("\(file):\($0): expected ID<tab>finding") }) {
            guard out[cells[0]] == nil else { throw ReportError.badCrossCheck("\(file):\(line): \(cells[0]) has a note already") }
            out[cells[0]] = cells[1]
        }
        return out
    }
}

/// Fisher's exact test, two-sided: the probability, under one common rate, of a split of the k₁ + k₂ successes
/// between samples of n₁ and n₂ at most as likely as the one observed.
public func fisherExactP(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> Double {
    let k = k1 + k2, n = n1 + n2
    func logChoose(_ a: Int, _ b: Int) -> Double { lgamma(Double(a + 1)) - lgamma(Double(b + 1)) - lgamma(Double(a - b + 1)) }
    func p(_ x: Int) -> Double { exp(logChoose(n1, x) + logChoose(n2, k - x) - logChoose(n, k)) }
    let observed = p(k1)
    var total = 0.0
    for x in max(0, k - n2)...min(k, n1) where p(x) <= observed * (1 + 1e-9) { total += p(x) }
    return min(1, total)
}

/// The mean and standard error (sample standard deviation / √k) of per-seed numbers; nil unless every seed has a
/// number and there are at least two.
func meanAndError(_ seeds: [SeedValue]?) -> (mean: Double, se: Double, k: Int)? {
    guard let seeds, seeds.count >= 2 else { return nil }
    let xs = seeds.compactMap { s -> Double? in if case .number(let d)? = s.value, d.isFinite { return d } else { return nil } }
    guard xs.count == seeds.count else { return nil }
    let k = Double(xs.count), mean = xs.reduce(0, +) / k
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1)
    return (mean, (variance / k).squareRoot(), xs.count)
}

/// Compares our claim with the reference's (same ID). `torchHash` is our config hash when the reference ran.
public func crossCompare(ours: Claim, torch: Claim, torchHash: String) -> CrossComparison {
    let o = meanAndError(ours.seeds), t = meanAndError(torch.seeds)
    var torchValue = torch.ourValue.map { "\($0)" } ?? "—"
    if let t { torchValue = formatNumber(t.mean) + " ± " + formatNumber(t.se) + " (\(t.k) seeds)" }
    var c = CrossComparison(id: ours.id, mark: .agrees, torchValue: torchValue, torchStatus: torch.status, why: "")
    if ours.configHash != torchHash {
        c.mark = .stale
        c.why = "the experiment changed since the cross-check (config hash \(torchHash) then, \(ours.configHash) now)"
        return c
    }
    if let o, let t {
        c.oursValue = formatNumber(o.mean) + " ± " + formatNumber(o.se) + " (\(o.k) seeds)"
        let d = abs(o.mean - t.mean), allowed = 2 * (o.se * o.se + t.se * t.se).squareRoot()
        c.mark = d <= allowed ? .agrees : .differs
        c.why = "means \(formatNumber(o.mean)) and \(formatNumber(t.mean)) differ by \(formatNumber(d)); two standard errors of the difference: \(formatNumber(allowed))"
    } else {
        c.mark = ours.status == torch.status ? .agrees : .differs
        c.why = "verdicts: ours \(ours.status.rawValue), PyTorch's \(torch.status.rawValue)"
        let a = ours.seeds ?? [], b = torch.seeds ?? []
        if c.mark == .differs, !a.isEmpty, !b.isEmpty {
            let k1 = a.filter { $0.status == .pass }.count, k2 = b.filter { $0.status == .pass }.count
            let p = fisherExactP(k1, a.count, k2, b.count)
            c.withinNoise = p >= 0.05
            c.why += "; seeds that pass: ours \(k1) of \(a.count), PyTorch's \(k2) of \(b.count) (Fisher's exact p = \(formatNumber(round6(p))): "
                + (p >= 0.05 ? "within the seeds' noise)" : "beyond the seeds' noise)")
        }
    }
    return c
}

extension CrossCheckFile {
    /// Every claim of ours the file covers (a judged trained claim with the same ID), compared; in our claims' order.
    /// `notes` (paper/crosscheck-notes.tsv) are attached to the claims that differ; a note naming no claim of the
    /// file is an error.
    public func comparisons(with ours: [Claim], notes: [String: String] = [:], notesFile: String = "paper/crosscheck-notes.tsv") throws -> [CrossComparison] {
        let hashes = Dictionary(experiments.map { ($0.id, $0.configHash) }, uniquingKeysWith: { a, _ in a })
        let byId = Dictionary(claims.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        if let unknown = notes.keys.sorted().first(where: { byId[$0] == nil }) {
            throw ReportError.badCrossCheck("\(notesFile): \(unknown) names no claim of paper/crosscheck.json")
        }
        return ours.compactMap { c in
            guard c.kind == .trained, c.status != .unchecked, let t = byId[c.id], t.status != .unchecked,
                  let hash = hashes[t.experiment] else { return nil }
            var x = crossCompare(ours: c, torch: t, torchHash: hash)
            if x.mark == .differs { x.note = notes[c.id] }
            return x
        }
    }
}
