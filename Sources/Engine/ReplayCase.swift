// The fixed case on which the engine is compared with the PyTorch reference: initial weights, one batch and the
// recipe, all from fixed seeds, so that the Swift side can regenerate exactly what the golden file recorded.

/// A replay case: start from `W`, `b`, train `steps` AdamW steps on `batch`.
public struct ReplayCase: Codable, Sendable, Equatable {
    public var n: Int
    public var m: Int
    public var W: [Float]
    public var b: [Float]
    public var importance: [Float]
    /// Sample-major, batch × n.
    public var batch: [Float]
    public var steps: Int
    public var lr: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float

    /// n = 8, m = 3, I = 0.9^i, 64 samples at density 0.3, 30 steps of the notebook's AdamW.
    public static func standard() -> ReplayCase {
        var rng = Xoshiro(seed: 2022)
        let model = ToyModel.xavierNormal(n: 8, m: 3, activation: .relu, rng: &rng)
        let r = TrainingRecipe.notebook
        var imp: [Float] = []
        var v: Float = 1
        for _ in 0..<8 { imp.append(v); v *= 0.9 }
        return ReplayCase(n: 8, m: 3, W: model.W, b: model.b, importance: imp,
                          batch: sparseBatch(batch: 64, density: Array(repeating: 0.3, count: 8), seed: 2023),
                          steps: 30, lr: r.lr, beta1: r.beta1, beta2: r.beta2, eps: r.eps, weightDecay: r.weightDecay)
    }

    /// The losses (paper convention) before each step, from our engine.
    public func engineLosses() -> [Float] {
        let recipe = TrainingRecipe(steps: steps, batch: batch.count / n, lr: lr, beta1: beta1, beta2: beta2, eps: eps,
                                    weightDecay: weightDecay)
        return Trainer.replay(ToyModel(n: n, m: m, activation: .relu, W: W, b: b), importance: importance,
                              batch: batch, steps: steps, recipe: recipe).losses
    }
}

/// The golden file of the replay (Tests/EngineTests/torch-replay.json): the case, the losses PyTorch gave on it and
/// PyTorch's version. `paper bench --torch-golden` writes it; TorchReplayTests reads it.
public struct ReplayGolden: Codable, Sendable {
    public var replayCase: ReplayCase
    public var torchLosses: [Double]
    public var torchVersion: String
    public init(replayCase: ReplayCase, torchLosses: [Double], torchVersion: String) {
        self.replayCase = replayCase; self.torchLosses = torchLosses; self.torchVersion = torchVersion
    }
}
