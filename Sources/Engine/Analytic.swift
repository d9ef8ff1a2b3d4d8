// Closed-form losses of the paper's data and prototype solutions (catalogue §3 "Analytic reference values").
// p is the feature density 1 − S; losses use the paper's convention (sum over features, mean over samples).

import Foundation

public enum Analytic {
    /// Var(x) for x = 0 w.p. 1−p, else U[0,1]: p/3 − p²/4. The loss of a feature the model drops
    /// (its bias then sits at E[x] = p/2).
    public static func droppedFeatureLoss(density p: Double) -> Double { p / 3 - p * p / 4 }

    /// The linear model's optimal loss: it keeps the m most important features exactly and drops the rest,
    /// so L = Σ_{i≥m} I_i (p/3 − p²/4), importances sorted in decreasing order.
    public static func linearOptimalLoss(importance: [Double], m: Int, density p: Double) -> Double {
        let sorted = importance.sorted(by: >)
        return sorted.dropFirst(m).reduce(0) { $0 + $1 * droppedFeatureLoss(density: p) }
    }

}

extension Analytic {
    /// Paper §3b (footnote 10): the linear model without bias on x ~ N(0, I) has loss
    /// Σ_i I_i (1 − ‖W_i‖²)² + Σ_{i≠j} I_j (W_j·W_i)².
    public static func linearGaussianLoss(_ model: ToyModel, importance: [Double]) -> Double {
        let g = model.gram, n = model.n
        var loss = 0.0
        for i in 0..<n {
            loss += importance[i] * (1 - g[i * n + i]) * (1 - g[i * n + i])
            for j in 0..<n where j != i { loss += importance[j] * g[j * n + i] * g[j * n + i] }
        }
        return loss
    }

    /// Paper §3b: the 1-sparse loss L₁ = Σ_i ∫₀¹ I_i (x − ReLU(‖W_i‖² x + b_i))² dx
    ///                                  + Σ_{i≠j} ∫₀¹ I_j ReLU(W_j·W_i x + b_j)² dx,
    /// by composite Simpson quadrature with `intervals` (even) steps per integral. ReLU output model.
    public static func oneSparseLoss(_ model: ToyModel, importance: [Double], intervals: Int = 20_000) -> Double {
        let g = model.gram, n = model.n
        let b = model.b.map(Double.init)
        func simpson(_ f: (Double) -> Double) -> Double {
            let h = 1.0 / Double(intervals)
            var s = f(0) + f(1)
            for k in 1..<intervals { s += (k % 2 == 1 ? 4 : 2) * f(Double(k) * h) }
            return s * h / 3
        }
        var total = 0.0
        for i in 0..<n {
            let nii = g[i * n + i]
            total += importance[i] * simpson { x in let e = x - max(0, nii * x + b[i]); return e * e }
            for j in 0..<n where j != i {
                let wji = g[j * n + i]
                total += importance[j] * simpson { x in let r = max(0, wji * x + b[j]); return r * r }
            }
        }
        return total
    }

    /// Paper §3b: the loss on the all-zero input, Σ_i I_i ReLU(b_i)² (ReLU output model).
    public static func zeroInputLoss(_ model: ToyModel, importance: [Double]) -> Double {
        (0..<model.n).reduce(0) { $0 + importance[$1] * pow(max(0, Double(model.b[$1])), 2) }
    }
}

/// The prototype solutions of paper §4 ("toy model of the toy model") and their closed-form losses,
/// p the density of every feature, r the extra (last) feature's importance, the others' importance 1.
public enum PhasePrototype: String, Codable, Sendable, CaseIterable {
    /// n=2: W = [1, 0], the extra feature is ignored. n=3: W ⊥ [0,0,1].
    case ignoreExtra
    /// n=2: W = [0, 1]; n=3: W ⊥ [1,0,0]: a regular feature is dropped and the extra one gets a dimension.
    case dedicateExtra
    /// n=2: W = [1, −1]; n=3: W ⊥ [0,1,1]: the extra feature is antipodal to a regular one (superposition).
    case superposeExtra
    /// n=3 only: W ⊥ [1,1,0]: the two regular features share a dimension antipodally, the extra one is dedicated.
    case superposeRegular

    /// The prototypes of the n-feature problem (n = 2 or 3).
    public static func all(n: Int) -> [PhasePrototype] {
        n == 2 ? [.ignoreExtra, .dedicateExtra, .superposeExtra] : allCases
    }

    /// The closed-form loss (catalogue C4.5 and C4.8; Wattenberg's notebook).
    public func loss(density p: Double, importance r: Double) -> Double {
        let dropped = Analytic.droppedFeatureLoss(density: p)
        switch self {
        case .ignoreExtra: return r * dropped
        case .dedicateExtra: return dropped
        case .superposeExtra: return (1 + r) * p * p / 6
        case .superposeRegular: return p * p / 3
        }
    }

    /// The prototype with the lowest loss (ties: the first in `all(n:)`).
    public static func best(n: Int, density p: Double, importance r: Double) -> PhasePrototype {
        all(n: n).min { $0.loss(density: p, importance: r) < $1.loss(density: p, importance: r) }!
    }

    /// The prototype as a model: W (m×n) and the optimal biases (E[x] = p/2 for a dropped feature, else 0).
    public func model(n: Int, density p: Double) -> ToyModel {
        let half = Float(p / 2)
        if n == 2 {
            switch self {
            case .ignoreExtra: return ToyModel(n: 2, m: 1, activation: .relu, W: [1, 0], b: [0, half])
            case .dedicateExtra: return ToyModel(n: 2, m: 1, activation: .relu, W: [0, 1], b: [half, 0])
            case .superposeExtra, .superposeRegular: return ToyModel(n: 2, m: 1, activation: .relu, W: [1, -1], b: [0, 0])
            }
        }
        // n = 3, m = 2: W kills the named vector; antipodal features have unit norm, as for n = 2.
        switch self {
        case .ignoreExtra: return ToyModel(n: 3, m: 2, activation: .relu, W: [1, 0, 0, 0, 1, 0], b: [0, 0, half])
        case .dedicateExtra: return ToyModel(n: 3, m: 2, activation: .relu, W: [0, 1, 0, 0, 0, 1], b: [half, 0, 0])
        case .superposeExtra: return ToyModel(n: 3, m: 2, activation: .relu, W: [1, 0, 0, 0, 1, -1], b: [0, 0, 0])
        case .superposeRegular: return ToyModel(n: 3, m: 2, activation: .relu, W: [1, -1, 0, 0, 0, 1], b: [0, 0, 0])
        }
    }
}
