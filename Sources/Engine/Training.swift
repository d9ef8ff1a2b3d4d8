// Trains many toy-model instances at once with AdamW (the official notebook's recipe), one instance per job,
// spread over the threads. Each instance owns its RNG stream, so results do not depend on the thread count.
//
// Objective (as the notebook): mean over batch and features of I_i (x_i − x̂_i)².
// Reported losses use the paper's convention: mean over samples of Σ_i I_i (x_i − x̂_i)².

import Foundation

/// The optimiser recipe. Defaults are the official notebook's: AdamW (PyTorch defaults), constant lr.
public struct TrainingRecipe: Codable, Sendable, Hashable {
    /// Optimiser steps (notebook: 10,000).
    public var steps: Int
    /// Samples per training batch; a positive multiple of 8 (notebook: 1024).
    public var batch: Int
    /// AdamW learning rate (notebook: 1e-3); with `cosine`, the rate at step 1.
    public var lr: Float
    /// AdamW's first-moment decay β₁ (PyTorch default 0.9).
    public var beta1: Float
    /// AdamW's second-moment decay β₂ (PyTorch default 0.999).
    public var beta2: Float
    /// AdamW's ε, added to the denominator √v̂ (PyTorch default 1e-8).
    public var eps: Float
    /// AdamW's decoupled weight decay: each step first multiplies the parameters by 1 − lr·weightDecay
    /// (notebook: 0.01).
    public var weightDecay: Float
    /// The training loss is recorded every `logEvery` steps (and at the last step).
    public var logEvery: Int
    /// Cosine decay of the learning rate from `lr` at step 1 towards 0 at the last step (PyTorch's
    /// CosineAnnealingLR with T_max = steps, stepped after each update); false: constant lr, the notebook's.
    @Added<False>
    public var cosine: Bool

    public init(steps: Int = 10_000, batch: Int = 1024, lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0.01, logEvery: Int = 100, cosine: Bool = false) {
        self.steps = steps; self.batch = batch; self.lr = lr; self.beta1 = beta1; self.beta2 = beta2
        self.eps = eps; self.weightDecay = weightDecay; self.logEvery = logEvery; self.cosine = cosine
    }

    /// The learning rate of step `step` (1-based): `lr`, or lr · (1 + cos(π (step − 1) / steps)) / 2 with `cosine`.
    public func lr(at step: Int) -> Float {
        guard cosine else { return lr }
        return Float(Double(lr) * (1 + Foundation.cos(Double.pi * Double(step - 1) / Double(steps))) / 2)
    }

    /// The official notebook (toy_models.ipynb): AdamW lr 1e-3, betas 0.9/0.999, eps 1e-8, wd 0.01,
    /// batch 1024, 10,000 steps.
    public static let notebook = TrainingRecipe()

    /// Checks the recipe and names the first bad value.
    public func validate() throws {
        guard steps > 0 else { throw EngineError.invalidConfig("steps must be positive, got \(steps)") }
        guard batch > 0, batch % 8 == 0 else {
            throw EngineError.invalidConfig("batch must be a positive multiple of 8, got \(batch)")
        }
        guard lr > 0, lr.isFinite else { throw EngineError.invalidConfig("lr must be positive, got \(lr)") }
        guard logEvery > 0 else { throw EngineError.invalidConfig("logEvery must be positive, got \(logEvery)") }
    }
}

/// One trained instance: its spec, final parameters and training-loss curve.
public struct TrainedModel: Codable, Sendable {
    public var spec: ToyModelSpec
    public var model: ToyModel
    /// Training-batch loss (paper convention) at steps 0, logEvery, 2·logEvery, …, and the last step.
    public var lossCurve: [Float]

    public init(spec: ToyModelSpec, model: ToyModel, lossCurve: [Float]) {
        self.spec = spec; self.model = model; self.lossCurve = lossCurve
    }
}

