// Known answers and statistics of our RNG, and the seed-derivation rule.
import CVector
import Testing
@testable import Engine

@Test func splitMixMatchesReferenceValue() {
    var g = SplitMix64(seed: 0)
    #expect(g.next() == 0xE220_A839_7B1D_CDAF)
}

@Test func xoshiroStreamsAreReproducibleAndSeedDependent() {
    var a = Xoshiro(seed: 42), b = Xoshiro(seed: 42), c = Xoshiro(seed: 43)
    let sa = (0..<8).map { _ in a.next() }, sb = (0..<8).map { _ in b.next() }, sc = (0..<8).map { _ in c.next() }
    #expect(sa == sb)
    #expect(sa != sc)
}

@Test func unitFloatsAreInRangeWithMeanOneHalf() {
    var g = Xoshiro(seed: 7)
    var sum = 0.0
    for _ in 0..<100_000 { let u = g.unitFloat(); #expect(u >= 0 && u < 1); sum += Double(u) }
    // Standard error of the mean of U[0,1] over 1e5 draws is 0.0009; allow 5 of them.
    #expect(abs(sum / 100_000 - 0.5) < 0.0046)
}

@Test func normalsHaveUnitVariance() {
    var g = Xoshiro(seed: 9)
    var s = 0.0, s2 = 0.0
    let count = 200_000
    for _ in 0..<count { let z = g.normal(); s += z; s2 += z * z }
    // SE of the mean is 0.0022 and of the variance 0.0032 at 2e5 draws; allow about 5 SE.
    #expect(abs(s / Double(count)) < 0.012)
    #expect(abs(s2 / Double(count) - 1) < 0.016)
}

@Test func xoshiroGivesThePublishedOutputsFromTheState1234() {
    // The reference implementation's outputs from the state {1, 2, 3, 4} (Blackman and Vigna's xoshiro256starstar.c,
    // as published in the test vectors of its ports, e.g. the Rust crate rand_xoshiro).
    var g = Xoshiro(seed: 0)
    g.s0 = 1; g.s1 = 2; g.s2 = 3; g.s3 = 4
    #expect((0..<10).map { _ in g.next() } == [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
                                               607988272756665600, 16172922978634559625, 8476171486693032832,
                                               10595114339597558777, 2904607092377533576])
}

@Test func eachLaneOfTheVectorGeneratorIsTheScalarGeneratorFromItsFourSeedWords() {
    for seed: UInt64 in [0, 5, 0xDEAD_BEEF] {
        var v = Xoshiro8(seed: seed)
        var sm = SplitMix64(seed: seed)
        var lanes: [Xoshiro] = (0..<8).map { _ in
            var x = Xoshiro(seed: 0)
            x.s0 = sm.next(); x.s1 = sm.next(); x.s2 = sm.next(); x.s3 = sm.next()
            return x
        }
        // Lane 0 is Xoshiro(seed:) itself: both take SplitMix64's first four outputs.
        var first = Xoshiro(seed: seed)
        var same = true
        for _ in 0..<1000 {
            let d = v.next()
            for l in 0..<8 where d[l] != lanes[l].next() { same = false }
            _ = first.next()
        }
        #expect(same, "seed \(seed)")
        #expect(first.s0 == lanes[0].s0 && first.s3 == lanes[0].s3)
    }
}

@Test func derivedSeedsDifferByPathAndFollowTheFoldingRule() {
    #expect(deriveSeed(1, 0, 0) != deriveSeed(1, 0, 1))
    #expect(deriveSeed(1, 0, 1) != deriveSeed(1, 1, 0))
    // With no path the seed is SplitMix64's first output; each component folds the last output through SplitMix64.
    var g = SplitMix64(seed: 1)
    let h = g.next()
    #expect(deriveSeed(1) == h)
    var f = SplitMix64(seed: h ^ (7 &* 0xD6E8_FEB8_6659_FD93))
    #expect(deriveSeed(1, 7) == f.next())
}

@Test func sparseBatchHasTheRequestedDensityAndUniformValues() {
    let x = sparseBatch(batch: 20_000, density: [0.1, 1.0], seed: 3)
    let first = stride(from: 0, to: x.count, by: 2).map { x[$0] }
    let second = stride(from: 1, to: x.count, by: 2).map { x[$0] }
    let frac = Double(first.filter { $0 != 0 }.count) / 20_000
    // Binomial SE at p = 0.1, 2e4 draws: 0.0021; allow 5 SE.
    #expect(abs(frac - 0.1) < 0.0106)
    #expect(second.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = second.reduce(0.0) { $0 + Double($1) } / 20_000
    #expect(abs(mean - 0.5) < 0.011)
}

@Test func simdLanesAreIndependentStreams() {
    var g = Xoshiro8(seed: 5)
    let a = g.next(), b = g.next()
    #expect(Set((0..<8).map { a[$0] }).count == 8)
    #expect(a != b)
    var h = Xoshiro8(seed: 5)
    #expect(h.next() == a)
}

@Test func aSparseEntryIsItsDrawsValueWhenPresentElseZero() {
    // The vector conversion against the definition in scalar code: bits 40…63 below the threshold mean present,
    // bits 16…39 are k, the value k·mul + add (exact for both scalings), edges of k and of the threshold included.
    var rng = Xoshiro(seed: 12)
    var draws: [UInt64] = [0, UInt64.max, 0xFFFF_FF00_0000_0000, 0x0000_00FF_FFFF_0000, 0x0000_0100_0000_FFFF,
                           0x7FFF_FF80_0000_0000, 0x8000_0000_0001_0000, 0x0000_0080_0000_0000]
    for _ in 0..<8_000 { draws.append(rng.next()) }
    for (mul, add) in [(Float(0x1p-24), Float(0)), (Float(0x1p-23), Float(-1))] {
        for threshold: UInt32 in [0, 1, 8_388_608, 16_777_215, 16_777_216] {
            for start in stride(from: 0, to: draws.count - 7, by: 8) {
                let d = SIMD8<UInt64>((0..<8).map { draws[start + $0] })
                let f = vector_sparse_entries8(d, threshold, mul, add)
                for lane in 0..<8 {
                    let present = UInt32(d[lane] >> 40) < threshold
                    let k = Float(UInt32((d[lane] >> 16) & 0xFF_FFFF))
                    let expected: Float = present ? k * mul + add : 0
                    #expect(f[lane].bitPattern == expected.bitPattern, "draw \(d[lane]), threshold \(threshold)")
                }
            }
        }
    }
}
