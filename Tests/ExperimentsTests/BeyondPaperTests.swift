// Beyond the paper: the bundling formula against a direct simulation of its Gaussian model, the configs' checks,
// and the claims judged on hand-made results, passing and failing.
import Engine
import Foundation
import Testing
@testable import Experiments

@Test func bundlingFormulaMatchesASimulationOfItsGaussianModel() {
    // The stored item scores d + N(0, (k−1)d), each of D − 1 distractors N(0, kd); 20,000 draws, within 4 SE.
    let d = 256, k = 24, D = 64, draws = 20_000
    var rng = Xoshiro(seed: 17), correct = 0
    for _ in 0..<draws {
        let stored = Double(d) + rng.normal() * (Double((k - 1) * d)).squareRoot()
        var best = -Double.infinity
        for _ in 0..<(D - 1) { best = max(best, rng.normal() * Double(k * d).squareRoot()) }
        if stored > best { correct += 1 }
    }
    let p = bundlingAccuracy(d: d, k: k, codebook: D), se = (p * (1 - p) / Double(draws)).squareRoot()
    #expect(abs(Double(correct) / Double(draws) - p) < 4 * se, "formula \(p), simulation \(Double(correct) / Double(draws))")
    #expect(bundlingAccuracy(d: 1024, k: 24, codebook: D) > p && bundlingAccuracy(d: 256, k: 48, codebook: D) < p)
}

@Test func beyondPaperConfigsNameTheirBadValues() {
    var dense = DensePhase()
    dense.config.shapes = [[1024, 60]]
    #expect(throws: EngineError.invalidConfig("dense: each shape is [n, m] with n > m and m a multiple of 8, got [1024, 60]")) {
        try dense.validate()
    }
    var scaling = ScalingLaws()
    scaling.config.ms = [16, 2048]
    #expect(throws: EngineError.invalidConfig("scaling: at least two m, each a multiple of 8 below n, got [16, 2048]")) { try scaling.validate() }
    var vsa = VSAPrimitives()
    vsa.config.pairs = [2000]
    #expect(throws: EngineError.invalidConfig("vsa: stored pairs must lie in 1…memoryCodebook (\(vsa.config.memoryCodebook)), got [2000]")) {
        try vsa.validate()
    }
    var sparse = SparseBasis()
    sparse.config.lambdas = [0.1, 0]
    #expect(throws: EngineError.invalidConfig("sparsebasis: the first λ must be 0 (the reference) and none negative")) {
        try sparse.validate()
    }
}

private func stats(meanCos2: Double, histogram: [Int] = [1], maxAbs: Double = 0.5, vectorMax: Double = 0.4) -> InterferenceStats {
    InterferenceStats(represented: 100, histogram: histogram, meanCos2: meanCos2, maxAbsCos: maxAbs, medianVectorMax: vectorMax,
                      absQuantiles: [0.1, 0.2, 0.3, 0.4], dimensionality: [])
}

@Test func scalingClaimsJudgeTheFittedSlope() {
    let e = ScalingLaws()
    func runs(_ exponent: Double) -> [ScalingRun] {
        e.config.ms.flatMap { m in e.config.alphas.flatMap { a in e.config.gammas.map { g in
            ScalingRun(m: m, alpha: a, gamma: g, loss: pow(Double(m), exponent), lossStderr: 0, represented: g < 0 ? 1024 : m,
                       meanCos2: 1 / Double(m)) } } }
    }
    let weak = e.config.alphas.map { _ in e.config.ms.map { pow(Double($0), -0.6) } }
    let good = e.claims(ScalingResults(runs: runs(-1), weakCurve: weak))
    #expect(good.first { $0.id == "B17" }?.status == .pass)
    let steep = e.claims(ScalingResults(runs: runs(-2), weakCurve: weak))
    #expect(steep.first { $0.id == "B17" }?.status == .fail)
    #expect(abs(logLogSlope([16, 32, 64], [1, 0.5, 0.25]) + 1) < 1e-12)
}

@Test func sparseBasisClaimNeedsTheParticipationRatioHalved() {
    let e = SparseBasis()
    let codes = SparseCodes(s: 6, stats: stats(meanCos2: 1 / 64), orthogonalFraction: 0.57, predictedOrthogonal: 0.57)
    func point(_ l: Float, _ pr: Double) -> SparseBasisPoint {
        SparseBasisPoint(lambda: l, loss: 0.1, lossStderr: 0, represented: 1024, participation: pr, support: 10, kurtosis: 3,
                         stats: stats(meanCos2: 1 / 64), codes: codes, participationHistogram: [])
    }
    let halved = e.claims(SparseBasisResults(initialParticipation: 21, points: [point(0, 24), point(0.1, 11)]))
    #expect(halved.first { $0.id == "B13" }?.status == .pass)
    let notHalved = e.claims(SparseBasisResults(initialParticipation: 21, points: [point(0, 24), point(0.1, 13)]))
    #expect(notHalved.first { $0.id == "B13" }?.status == .fail)
}
