// Known answers and statistics of our RNG, and the seed-derivation rule.
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

@Test func derivedSeedsDifferByPath() {
    #expect(deriveSeed(1, 0, 0) != deriveSeed(1, 0, 1))
    #expect(deriveSeed(1, 0, 1) != deriveSeed(1, 1, 0))
    #expect(deriveSeed(1, 2, 3) == deriveSeed(1, 2, 3))
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

@Test func theFastConversionOfTwentyFourBitIntegersIsExact() {
    var rng = Xoshiro(seed: 12)
    var edge: [UInt32] = [0, 1, 4095, 4096, 4097, 8_388_607, 8_388_608, 16_777_215]
    for _ in 0..<10_000 { edge.append(UInt32(truncatingIfNeeded: rng.next()) & 0xFF_FFFF) }
    for start in stride(from: 0, to: edge.count - 7, by: 8) {
        let v = SIMD8<UInt32>((0..<8).map { edge[start + $0] })
        let f = exactFloat24(v)
        for lane in 0..<8 { #expect(f[lane] == Float(v[lane]), "\(v[lane])") }
    }
}
