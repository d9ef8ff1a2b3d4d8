// The rules the verdicts issue introduced, each on a hand-made fixture that passes and one that fails: §6's end
// states, §9's per-sign computation of |x|, §10's measure on what passes the ReLU, §7's shape gap.
import Engine
import Foundation
import Testing
@testable import Experiments
import Report

/// Six unit features in three dimensions, each given as a vector.
private func sixIn3D(_ v: [[Float]]) -> ToyModel {
    ToyModel(n: 6, m: 3, activation: .relu, W: (0..<3).flatMap { k in v.map { $0[k] } }, b: [Float](repeating: 0, count: 6))
}

@Test func endStatesAreClassifiedByStructure() {
    // Pairs (0, 3), (1, 4), (2, 5): each mixes set {0, 1, 2} with set {3, 4, 5}.
    let mixed = sixIn3D([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]])
    #expect(LearningDynamics.endState(mixed) == LearningDynamics.mixedOctahedronName)
    #expect(LearningDynamics.mixedOctahedron(mixed))
    // Pairs (0, 1), (2, 3), (4, 5): the first lies within one set.
    let within = sixIn3D([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    #expect(LearningDynamics.endState(within) == "octahedron, a pair within one set")
    let twoPairs = sixIn3D([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1]])
    #expect(LearningDynamics.endState(twoPairs) == "2 antipodal pairs")
    let skew = sixIn3D([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [-1, 0, 0], [0, -1, 0], [-0.6, -0.8, 0]])
    #expect(LearningDynamics.endState(skew) == "3 antipodal pairs, not orthogonal")
}

@Test func absoluteValueIsComputedOnlyWhenBothSignsAreServed() {
    // One feature, two neurons: ReLU(x) and ReLU(−x) summed computes |x| exactly; with only the first, x < 0 errs.
    let both = AbsModel(n: 1, m: 2, W1: [1, -1], W2: [1, 1], b: [0])
    let oneSided = AbsModel(n: 1, m: 2, W1: [1, 0], W2: [1, 0], b: [0])
    func run(_ m: AbsModel) -> AbsRun {
        var r = AbsRun.evaluate(m, density: 0.01, samples: 100, seed: 1)
        r.positiveError = AbsRun.conditional(m, density: 0.01, sign: 1, samples: 4000, seed: 2)
        r.negativeError = AbsRun.conditional(m, density: 0.01, sign: -1, samples: 4000, seed: 3)
        return r
    }
    let a = run(both), b = run(oneSided)
    #expect(a.positiveError[0].mean < 1e-12 && a.negativeError[0].mean < 1e-12)
    #expect(a.service() == (both: 1, oneSided: 0, unresolved: 0))
    #expect(abs(b.negativeError[0].mean - 1.0 / 3) < 0.02)
    #expect(b.service() == (both: 0, oneSided: 1, unresolved: 0))
    // An error within two standard errors of 1/6 is unresolved, neither computed nor not.
    var c = a
    c.negativeError = [LossEstimate(mean: 1.0 / 6 + 0.001, standardError: 0.01, samples: 100)]
    #expect(c.service() == (both: 0, oneSided: 0, unresolved: 1))
}

@Test func representationBehindAReLUHiddenLayerCountsOnlyWhatPassesIt() {
    // Feature 0 positive in neuron 0; feature 1 only negative weights: it never reaches the output through the ReLU.
    let m = ToyModel(n: 2, m: 2, activation: .relu, W: [1, -1, 0, -1], b: [0, 0], hidden: .relu)
    #expect(L1Regularisation.passing(m, .relu).represented == 1)
    #expect(L1Regularisation.passing(m, .linear).represented == 2)
    // Two features sharing a positive neuron are in superposition on either measure.
    let shared = ToyModel(n: 2, m: 1, activation: .relu, W: [1, 1], b: [0, 0], hidden: .relu)
    #expect(L1Regularisation.passing(shared, .relu).superposition > 0.9)
}

