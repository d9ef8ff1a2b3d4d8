// The paper's toy models: x̂ = ReLU(WᵀWx + b) (ReLU output) and x̂ = WᵀWx + b (linear), W being m×n,
// trained on sparse features x_i = 0 with probability S_i, else U[0,1] (paper §3, "Experiment Setup").

/// The output non-linearity of the toy model.
public enum OutputActivation: String, Codable, Sendable, Hashable {
    /// x̂ = ReLU(WᵀWx + b), the paper's main model.
    case relu
    /// x̂ = WᵀWx + b, the linear twin.
    case linear
}

/// The hidden layer's non-linearity.
public enum HiddenActivation: String, Codable, Sendable, Hashable {
    /// h = Wx: the hidden basis is not privileged (any rotation of W gives the same model).
    case linear
    /// h = ReLU(Wx): the model of paper §8, whose neurons form a privileged basis.
    case relu
}

/// Everything that decides one trained model instance, except the optimiser recipe.
public struct ToyModelSpec: Codable, Sendable, Hashable {
    /// Number of features.
    public var n: Int
    /// Number of hidden dimensions.
    public var m: Int
    public var activation: OutputActivation
    /// Importance I_i of each feature's squared error.
    public var importance: [Float]
    /// Feature density 1 − S_i of each feature.
    public var density: [Float]
    /// Seed of the instance's RNG streams (initial weights, then training data).
    public var seed: UInt64
    /// Whether the model has a trained output bias (false: b stays 0, as in McGrath's "confused feature" model).
    public var bias: Bool
    /// The hidden layer: linear (h = Wx, the paper's main models) or ReLU (h = ReLU(Wx), §8's privileged basis).
    @Added<LinearHidden>
    public var hidden: HiddenActivation
    /// λ of an L1 penalty λ‖h‖₁ on the hidden activations (paper §10), added per sample to the importance-weighted
    /// squared error before the mean over batch and features. 0: none.
    @Added<Zero>
    public var l1: Float
    /// Correlated or anticorrelated feature sets (paper §5.6–§5.8); nil or empty: every feature independent.
    public var sets: [FeatureSet]?
    /// Whether the hidden layer has a trained bias c, h = act(Wx + c) (paper §8's limitation). Default false.
    @Added<False>
    public var hiddenBias: Bool
    /// Adversarial training (paper §7): each training input is perturbed by the analytic attack on one random
    /// feature i, x + λ (WᵀW)_i / ‖(WᵀW)_i‖ with λ = `attack` × the batch's mean input norm, computed from the
    /// current W and held constant in the gradient; the target stays the clean x. 0: none.
    @Added<Zero>
    public var attack: Float

    public init(n: Int, m: Int, activation: OutputActivation, importance: [Float], density: [Float], seed: UInt64,
                bias: Bool = true, hidden: HiddenActivation = .linear, l1: Float = 0, sets: [FeatureSet]? = nil,
                hiddenBias: Bool = false, attack: Float = 0) {
        self.n = n; self.m = m; self.activation = activation
        self.importance = importance; self.density = density; self.seed = seed; self.bias = bias; self.hidden = hidden
        self.l1 = l1; self.sets = sets; self.hiddenBias = hiddenBias; self.attack = attack
    }

    /// A spec whose features all share one density.
    public init(n: Int, m: Int, activation: OutputActivation, importance: [Float], density: Float, seed: UInt64,
                bias: Bool = true, hidden: HiddenActivation = .linear, l1: Float = 0, sets: [FeatureSet]? = nil,
                hiddenBias: Bool = false, attack: Float = 0) {
        self.init(n: n, m: m, activation: activation, importance: importance,
                  density: Array(repeating: density, count: n), seed: seed, bias: bias, hidden: hidden, l1: l1, sets: sets,
                  hiddenBias: hiddenBias, attack: attack)
    }

    /// Checks the spec and names the first bad value.
    public func validate() throws {
        guard n > 0 else { throw EngineError.invalidConfig("n must be positive, got \(n)") }
        guard m > 0 else { throw EngineError.invalidConfig("m must be positive, got \(m)") }
        guard importance.count == n else {
            throw EngineError.invalidConfig("importance has \(importance.count) entries, expected n = \(n)")
        }
        guard density.count == n else {
            throw EngineError.invalidConfig("density has \(density.count) entries, expected n = \(n)")
        }
        for d in density where !(d >= 0 && d <= 1) {
            throw EngineError.invalidConfig("feature density must be in [0, 1], got \(d)")
        }
        guard attack >= 0 && attack.isFinite else {
            throw EngineError.invalidConfig("the attack strength must be finite and non-negative, got \(attack)")
        }
        guard l1 >= 0 && l1.isFinite else { throw EngineError.invalidConfig("the L1 coefficient must be finite and non-negative, got \(l1)") }
        for i in importance where !(i >= 0 && i.isFinite) {
            throw EngineError.invalidConfig("importance must be finite and non-negative, got \(i)")
        }
        try validateSets()
    }
}

/// Errors of the training engine.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case diverged(instance: Int, step: Int, what: String)

    public var description: String {
        switch self {
        case .invalidConfig(let s): return "invalid config: \(s)"
        case .diverged(let i, let step, let what): return "training diverged: instance \(i), step \(step): \(what)"
        }
    }
}

/// A toy model's parameters. W is stored row-major as m rows of n: column i is feature i's direction W_i.
public struct ToyModel: Codable, Sendable, Equatable {
    public var n: Int
    public var m: Int
    public var activation: OutputActivation
    /// W, m×n, row-major.
    public var W: [Float]
    /// The output bias b, n entries.
    public var b: [Float]
    @Added<LinearHidden>
    public var hidden: HiddenActivation
    /// The hidden bias c, m entries (nil: none), h = act(Wx + c).
    public var c: [Float]?

    public init(n: Int, m: Int, activation: OutputActivation, W: [Float], b: [Float], hidden: HiddenActivation = .linear,
                c: [Float]? = nil) {
        precondition(W.count == m * n && b.count == n && (c == nil || c!.count == m))
        self.n = n; self.m = m; self.activation = activation; self.W = W; self.b = b; self.hidden = hidden; self.c = c
    }

    /// Xavier-normal W (std √(2/(n+m)), per instance) and b = 0, drawn from `rng`.
    /// The official notebook's xavier on its (instances, n, m) tensor also counts the instances in the fan;
    /// we do not, so that an instance does not change when a sweep gains instances.
    public static func xavierNormal(n: Int, m: Int, activation: OutputActivation, hidden: HiddenActivation = .linear,
                                    rng: inout Xoshiro) -> ToyModel {
        let std = (2.0 / Double(n + m)).squareRoot()
        let W = (0..<(m * n)).map { _ in Float(rng.normal() * std) }
        return ToyModel(n: n, m: m, activation: activation, W: W, b: Array(repeating: 0, count: n), hidden: hidden)
    }

    /// W_ki: row k (hidden dimension), column i (feature).
    @inline(__always) public func w(_ k: Int, _ i: Int) -> Float { W[k * n + i] }

    /// The model's output for one input x (n entries).
    public func forward(_ x: [Float]) -> [Float] {
        var h = [Float](repeating: 0, count: m)
        for k in 0..<m {
            var acc: Float = c?[k] ?? 0
            for i in 0..<n { acc += w(k, i) * x[i] }
            h[k] = hidden == .relu ? max(acc, 0) : acc
        }
        return (0..<n).map { i in
            var z = b[i]
            for k in 0..<m { z += w(k, i) * h[k] }
            return activation == .relu ? max(z, 0) : z
        }
    }
}
