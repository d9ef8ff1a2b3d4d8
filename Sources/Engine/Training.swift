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
    public var cosine: Bool = false

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

    enum CodingKeys: String, CodingKey { case steps, batch, lr, beta1, beta2, eps, weightDecay, logEvery, cosine }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decode(Int.self, forKey: .steps); batch = try c.decode(Int.self, forKey: .batch)
        lr = try c.decode(Float.self, forKey: .lr); beta1 = try c.decode(Float.self, forKey: .beta1)
        beta2 = try c.decode(Float.self, forKey: .beta2); eps = try c.decode(Float.self, forKey: .eps)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay); logEvery = try c.decode(Int.self, forKey: .logEvery)
        cosine = try c.decodeIfPresent(Bool.self, forKey: .cosine) ?? false
    }

    /// Writes the recipe; `cosine` only when set, so constant-lr recipes (and the cache keys built from them)
    /// encode as before.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(steps, forKey: .steps); try c.encode(batch, forKey: .batch); try c.encode(lr, forKey: .lr)
        try c.encode(beta1, forKey: .beta1); try c.encode(beta2, forKey: .beta2); try c.encode(eps, forKey: .eps)
        try c.encode(weightDecay, forKey: .weightDecay); try c.encode(logEvery, forKey: .logEvery)
        if cosine { try c.encode(cosine, forKey: .cosine) }
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

public enum Trainer {
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
        let gW = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let gb = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let mW = UnsafeMutablePointer<Float>.allocate(capacity: m * n); mW.initialize(repeating: 0, count: m * n)
        let vW = UnsafeMutablePointer<Float>.allocate(capacity: m * n); vW.initialize(repeating: 0, count: m * n)
        let mb = UnsafeMutablePointer<Float>.allocate(capacity: n); mb.initialize(repeating: 0, count: n)
        let vb = UnsafeMutablePointer<Float>.allocate(capacity: n); vb.initialize(repeating: 0, count: n)
        let gc = UnsafeMutablePointer<Float>.allocate(capacity: m)
        let mc = UnsafeMutablePointer<Float>.allocate(capacity: m); mc.initialize(repeating: 0, count: m)
        let vc = UnsafeMutablePointer<Float>.allocate(capacity: m); vc.initialize(repeating: 0, count: m)
        defer { for p in [gW, gb, mW, vW, mb, vb, gc, mc, vc] { p.deallocate() } }

        var curve: [Float] = []
        // The gradient of the notebook objective: d/dx̂ of mean over batch and features.
        let gradScale = 2 / Float(B * n)

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
                    forwardPass(buf, W: W, bias: bias, n: n, m: m, hiddenReLU: hiddenReLU, hiddenBias: c)
                    let logged = step == 1 || step % recipe.logEvery == 0 || step == recipe.steps
                    let loss = lossAndOutputGradient(buf, importance: imp, n: n, relu: relu, gradScale: gradScale,
                                                     target: target, total: logged) / Float(B)
                    backwardPass(buf, W: W, n: n, m: m, gradW: gW, gradB: gb, hiddenReLU: hiddenReLU,
                                 l1Gradient: spec.l1 * gradScale / 2, gradC: c == nil ? nil : gc)
                    if logged {
                        guard loss.isFinite else {
                            throw EngineError.diverged(instance: instance, step: step, what: "loss is \(loss)")
                        }
                        curve.append(loss)
                    }
                    adamW(W, grad: gW, m1: mW, m2: vW, count: m * n, step: step, recipe: recipe)
                    if spec.bias { adamW(bias, grad: gb, m1: mb, m2: vb, count: n, step: step, recipe: recipe) }
                    if let c { adamW(c, grad: gc, m1: mc, m2: vc, count: m, step: step, recipe: recipe) }
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

    /// One AdamW step exactly as torch.optim.AdamW: decoupled decay, then Adam with bias corrections.
    @inline(__always)
    static func adamW(_ p: UnsafeMutablePointer<Float>, grad g: UnsafeMutablePointer<Float>,
                      m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>,
                      count: Int, step: Int, recipe r: TrainingRecipe) {
        let bc1 = 1 - Foundation.pow(Double(r.beta1), Double(step))
        let bc2 = 1 - Foundation.pow(Double(r.beta2), Double(step))
        let lr = r.lr(at: step)
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let decay = 1 - lr * r.weightDecay
        let b1 = r.beta1, b2 = r.beta2, eps = r.eps
        // Sixteen, then eight parameters at a time with the same operations in the same order as the scalar tail
        // below (separate multiplies and adds, no fused multiply-add), so all give the same bits.
        var j = 0
        @inline(__always) func update<V: FloatVector>(_: V.Type) {
            let pv = UnsafeMutableRawPointer(p + j), gv = UnsafeMutableRawPointer(g + j)
            let av = UnsafeMutableRawPointer(m1 + j), vv = UnsafeMutableRawPointer(m2 + j)
            let gj = gv.loadUnaligned(as: V.self)
            var pj = pv.loadUnaligned(as: V.self) * decay
            let aj = b1 * av.loadUnaligned(as: V.self) + (1 - b1) * gj
            let vj = b2 * vv.loadUnaligned(as: V.self) + (1 - b2) * gj * gj
            let denom = vj.lanesSquareRoot() / bc2Sqrt + eps
            pj -= stepSize * aj / denom
            pv.storeBytes(of: pj, as: V.self); av.storeBytes(of: aj, as: V.self)
            vv.storeBytes(of: vj, as: V.self)
            j += V.scalarCount
        }
        while j + 16 <= count { update(SIMD16<Float>.self) }
        while j + 8 <= count { update(SIMD8<Float>.self) }
        for j in j..<count {
            p[j] *= decay
            m1[j] = b1 * m1[j] + (1 - b1) * g[j]
            m2[j] = b2 * m2[j] + (1 - b2) * g[j] * g[j]
            let denom = m2[j].squareRoot() / bc2Sqrt + eps
            p[j] -= stepSize * m1[j] / denom
        }
    }
}