/// Another implementation that trains toy models in this engine's place: the PyTorch reference of the cross-check
/// (`paper crosscheck`). It gets the same specs, recipe and initial weights, draws its own data and initial weights
/// with its own RNG, and returns the trained parameters in this engine's layout.
public protocol ExternalTrainer: Sendable {
    /// `Trainer.train`'s work: the specs trained with the recipe, from `initial[i]` where given.
    func train(_ specs: [ToyModelSpec], recipe: TrainingRecipe, initial: [ToyModel?]?) throws -> [TrainedModel]
    /// `Trainer.trainWithSnapshots`'s work: one spec, and its weights after each step listed.
    func trainWithSnapshots(_ spec: ToyModelSpec, recipe: TrainingRecipe, initial: ToyModel?,
                            at steps: [Int]) throws -> (trained: TrainedModel, snapshots: [ToyModel])
    /// `Trainer.trainAbs`'s work: absolute-value models.
    func trainAbs(_ specs: [AbsSpec], recipe: TrainingRecipe) throws -> [AbsModel]
}

public enum Trainer {
    /// While set (inside `Trainer.withExternal(t) { … }`), `train`, `trainWithSnapshots` and `trainAbs` hand every
    /// call to `t` instead of this engine, and the large model refuses to train; nil (always, outside the
    /// cross-check): this engine trains. Task-local, and carried into `parallelFor`'s threads.
    @TaskLocal public static var external: (any ExternalTrainer)?

    /// Runs `body` with `trainer` training in this engine's place (see `external`).
    public static func withExternal<T>(_ trainer: any ExternalTrainer, _ body: () throws -> T) rethrows -> T {
        try $external.withValue(trainer) { try body() }
    }

    /// Trains every spec with `recipe` on `threads` threads; the result's order is the specs' order.
    /// `initial[i]`, when given, replaces spec i's random initial weights (its data stream is unchanged).
    public static func train(_ specs: [ToyModelSpec], recipe: TrainingRecipe, threads: Int,
                             initial: [ToyModel?]? = nil) throws -> [TrainedModel] {
        try recipe.validate()
        for s in specs { try s.validate() }
        if let initial {
            precondition(initial.count == specs.count, "one initial model (or nil) per spec")
            for (s, w) in zip(specs, initial) where w != nil {
                guard w!.n == s.n && w!.m == s.m else {
                    throw EngineError.invalidConfig("an initial model is \(w!.n)×\(w!.m), its spec \(s.n)×\(s.m)")
                }
            }
        }
        if let external {
            let trained = try external.train(specs, recipe: recipe, initial: initial)
            guard trained.count == specs.count, zip(trained, specs).allSatisfy({ t, s in
                t.model.n == s.n && t.model.m == s.m && t.model.W.count == s.m * s.n && t.model.b.count == s.n }) else {
                throw EngineError.invalidConfig("the external trainer returned models that do not match their specs")
            }
            return trained
        }
        let out = Slots<Result<TrainedModel, EngineError>>(count: specs.count)
        parallelFor(specs.count, threads: threads) { i in
            do { out[i] = .success(try trainOne(specs[i], recipe: recipe, instance: i, initial: initial?[i])) }
            catch let e as EngineError { out[i] = .failure(e) }
            catch { out[i] = .failure(.invalidConfig("\(error)")) }
        }
        let trained = try out.values.map { try $0!.get() }
        for t in trained { WeightRecorder.note { t.recorded } }
        return trained
    }

