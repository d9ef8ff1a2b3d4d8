// The §3 and §4 checks judge hand-made models correctly, passing and failing.
import Engine
import Foundation
import Testing
@testable import Experiments

@Test func extraFeatureClassificationFollowsTheStatedRule() {
    #expect(ExtraFeature.classify(ToyModel(n: 2, m: 1, activation: .relu, W: [1, 0.1], b: [0, 0])) == .notLearned)
    #expect(ExtraFeature.classify(ToyModel(n: 2, m: 1, activation: .relu, W: [0, 1], b: [0, 0])) == .dedicated)
    #expect(ExtraFeature.classify(ToyModel(n: 2, m: 1, activation: .relu, W: [1, -1], b: [0, 0])) == .superposition)
    #expect(ExtraFeature.classify(ToyModel(n: 3, m: 2, activation: .relu, W: [1, -1, 0, 0, 0, 1], b: [0, 0, 0])) == .dedicated)
}

private func run(_ d: Float, _ model: ToyModel) -> BasicRun {
    BasicRun(density: d, activation: .relu, model: model, loss: LossEstimate(mean: 0, standardError: 0, samples: 1), restartLosses: [0])
}

/// n = 4, m = 2 models: W columns given as (x, y) pairs.
private func planar(_ v: [(Double, Double)], b: [Float] = [0, 0, 0, 0]) -> ToyModel {
    ToyModel(n: v.count, m: 2, activation: .relu, W: v.map { Float($0.0) } + v.map { Float($0.1) }, b: b)
}

@Test func antipodalCheckPassesOnPairsAndFailsOnOtherGeometry() {
    let pairs = planar([(1, 0), (0, 1), (-1, 0), (0, -1)])
    #expect(BasicChecks(relu: [run(0.3, pairs)], m: 2).antipodalFirst().holds)
    let triangle = planar([(1, 0), (-0.5, 0.866), (-0.5, -0.866), (0, 0)])
    #expect(!BasicChecks(relu: [run(0.3, triangle)], m: 2).antipodalFirst().holds)
    #expect(BasicChecks(relu: [run(0.1, triangle)], m: 2).otherGeometries().holds)
}

@Test func denseCheckIgnoresTheNoisyMeasureOfDroppedFeatures() {
    let dense = planar([(1, 0), (0, 1), (0.001, 0.001), (0, 0.002)])
    #expect(BasicChecks(relu: [run(1, dense)], m: 2).denseLikeLinear().holds)
    let leaky = planar([(1, 0), (0.6, 0.8), (0, 0), (0, 0)])
    #expect(!BasicChecks(relu: [run(1, leaky)], m: 2).denseLikeLinear().holds)
}

@Test func highSparsityCheckNeedsNegativeBiasAndPositiveInterference() {
    let pentagon = planar((0..<4).map { (cos(Double($0) * 1.2566), sin(Double($0) * 1.2566)) }, b: [-0.2, -0.2, -0.2, -0.2])
    #expect(BasicChecks(relu: [run(0.01, pentagon)], m: 2).highSparsity().holds)
    let noBias = planar((0..<4).map { (cos(Double($0) * 1.2566), sin(Double($0) * 1.2566)) })
    #expect(!BasicChecks(relu: [run(0.01, noBias)], m: 2).highSparsity().holds)
}
