// Paper §9, computation in superposition: the absolute-value model h = ReLU(W₁x), y = ReLU(W₂h + b), with untied
// W₁ (m×n) and W₂ (n×m), trained on signed sparse features x_i ∈ U[−1, 1] to output |x|. Same AdamW recipe,
// same kernels, own parameters.

/// One trained absolute-value model.
public struct AbsModel: Codable, Sendable, Equatable {
    public var n: Int
    public var m: Int
    /// W₁, m×n row-major: row k is hidden neuron k's input weights.
    public var W1: [Float]
    /// W₂, n×m row-major: row i is output i's weights over the neurons.
    public var W2: [Float]
    public var b: [Float]

    public init(n: Int, m: Int, W1: [Float], W2: [Float], b: [Float]) {
        precondition(W1.count == m * n && W2.count == n * m && b.count == n)
        self.n = n; self.m = m; self.W1 = W1; self.W2 = W2; self.b = b
    }

    /// The model's output for one input x.
    public func forward(_ x: [Float]) -> [Float] {
        let h = (0..<m).map { k in max(0, (0..<n).reduce(Float(0)) { $0 + W1[k * n + $1] * x[$1] }) }
        return (0..<n).map { i in max(0, (0..<m).reduce(b[i]) { $0 + W2[i * m + $1] * h[$1] }) }
    }
}

/// Everything that decides one trained absolute-value model, except the recipe.
public struct AbsSpec: Codable, Sendable, Hashable {
    public var n: Int
    public var m: Int
    public var importance: [Float]
    public var density: [Float]
    public var seed: UInt64
    public init(n: Int, m: Int, importance: [Float], density: Float, seed: UInt64) {
        self.n = n; self.m = m; self.importance = importance; self.density = Array(repeating: density, count: n); self.seed = seed
    }
}

/// g[r·rowsB + c] = Σ_samples a[r]·b[c], with lane sums in a fixed order.
@inline(__always)
func rowDots(_ a: FeatureMajorBatch, rowsA: Int, _ b: FeatureMajorBatch, rowsB: Int, into g: UnsafeMutablePointer<Float>) {
    let nv = a.vectors
    for r in 0..<rowsA {
        let ar = a.row(r)
        var c = 0
        while c + 4 <= rowsB {
            let b0 = b.row(c), b1 = b.row(c + 1), b2 = b.row(c + 2), b3 = b.row(c + 3)
            var s0 = SIMD8<Float>.zero, s1 = s0, s2 = s0, s3 = s0
            for j in 0..<nv {
                let p = ar[j]
                s0 = s0.addingProduct(p, b0[j]); s1 = s1.addingProduct(p, b1[j])
                s2 = s2.addingProduct(p, b2[j]); s3 = s3.addingProduct(p, b3[j])
            }
            let gr = g + r * rowsB + c
            gr[0] = laneSum(s0); gr[1] = laneSum(s1); gr[2] = laneSum(s2); gr[3] = laneSum(s3)
            c += 4
        }
        while c < rowsB {
            let b0 = b.row(c)
            var s0 = SIMD8<Float>.zero
            for j in 0..<nv { s0 = s0.addingProduct(ar[j], b0[j]) }
            g[r * rowsB + c] = laneSum(s0)
            c += 1
        }
    }
}

extension Trainer {
    /// Trains absolute-value models (Xavier-normal W₁ and W₂, b = 0) with `recipe`, one per spec.
    public static func trainAbs(_ specs: [AbsSpec], recipe: TrainingRecipe, threads: Int) throws -> [AbsModel] {
        try recipe.validate()
        if let external {
            let models = try external.trainAbs(specs, recipe: recipe)
            guard models.count == specs.count, zip(models, specs).allSatisfy({ $0.n == $1.n && $0.m == $1.m }) else {
                throw EngineError.invalidConfig("the external trainer returned absolute-value models that do not match their specs")
            }
            return models
        }
        let out = Slots<Result<AbsModel, EngineError>>(count: specs.count)
        parallelFor(specs.count, threads: threads) { i in
            do { out[i] = .success(try trainAbsOne(specs[i], recipe: recipe, instance: i)) }
            catch let e as EngineError { out[i] = .failure(e) }
            catch { out[i] = .failure(.invalidConfig("\(error)")) }
        }
        let models = try out.values.map { try $0!.get() }
        for (s, a) in zip(specs, models) {
            WeightRecorder.note {
                RecordedInstance(kind: "abs", seed: s.seed, settings: ["n": Double(s.n), "m": Double(s.m)],
                                 arrays: [RecordedArray(name: "W1", shape: [a.m, a.n], values: a.W1),
                                          RecordedArray(name: "W2", shape: [a.n, a.m], values: a.W2),
                                          RecordedArray(name: "b", shape: [a.b.count], values: a.b),
                                          RecordedArray(name: "importance", shape: [s.importance.count], values: s.importance),
                                          RecordedArray(name: "density", shape: [s.density.count], values: s.density)])
            }
        }
        return models
    }