    /// Trains one instance and returns its weights after each step listed in `steps` too (for learning dynamics).
    public static func trainWithSnapshots(_ spec: ToyModelSpec, recipe: TrainingRecipe, initial: ToyModel? = nil,
                                          at steps: [Int]) throws -> (trained: TrainedModel, snapshots: [ToyModel]) {
        try recipe.validate()
        try spec.validate()
        if let external {
            let (t, snapshots) = try external.trainWithSnapshots(spec, recipe: recipe, initial: initial, at: steps)
            guard snapshots.count == Set(steps).filter({ (1...recipe.steps).contains($0) }).count else {
                throw EngineError.invalidConfig("the external trainer returned \(snapshots.count) snapshots for \(steps.count) steps")
            }
            return (t, snapshots)
        }
        let wanted = Set(steps)
        var snapshots: [ToyModel] = []
        let t = try trainOne(spec, recipe: recipe, initial: initial) { step, model in
            if wanted.contains(step) { snapshots.append(model()) }
        }
        WeightRecorder.note { t.recorded }
        return (t, snapshots)
    }

    /// Trains one instance: Xavier-normal init from the spec's seed, then `recipe.steps` AdamW steps,
    /// each on a fresh batch drawn from the same stream.
    /// `wideKernels` chooses SIMD16 kernels (default: where the processor has AVX-512); the result is the same bits.
    public static func trainOne(_ spec: ToyModelSpec, recipe: TrainingRecipe, instance: Int = 0,
                                initial: ToyModel? = nil, wideKernels: Bool = KernelWidth.wide,
                                observe: ((Int, () -> ToyModel) -> Void)? = nil) throws -> TrainedModel {
        let n = spec.n, m = spec.m, B = recipe.batch
        var initRng = Xoshiro(seed: spec.seed)
        var model = ToyModel.xavierNormal(n: n, m: m, activation: spec.activation, hidden: spec.hidden, rng: &initRng)
        if let initial { model.W = initial.W; model.b = initial.b }
        // The hidden bias c (m entries, from 0) and the attack's clean-target buffer, when the spec asks for them.
        var hiddenBias = [Float](repeating: 0, count: spec.hiddenBias ? m : 0)
        if spec.hiddenBias, let c = initial?.c, c.count == m { hiddenBias = c }
        let target: FeatureMajorBatch? = spec.attack > 0 ? FeatureMajorBatch(rows: n, batch: B) : nil
        defer { target?.deallocate() }
        var attackRng = Xoshiro(seed: deriveSeed(spec.seed, 3))
        let hiddenReLU = spec.hidden == .relu
        var dataRng = Xoshiro8(seed: deriveSeed(spec.seed, 1))
        let relu = spec.activation == .relu
        let thresholds = samplingThresholds(density: spec.density, sets: spec.sets)
        let sets = spec.sets ?? []
        var choiceRng = Xoshiro8(seed: deriveSeed(spec.seed, 2))

        let buf = StepBuffers(n: n, m: m, batch: B, wide: wideKernels)
        var optimiser = ToyOptimiser(n: n, m: m, hiddenBias: spec.hiddenBias)

        var curve: [Float] = []

        try spec.importance.withUnsafeBufferPointer { impBuf in
          try thresholds.withUnsafeBufferPointer { thrBuf in
            try model.W.withUnsafeMutableBufferPointer { wBuf in
              try model.b.withUnsafeMutableBufferPointer { bBuf in
               try hiddenBias.withUnsafeMutableBufferPointer { cBuf in
                let W = wBuf.baseAddress!, bias = bBuf.baseAddress!, imp = impBuf.baseAddress!
                let c: UnsafeMutablePointer<Float>? = spec.hiddenBias ? cBuf.baseAddress! : nil
                for step in 1...recipe.steps {
                    sampleSparseBatch(buf.x, thresholds: thrBuf.baseAddress!, rng: &dataRng)
                    if !sets.isEmpty { applyFeatureSets(buf.x, sets, choice: &choiceRng) }
                    if let target { applyAttack(buf.x, clean: target, W: W, n: n, m: m, strength: spec.attack, rng: &attackRng) }
                    let logged = step == 1 || step % recipe.logEvery == 0 || step == recipe.steps
                    let loss = toyModelStep(buf, W: W, bias: bias, hiddenBias: c, n: n, m: m, importance: imp, relu: relu,
                                            hiddenReLU: hiddenReLU, l1: spec.l1, trainBias: spec.bias, target: target,
                                            total: logged, step: AdamWStep(recipe, step: step), optimiser: &optimiser)
                    if logged {
                        guard loss.isFinite else {
                            throw EngineError.diverged(instance: instance, step: step, what: "loss is \(loss)")
                        }
                        curve.append(loss)
                    }
                    observe?(step) {
                        ToyModel(n: n, m: m, activation: spec.activation, W: Array(UnsafeBufferPointer(start: W, count: m * n)),
                                 b: Array(UnsafeBufferPointer(start: bias, count: n)), hidden: spec.hidden,
                                 c: c.map { Array(UnsafeBufferPointer(start: $0, count: m)) })
                    }
                }
                for j in 0..<(m * n) where !W[j].isFinite {
                    throw EngineError.diverged(instance: instance, step: recipe.steps, what: "W has a non-finite entry")
                }
               }
              }
            }
          }
        }
        if spec.hiddenBias { model.c = hiddenBias }
        return TrainedModel(spec: spec, model: model, lossCurve: curve)
    }
}

