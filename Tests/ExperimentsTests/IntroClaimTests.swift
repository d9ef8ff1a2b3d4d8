// The intro's claim checks judge hand-made models correctly: each check passes on the geometry the paper
// describes and fails on a different one, so no check can pass regardless of the results.
import Engine
import Foundation
import Testing
@testable import Experiments

/// A 2×5 model whose feature i points at `angles[i]` degrees with length `norms[i]`.
private func planar(_ angles: [Double], _ norms: [Double], bias: [Float] = [0, 0, 0, 0, 0]) -> ToyModel {
    var W = [Float](repeating: 0, count: 10)
    for i in 0..<5 {
        W[i] = Float(norms[i] * cos(angles[i] * Double.pi / 180))
        W[5 + i] = Float(norms[i] * sin(angles[i] * Double.pi / 180))
    }
    return ToyModel(n: 5, m: 2, activation: .relu, W: W, b: bias)
}

private func results(dense: ToyModel, pairs: ToyModel, penta: ToyModel, denseLoss: Double = 0.1829) -> IntroResults {
    func run(_ m: ToyModel, _ d: Float, _ loss: Double) -> IntroRun {
        let spec = ToyModelSpec(n: 5, m: 2, activation: .relu, importance: IntroConfig().importance, density: d, seed: 0)
        return IntroRun(density: d, trained: TrainedModel(spec: spec, model: m, lossCurve: []),
                        loss: LossEstimate(mean: loss, standardError: 1e-4, samples: 1000))
    }
    func panel(_ m: ToyModel, _ d: Float, _ loss: Double) -> IntroPanel {
        let r = run(m, d, loss)
        return IntroPanel(density: d, restartLosses: [r.loss], bestRestart: 0, best: r)
    }
    return IntroResults(panels: [panel(dense, 1, denseLoss), panel(pairs, 0.2, 0.06), panel(penta, 0.1, 0.02)], sweep: [])
}

private let ideal = results(dense: planar([90, 0, 0, 0, 0], [1, 1, 0, 0, 0]),
                            pairs: planar([90, 0, 270, 180, 0], [1, 1, 1, 1, 0]),
                            penta: planar([90, 162, 234, 306, 18], [1.1, 1.1, 1.1, 1.1, 1.1], bias: [-0.2, -0.2, -0.2, -0.2, -0.2]))

private func status(_ r: IntroResults, _ id: String) -> String {
    Intro().claims(r).first { $0.id == id }!.status.rawValue
}

@Test func thePapersGeometryPassesEveryIntroClaim() {
    for id in ["C1.1", "C1.1-loss", "C1.2", "C1.3", "C1.4"] { #expect(status(ideal, id) == "pass", "\(id)") }
    #expect(status(ideal, "C1.5") == "unchecked")
}

@Test func otherGeometriesFailTheirClaims() {
    var r = ideal
    r.panels[0].best.trained.model = planar([90, 30, 0, 0, 0], [1, 1, 0, 0, 0])          // not orthogonal
    #expect(status(r, "C1.1") == "fail")
    #expect(status(r, "C1.4") == "pass")                                                 // same subspace, still PCA
    r = ideal
    r.panels[0].best.trained.model = planar([90, 0, 45, 0, 0], [1, 1, 0.3, 0, 0])       // a third feature leaks in
    #expect(status(r, "C1.1") == "fail")
    #expect(status(r, "C1.4") == "fail")
    r = ideal
    r.panels[0].best.loss.mean = 0.19                                                    // loss off by 4 %
    #expect(status(r, "C1.1-loss") == "fail")
    r = ideal
    r.panels[1].best.trained.model = planar([90, 0, 250, 180, 0], [1, 1, 1, 1, 0])      // one pair 20° off
    #expect(status(r, "C1.2") == "fail")
    r = ideal
    r.panels[1].best.trained.model = planar([90, 0, 270, 180, 45], [1, 1, 1, 1, 0.5])   // fifth feature kept
    #expect(status(r, "C1.2") == "fail")
    r = ideal
    r.panels[2].best.trained.model = planar([90, 180, 270, 0, 0], [1, 1, 1, 1, 0])      // a square, one dropped
    #expect(status(r, "C1.3") == "fail")
    r = ideal
    r.panels[2].best.trained.model = planar([90, 140, 234, 306, 18], [1, 1, 1, 1, 1])   // irregular: a 50° gap
    #expect(status(r, "C1.3") == "fail")
}

@Test func angularGapsOfARegularPentagonAre72Degrees() {
    let gaps = angularGaps(planar([90, 162, 234, 306, 18], [1, 1, 1, 1, 1]))
    #expect(gaps.count == 5 && gaps.allSatisfy { abs($0 - 72) < 1e-4 })
}
