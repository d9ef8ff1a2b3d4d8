// Correlated and anticorrelated sets of features (paper §5.6–§5.8 and §6), drawn on top of the independent sparse
// batch. A set is `count` consecutive features starting at `first`; the set's density is density[first].
//   correlated      one draw decides whether all members are zero or all nonzero; nonzero values are independent
//                   U[0,1] (catalogue D3)
//   anticorrelated  the whole set is zero with probability S; otherwise exactly one uniformly chosen member is
//                   U[0,1] and the others are 0, so each member's marginal density is (1−S)/count (catalogue D4)
// The members after the first are drawn always present, then masked; the choice of the active member of an
// anticorrelated set takes its own stream, so a spec without sets draws exactly the batches it always did.

/// A set of features whose presence is drawn jointly.
public struct FeatureSet: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable { case correlated, anticorrelated }
    public var kind: Kind
    public var first: Int
    public var count: Int
    public init(_ kind: Kind, first: Int, count: Int) { self.kind = kind; self.first = first; self.count = count }
}

/// The presence thresholds the sampler uses: members after the first of a set are always drawn.
func samplingThresholds(density: [Float], sets: [FeatureSet]?) -> [UInt32] {
    var t = density.map(presenceThreshold)
    for s in sets ?? [] { for i in (s.first + 1)..<(s.first + s.count) { t[i] = presenceThreshold(1) } }
    return t
}

extension ToyModelSpec {

    /// Checks the sets: inside 0..<n, at least two members, not overlapping.
    func validateSets() throws {
        var used = Set<Int>()
        for s in sets ?? [] {
            guard s.count >= 2, s.first >= 0, s.first + s.count <= n else {
                throw EngineError.invalidConfig("a feature set must hold at least 2 of the n = \(n) features, got first \(s.first), count \(s.count)")
            }
            for i in s.first..<(s.first + s.count) {
                guard used.insert(i).inserted else { throw EngineError.invalidConfig("feature \(i) is in two feature sets") }
            }
        }
    }
}

/// Applies the sets to a batch just drawn with `samplingThresholds`.
@inline(__always)
func applyFeatureSets(_ x: FeatureMajorBatch, _ sets: [FeatureSet], choice rng: inout Xoshiro8) {
    for s in sets {
        let first = x.row(s.first)
        for j in 0..<x.vectors {
            let present = first[j] .!= 0
            switch s.kind {
            case .correlated:
                for t in 1..<s.count {
                    let r = x.row(s.first + t)
                    r[j] = r[j].replacing(with: 0, where: .!present)
                }
            case .anticorrelated:
                // Member index = ⌊u·count⌋ with u the top 24 bits of a fresh draw.
                let u = SIMD8<UInt64>(truncatingIfNeeded: rng.next() &>> 40)
                let chosen = (u &* UInt64(s.count)) &>> 24
                for t in 0..<s.count {
                    let r = x.row(s.first + t)
                    let keep = SIMD8<Int64>(truncatingIfNeeded: chosen) .== Int64(t)
                    var on = SIMDMask<SIMD8<Int32>>(repeating: false)
                    for lane in 0..<8 { on[lane] = keep[lane] && present[lane] }
                    r[j] = r[j].replacing(with: 0, where: .!on)
                }
            }
        }
    }
}
