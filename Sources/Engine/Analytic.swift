// Closed-form losses of the paper's data and prototype solutions (catalogue §3 "Analytic reference values").
// p is the feature density 1 − S; losses use the paper's convention (sum over features, mean over samples).

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

    /// Loss of an antipodal pair with importances I_a, I_b and zero bias: (I_a + I_b) p²/6.
    public static func antipodalPairLoss(_ ia: Double, _ ib: Double, density p: Double) -> Double {
        (ia + ib) * p * p / 6
    }
}