    static func trainAbsOne(_ spec: AbsSpec, recipe: TrainingRecipe, instance: Int) throws -> AbsModel {
        let n = spec.n, m = spec.m, B = recipe.batch
        var rng = Xoshiro(seed: spec.seed)
        let std = (2.0 / Double(n + m)).squareRoot()
        var W1 = (0..<(m * n)).map { _ in Float(rng.normal() * std) }
        var W2 = (0..<(n * m)).map { _ in Float(rng.normal() * std) }
        var b = [Float](repeating: 0, count: n)
        var data = Xoshiro8(seed: deriveSeed(spec.seed, 1))
        let thresholds = spec.density.map(presenceThreshold)
        let buf = StepBuffers(n: n, m: m, batch: B)
        var g1 = [Float](repeating: 0, count: m * n), g2 = g1, gb = [Float](repeating: 0, count: n)
        var a1 = AdamMoments(count: m * n), a2 = AdamMoments(count: n * m), ab = AdamMoments(count: n)
        let gradScale = 2 / Float(B * n)
        for step in 1...recipe.steps {
            thresholds.withUnsafeBufferPointer { sampleSparseBatch(buf.x, thresholds: $0.baseAddress!, rng: &data, signed: true) }
            let loss = absLossAndGradients(buf, W1: W1, W2: W2, b: b, importance: spec.importance, n: n, m: m,
                                           gradScale: gradScale, g1: &g1, g2: &g2, gb: &gb) / Float(B)
            let s = AdamWStep(recipe, step: step)
            a1.step(&W1, g1, s); a2.step(&W2, g2, s); ab.step(&b, gb, s)
            if step % recipe.logEvery == 0 || step == recipe.steps, !loss.isFinite {
                throw EngineError.diverged(instance: instance, step: step, what: "loss is \(loss)")
            }
        }
        return AbsModel(n: n, m: m, W1: W1, W2: W2, b: b)
    }
}

/// One batch of the absolute-value model (already in `buf.x`): h = ReLU(W₁x), z = W₂h + b, y = ReLU(z), the loss
/// Σ_s Σ_i I_i (y_i − |x_i|)² summed over the batch (returned), and into g1, g2, gb the gradients of that loss times
/// gradScale/2 (with gradScale = 2/(B·n), the notebook's mean over batch and features).
func absLossAndGradients(_ buf: StepBuffers, W1: [Float], W2: [Float], b: [Float], importance: [Float], n: Int, m: Int,
                         gradScale: Float, g1: inout [Float], g2: inout [Float], gb: inout [Float]) -> Float {
    var total = SIMD8<Float>.zero
    W1.withUnsafeBufferPointer { w1 in W2.withUnsafeBufferPointer { w2 in b.withUnsafeBufferPointer { bb in
        // h = ReLU(W₁x); z = W₂h + b.
        combineRows(into: buf.h, outRows: m, from: buf.x, inner: n, coef: w1.baseAddress!, rStride: n, cStride: 1, bias: nil, scratch: buf.scratch)
        for k in 0..<m { let r = buf.h.row(k); for j in 0..<buf.h.vectors { r[j] = r[j].replacing(with: 0, where: r[j] .< 0) } }
        combineRows(into: buf.z, outRows: n, from: buf.h, inner: m, coef: w2.baseAddress!, rStride: m, cStride: 1, bias: bb.baseAddress!, scratch: buf.scratch)
        // Target |x|: the output error and dL/dz.
        for i in 0..<n {
            let zr = buf.z.row(i), xr = buf.x.row(i)
            let imp = importance[i], g = gradScale * imp
            for j in 0..<buf.x.vectors {
                let z = zr[j], x = xr[j]
                let y = z.replacing(with: 0, where: z .< 0)
                let diff = y - x.replacing(with: -x, where: x .< 0)
                total = total.addingProduct(diff * diff, imp)
                zr[j] = (diff * g).replacing(with: 0, where: z .<= 0)
            }
        }
        // dh = W₂ᵀ dz, masked by h > 0; ∇W₂ = dz hᵀ; ∇W₁ = dh xᵀ; ∇b = Σ dz.
        combineRows(into: buf.dh, outRows: m, from: buf.z, inner: n, coef: w2.baseAddress!, rStride: 1, cStride: m, bias: nil, scratch: buf.scratch)
        for k in 0..<m {
            let h = buf.h.row(k), d = buf.dh.row(k)
            for j in 0..<buf.h.vectors { d[j] = d[j].replacing(with: 0, where: h[j] .<= 0) }
        }
        g2.withUnsafeMutableBufferPointer { rowDots(buf.z, rowsA: n, buf.h, rowsB: m, into: $0.baseAddress!) }
        g1.withUnsafeMutableBufferPointer { rowDots(buf.dh, rowsA: m, buf.x, rowsB: n, into: $0.baseAddress!) }
        gb.withUnsafeMutableBufferPointer { rowSums(buf.z, rows: n, into: $0.baseAddress!) }
    } } }
    return laneSum(total)
}