/// The gradients and AdamW moments of a toy model's W (m × n), b (n) and hidden bias c (m, when trained).
struct ToyOptimiser {
    var gW: [Float], gb: [Float], gc: [Float]
    var mW: AdamMoments, mb: AdamMoments, mc: AdamMoments
    init(n: Int, m: Int, hiddenBias: Bool) {
        gW = .init(repeating: 0, count: m * n); gb = .init(repeating: 0, count: n); gc = .init(repeating: 0, count: hiddenBias ? m : 0)
        mW = AdamMoments(count: m * n); mb = AdamMoments(count: n); mc = AdamMoments(count: hiddenBias ? m : 0)
    }
}

/// One training step of a toy model on the batch already in `buf.x` (the notebook objective: mean over batch and
/// features of I_i (x_i − x̂_i)², plus the L1 penalty): forward, loss, backward, then one AdamW step of W, of b when
/// `trainBias`, and of c when given. Returns the batch's loss in the paper's convention (mean over samples of
/// Σ_i I_i (x_i − x̂_i)²), computed only when `total` (0 otherwise). The one step of `Trainer.trainOne` and `replay`.
func toyModelStep(_ buf: StepBuffers, W: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
                  hiddenBias c: UnsafeMutablePointer<Float>?, n: Int, m: Int, importance: UnsafePointer<Float>, relu: Bool,
                  hiddenReLU: Bool, l1: Float, trainBias: Bool, target: FeatureMajorBatch?, total: Bool,
                  step: AdamWStep, optimiser o: inout ToyOptimiser) -> Float {
    let B = buf.x.vectors * 8
    // The gradient of the notebook objective: d/dx̂ of mean over batch and features.
    let gradScale = 2 / Float(B * n)
    forwardPass(buf, W: W, bias: bias, n: n, m: m, hiddenReLU: hiddenReLU, hiddenBias: c)
    let loss = lossAndOutputGradient(buf, importance: importance, n: n, relu: relu, gradScale: gradScale,
                                     target: target, total: total) / Float(B)
    o.gW.withUnsafeMutableBufferPointer { gW in
        o.gb.withUnsafeMutableBufferPointer { gb in
            o.gc.withUnsafeMutableBufferPointer { gc in
                backwardPass(buf, W: W, n: n, m: m, gradW: gW.baseAddress!, gradB: gb.baseAddress!, hiddenReLU: hiddenReLU,
                             l1Gradient: l1 * gradScale / 2, gradC: c == nil ? nil : gc.baseAddress!)
                o.mW.step(W, gW.baseAddress!, step)
                if trainBias { o.mb.step(bias, gb.baseAddress!, step) }
                if let c { o.mc.step(c, gc.baseAddress!, step) }
            }
        }
    }
    return loss
}
