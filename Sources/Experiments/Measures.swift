// Measurements of trained models that several sections share: the neuron signature of a ReLU hidden layer (§8, §10),
// the absolute-value model's per-feature errors (§9 and the asymmetric motif), the angular gaps between features in
// the plane (§5, §6) and a log-log slope (scaling laws, VSA). Pure functions of a model or of numbers; the
// experiments whose `run` uses them list this file in `sourceFiles`.

import Engine
import Foundation
import Report

/// How a model uses its neurons, by the rule of `NeuronSignature.of`.
public struct NeuronSignature: Codable, Sendable, Equatable {
    public var represented: Int
    public var monosemantic: Int
    public var polysemantic: Int

    /// Neuron k stores feature i when W_ki ≥ 0.2 · max(W) (a positive weight: the feature drives the neuron);
    /// a neuron storing one feature is monosemantic, several polysemantic. A feature is represented when
    /// ‖W_i‖ > 0.5.
    public static func features(of model: ToyModel, neuron k: Int) -> [Int] {
        let top = model.W.max() ?? 0
        return (0..<model.n).filter { model.w(k, $0) >= 0.2 * top && top > 0 }
    }

    public static func of(_ model: ToyModel) -> NeuronSignature {
        let stores = (0..<model.m).map { features(of: model, neuron: $0).count }
        return NeuronSignature(represented: model.featuresRepresented(), monosemantic: stores.filter { $0 == 1 }.count,
                               polysemantic: stores.filter { $0 >= 2 }.count)
    }
}

public struct AbsRun: Codable, Sendable {
    public var density: Float
    public var model: AbsModel
    /// Each feature's mean squared output error, E[(y_i − |x_i|)²], and the same for the zero output, p/3.
    public var featureError: [Double]
    public var zeroError: Double
    /// At 1−S ≤ 0.01: each feature's mean squared error given x_i > 0, and given x_i < 0, with standard errors.
    /// The zero output's error given either sign is E[x²] = 1/3. Empty at denser settings.
    public var positiveError: [LossEstimate] = []
    public var negativeError: [LossEstimate] = []
}

extension AbsRun {
    /// Each feature's mean squared error on `samples` fresh signed samples drawn with `seed`.
    static func evaluate(_ model: AbsModel, density: Float, samples: Int, seed: UInt64) -> AbsRun {
        var rng = Xoshiro(seed: seed)
        var err = [Double](repeating: 0, count: model.n)
        var x = [Float](repeating: 0, count: model.n)
        for _ in 0..<samples {
            for i in 0..<model.n { x[i] = rng.unitFloat() < density ? 2 * rng.unitFloat() - 1 : 0 }
            let y = model.forward(x)
            for i in 0..<model.n { let d = Double(y[i]) - Double(abs(x[i])); err[i] += d * d }
        }
        return AbsRun(density: density, model: model, featureError: err.map { $0 / Double(samples) }, zeroError: Double(density) / 3)
    }
    /// Each feature's squared error given that it is active with sign `sign`, every other feature drawn at
    /// `density`: only the active features' columns of W₁ and row i of W₂ are touched.
    static func conditional(_ model: AbsModel, density: Float, sign: Float, samples: Int, seed: UInt64) -> [LossEstimate] {
        let n = model.n, m = model.m
        var rng = Xoshiro(seed: seed)
        var out: [LossEstimate] = []
        var h = [Float](repeating: 0, count: m)
        for i in 0..<n {
            var sum = 0.0, sq = 0.0
            for _ in 0..<samples {
                var active: [(Int, Float)] = [(i, sign * (1 - rng.unitFloat()))]
                for j in 0..<n where j != i && rng.unitFloat() < density { active.append((j, 2 * rng.unitFloat() - 1)) }
                for k in 0..<m {
                    var acc: Float = 0
                    for (j, v) in active { acc += model.W1[k * n + j] * v }
                    h[k] = max(acc, 0)
                }
                var y = model.b[i]
                for k in 0..<m { y += model.W2[i * m + k] * h[k] }
                let d = Double(max(y, 0)) - Double(abs(active[0].1))
                sum += d * d; sq += d * d * d * d
            }
            let mean = sum / Double(samples)
            let variance = max(0, sq / Double(samples) - mean * mean)
            out.append(LossEstimate(mean: mean, standardError: (variance / Double(max(1, samples - 1))).squareRoot(), samples: samples))
        }
        return out
    }

    /// How each feature is served at a sparse setting: |x| computed for both signs, for one sign only, or neither;
    /// a feature whose error lies within two standard errors of the threshold is counted as unresolved.
    /// Threshold: half the zero output's error given that sign (1/6).
    func service() -> (both: Int, oneSided: Int, unresolved: Int) {
        var both = 0, one = 0, unresolved = 0
        for (p, q) in zip(positiveError, negativeError) {
            let a = judge(p.mean, se: p.standardError, threshold: 1.0 / 6, holdsAbove: false)
            let b = judge(q.mean, se: q.standardError, threshold: 1.0 / 6, holdsAbove: false)
            if a == .inconclusive || b == .inconclusive { unresolved += 1 }
            else if a == .pass && b == .pass { both += 1 }
            else if a == .pass || b == .pass { one += 1 }
        }
        return (both, one, unresolved)
    }

    /// The importance-weighted loss, Σ_i I_i E[(y_i − |x_i|)²].
    func loss(importance: [Float]) -> Double { zip(featureError, importance).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
}

/// Angular gaps (degrees) between consecutive represented features, going round the circle, with the
/// features on each side of every gap.
func representedAngularGaps(_ model: ToyModel) -> [(gap: Double, from: Int, to: Int)] {
    let norms = model.featureNorms
    let rep = (0..<model.n).filter { norms[$0] > 0.5 }
    let angles = rep.map { i -> (Double, Int) in
        let f = model.feature(i)
        var a = atan2(f[1], f[0]) * 180 / .pi
        if a < 0 { a += 360 }
        return (a, i)
    }.sorted { $0.0 < $1.0 }
    guard angles.count >= 2 else { return [] }
    return angles.indices.map { k in
        let a = angles[k], b = angles[(k + 1) % angles.count]
        var g = b.0 - a.0
        if g <= 0 { g += 360 }
        return (g, a.1, b.1)
    }
}

/// Least-squares slope of log(y) against log(x).
func logLogSlope(_ x: [Double], _ ys: [Double]) -> Double {
    let xs = x.map { log($0) }, ls = ys.map { log(max($0, 1e-12)) }
    let mx = xs.reduce(0, +) / Double(xs.count), my = ls.reduce(0, +) / Double(ls.count)
    let num = zip(xs, ls).map { ($0 - mx) * ($1 - my) }.reduce(0, +), den = xs.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
    return num / den
}