@Test func theShapeGapSeparatesCurvesThatTrackFromCurvesThatLag() {
    let a = [1.0, 1.1, 2.0, 2.1, 3.0], b = [0.5, 0.55, 1.0, 1.05, 1.5]
    #expect(AdversarialRobustness.shapeGap(a, b) < 1e-12)
    let lagging = [0.5, 0.5, 0.5, 1.0, 1.5]
    #expect(AdversarialRobustness.shapeGap(a, lagging) > 0.2)
    // Pearson's r of the lagging pair is still high: the two claims measure different things.
    #expect(pearson(a, lagging) > 0.85)
}

@Test func aJumpMakesMostOfTheNormChangeInOneGridStepAndASmoothCrossoverDoesNot() {
    let densities = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32]
    func row(_ imp: Double, _ norms: [Double]) -> [(importance: Double, density: Double, norm: Double)] {
        zip(densities, norms).map { (imp, $0.0, $0.1) }
    }
    let jump = row(1, [1, 1, 1, 0, 0, 0]), smooth = row(2, [1, 0.8, 0.6, 0.4, 0.2, 0])
    let flat = row(3, [1, 1, 1, 1, 1, 1])
    let shares = PhaseChange.jumpShares(jump + smooth + flat)
    #expect(shares.count == 2)        // the flat row never crosses, so it is not counted
    #expect(shares[0] == 1)           // the jump: the whole change in one step
    #expect(abs(shares[1] - 0.2) < 1e-12)   // the smooth crossover: a fifth per step, below the 60 % rule
}

/// §6's jumps (C6.1, C6.2, exploratory) on hand-made trajectories over 80 log-spaced checkpoints: one feature rises
/// from 0.1 to 0.5 in one checkpoint interval, past a feature that stays at 0.3; or smoothly over 40 intervals; or
/// smoothly most of the way and then by one jump of 0.25.
@Test func dimensionalitiesThatJumpMeetTheRulesOfC61AndC62AndSmoothOnesDoNot() {
    let steps = (0..<80).map { Int((10 * pow(2000, Double($0) / 79)).rounded()) }
    func run(_ rising: (Int) -> Float) -> DynamicsRun {
        DynamicsRun(steps: steps, dims: (0..<80).map { k in [rising(k), 0.3, 0.5] }, losses: (0..<80).map { k in 1 - Double(rising(k)) },
                    represented: 2, allDigons: true)
    }
    let jumping = run { $0 <= 40 ? 0.1 : 0.5 }
    let smooth = run { k in 0.1 + 0.4 * Float(min(40, max(0, k - 20))) / 40 }
    // 0.4 of smooth change, then a jump of 0.25: less than half the change is in the jump.
    let mostlySmooth = run { k in k <= 40 ? 0.05 + 0.4 * Float(min(25, max(0, k - 15))) / 25 : 0.7 }
    #expect(LearningDynamics.jumpShare(jumping) == 1)
    #expect(LearningDynamics.jumpShare(smooth) == 0)
    #expect(abs(LearningDynamics.jumpShare(mostlySmooth) - 0.25 / 0.65) < 1e-6)
    #expect(LearningDynamics.jumps(mostlySmooth).count == 1)
    #expect(LearningDynamics.swaps(jumping, inJumps: true) == 1)
    #expect(LearningDynamics.swaps(smooth, inJumps: true) == 0)
    // The jump of mostlySmooth starts at 0.45, within 0.1 of the third feature and above the second: no swap in it.
    #expect(LearningDynamics.swaps(mostlySmooth, inJumps: true) == 0)
    #expect(LearningDynamics.swaps(smooth, inJumps: false) == 0)
    #expect(LearningDynamics.swaps(jumping, inJumps: false) == 1)
    #expect(abs(LearningDynamics.largestChange(jumping) - 0.4) < 1e-6)
    // Both are reported, not judged: their rules were set after C6.3's outcome was known.
    let claims = LearningDynamics().claims(DynamicsResults(runs: [jumping], correlated: []))
    for id in ["C6.1", "C6.2"] {
        let c = claims.first { $0.id == id }
        #expect(c?.status == .unchecked && c?.tolerance.hasPrefix("exploratory") == true, "\(id)")
    }
}
