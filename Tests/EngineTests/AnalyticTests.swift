// Closed forms against cases solved by hand, and the prototypes' phase boundaries (paper §3b, §4).
import Foundation
import Testing
@testable import Engine

@Test func linearGaussianLossOfAProjectionCountsTheDroppedFeatures() {
    // W keeps feature 0 exactly: the loss is I₁ + I₂ (each dropped feature costs its unit variance).
    let m = ToyModel(n: 3, m: 1, activation: .linear, W: [1, 0, 0], b: [0, 0, 0])
    #expect(abs(Analytic.linearGaussianLoss(m, importance: [1, 0.5, 0.25]) - 0.75) < 1e-12)
}

@Test func oneSparseLossIsZeroForAPerfectModelAndMatchesAHandIntegral() {
    let perfect = ToyModel(n: 2, m: 2, activation: .relu, W: [1, 0, 0, 1], b: [0, 0])
    #expect(Analytic.oneSparseLoss(perfect, importance: [1, 1]) < 1e-12)
    // Feature 1 dropped with bias 0: its own integral is ∫x² = 1/3, feature 0 is exact.
    let dropped = ToyModel(n: 2, m: 1, activation: .relu, W: [1, 0], b: [0, 0])
    #expect(abs(Analytic.oneSparseLoss(dropped, importance: [1, 1]) - 1.0 / 3) < 1e-9)
}

@Test func zeroInputLossCountsOnlyPositiveBiases() {
    let m = ToyModel(n: 3, m: 1, activation: .relu, W: [0, 0, 0], b: [0.5, -2, 0.1])
    #expect(abs(Analytic.zeroInputLoss(m, importance: [1, 1, 2]) - (0.25 + 0.02)) < 1e-7)
}

@Test func phaseBoundaryAtHalfImportanceIsFourNinths() {
    #expect(PhasePrototype.best(n: 2, density: 4.0 / 9 - 1e-6, importance: 0.5) == .superposeExtra)
    #expect(PhasePrototype.best(n: 2, density: 4.0 / 9 + 1e-6, importance: 0.5) == .ignoreExtra)
    #expect(PhasePrototype.best(n: 2, density: 0.9, importance: 2) == .dedicateExtra)
    #expect(PhasePrototype.best(n: 3, density: 0.3, importance: 3) == .superposeRegular)
}

@Test func prototypeModelsHaveTheirClosedFormLosses() {
    for n in [2, 3] {
        for proto in PhasePrototype.all(n: n) {
            let imp: [Float] = Array(repeating: 1, count: n - 1) + [0.7]
            let est = Evaluation.loss(proto.model(n: n, density: 0.4), importance: imp,
                                      density: Array(repeating: 0.4, count: n), samples: 1 << 18, seed: 5)
            let exact = proto.loss(density: 0.4, importance: 0.7)
            // 2^18 samples: the standard error is under 0.7 % of these losses; allow 4 of them.
            #expect(abs(est.mean - exact) <= 4 * est.standardError + 1e-9, "\(proto) n=\(n): \(est.mean) vs \(exact)")
        }
    }
}

@Test func metricsOfAnAntipodalPair() {
    let m = ToyModel(n: 2, m: 1, activation: .relu, W: [1, -1], b: [0, 0])
    #expect(m.dimensionality.allSatisfy { abs($0 - 0.5) < 1e-12 })   // digon: D = 1/2
    #expect(m.superposition.allSatisfy { abs($0 - 1) < 1e-12 })
    #expect(abs(m.dimensionsPerFeature - 0.5) < 1e-12)
    #expect(m.featuresRepresented() == 2)
    #expect(abs(m.angle(0, 1) - 180) < 1e-9)
}
