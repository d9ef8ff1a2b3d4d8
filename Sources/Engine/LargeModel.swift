// The ReLU-output toy model x̂ = ReLU(WᵀWx + b) at thousands of features with a few active per sample (beyond the
// paper: the dense high-dimensional phase). Samples are drawn as active lists, never as dense vectors; the only
// dense work is Wᵀh for every feature, and the backward pass touches only the features whose output is positive.
// Used by the beyond-the-paper experiments (`paper run dense`, `paper run scaling`).
//
// Objective: mean over the batch of Σ_i (x_i − x̂_i)² (the paper's per-sample loss, I_i = 1), plus λ·mean_i ‖W_i‖₁.
// Optimiser: Adam with linear warm-up and cosine decay to zero, then an optional signed weight decay γ on W
// (Liu, Liu & Gore 2025): γ ≥ 0 shrinks W (W ← W − lr·γ·W), γ < 0 pulls each row norm toward 1.

import CVector
import Foundation

/// How the feature directions W_i are trained.
public enum DirectionMode: String, Codable, Sendable, Hashable {
    /// W and b are trained; W starts from unit random directions.
    case trained
    /// W_i = s_i·d_i with d_i the unit random directions, fixed; only s_i and b are trained.
    case frozenRandom
    /// As frozenRandom, with the random directions first made into a unit-norm tight frame.
    case frozenTightFrame
}

/// One large sparse model: sizes, the data distribution, how it trains.
public struct LargeModelSpec: Codable, Sendable, Hashable {
    public var n: Int
    public var m: Int
    /// Probability that feature i is active in a sample.
    public var probabilities: [Float]
    /// Active values are uniform on [0, valueScale).
    public var valueScale: Float
    public var mode: DirectionMode
    /// λ of the penalty λ·mean_i ‖W_i‖₁ (a subgradient inside Adam, as `loss + λ·|W|.sum()` in PyTorch).
    public var l1: Float
    /// Signed weight decay γ (Liu et al.); 0 for none.
    public var gamma: Float
    public var seed: UInt64

    public init(n: Int, m: Int, probabilities: [Float], valueScale: Float = 1, mode: DirectionMode = .trained,
                l1: Float = 0, gamma: Float = 0, seed: UInt64) {
        self.n = n; self.m = m; self.probabilities = probabilities; self.valueScale = valueScale
        self.mode = mode; self.l1 = l1; self.gamma = gamma; self.seed = seed
    }

    /// Checks the spec and names the first bad value.
    public func validate() throws {
        guard n > 0 else { throw EngineError.invalidConfig("n must be positive, got \(n)") }
        guard m > 0, m % 8 == 0 else { throw EngineError.invalidConfig("m must be a positive multiple of 8, got \(m)") }
        guard probabilities.count == n else {
            throw EngineError.invalidConfig("\(probabilities.count) probabilities for n = \(n) features")
        }
        guard probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw EngineError.invalidConfig("probabilities must lie in [0, 1]") }
        guard valueScale > 0, l1 >= 0, gamma.isFinite else { throw EngineError.invalidConfig("valueScale > 0 and λ ≥ 0 are required") }
    }
}

/// Adam with warm-up and cosine decay (Liu et al.'s schedule; E1 of the beyond-paper plan).
public struct LargeRecipe: Codable, Sendable, Hashable {
    /// Adam steps, warm-up included.
    public var steps: Int
    /// Samples per training batch.
    public var batch: Int
    /// Peak learning rate, reached at the end of the warm-up, then decayed by cosine to 0.
    public var lr: Float
    /// Steps of linear warm-up from lr/warmup to lr; must be below `steps`.
    public var warmup: Int
    /// Adam's first-moment decay β₁ (PyTorch default 0.9).
    public var beta1: Float = 0.9
    /// Adam's second-moment decay β₂ (PyTorch default 0.999).
    public var beta2: Float = 0.999
    /// Adam's ε, added to the denominator (PyTorch default 1e-8).
    public var eps: Float = 1e-8
    /// The training loss is recorded every `logEvery` steps (and at the last step).
    public var logEvery: Int

    public init(steps: Int, batch: Int, lr: Float, warmup: Int, logEvery: Int = 100) {
        self.steps = steps; self.batch = batch; self.lr = lr; self.warmup = warmup; self.logEvery = logEvery
    }

    /// The learning rate at step t (0-based): linear warm-up, then cosine to 0.
    public func rate(_ t: Int) -> Float {
        if t < warmup { return lr * Float(t + 1) / Float(warmup) }
        let progress = Double(t - warmup) / Double(max(1, steps - warmup))
        return lr * Float(0.5 * (1 + cos(Double.pi * progress)))
    }

    public func validate() throws {
        guard steps > 0, batch > 0, lr > 0, warmup >= 0, warmup < steps, logEvery > 0 else {
            throw EngineError.invalidConfig("recipe needs steps > warmup ≥ 0, batch > 0, lr > 0, logEvery > 0 (got steps \(steps), warmup \(warmup), batch \(batch), lr \(lr))")
        }
    }
}

/// A trained large model: W (n×m, row i is feature i's direction), b, the initial unit directions' seed,
/// and the training curve.
public struct LargeModel: Sendable {
    public var n: Int, m: Int
    public var w: [Float]
    public var b: [Float]
    /// Training-batch loss (per sample) every logEvery steps and at the last step.
    public var lossCurve: [Float]

    /// Row i of W.
    public func row(_ i: Int) -> ArraySlice<Float> { w[(i * m)..<((i + 1) * m)] }

    /// ‖W_i‖ for every feature (squares of Float entries summed in Double).
    public var rowNorms: [Double] { (0..<n).map { i in row(i).map { Double($0 * $0) }.reduce(0, +).squareRoot() } }
}

/// One batch as active lists: sample s owns entries start[s]..<start[s+1] of (index, value).
public struct ActiveBatch: Sendable {
    public var start: [Int] = [0]
    public var index: [Int32] = []
    public var value: [Float] = []
    public var count: Int { start.count - 1 }
}

/// Draws sparse samples with per-feature probabilities: features are cut into runs of equal block maximum, each run
/// is scanned by geometric skips at that maximum, and candidates are thinned to their own probability.
public struct ActiveSampler: Sendable {
    struct Run: Sendable { var lo: Int, hi: Int, q: Float, logq: Double }
    let runs: [Run]
    let probabilities: [Float]
    let scale: Float

    public init(probabilities: [Float], valueScale: Float, block: Int = 32) {
        self.probabilities = probabilities; scale = valueScale
        var runs: [Run] = []
        var lo = 0
        while lo < probabilities.count {
            let hi = min(lo + block, probabilities.count)
            let q = probabilities[lo..<hi].max()!
            if let last = runs.last, last.q == q, last.hi == lo { runs[runs.count - 1].hi = hi }
            else { runs.append(Run(lo: lo, hi: hi, q: q, logq: q < 1 ? log1p(-Double(q)) : 0)) }
            lo = hi
        }
        self.runs = runs.filter { $0.q > 0 }
    }

    /// Appends `count` samples to `batch` (cleared first).
    public func fill(_ batch: inout ActiveBatch, count: Int, rng: inout Xoshiro) {
        batch.start.removeAll(keepingCapacity: true); batch.start.append(0)
        batch.index.removeAll(keepingCapacity: true); batch.value.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            for r in runs {
                var i = r.lo - 1
                while true {
                    if r.q < 1 {
                        let u = 1.0 - rng.unitDouble()
                        i += 1 + Int(log(u) / r.logq)
                    } else { i += 1 }
                    if i >= r.hi { break }
                    let p = probabilities[i]
                    if p < r.q && rng.unitFloat() * r.q >= p { continue }
                    batch.index.append(Int32(i)); batch.value.append(scale * rng.unitFloat())
                }
            }
            batch.start.append(batch.index.count)
        }
    }
}

/// Trains large sparse models; see the file comment.
public enum LargeTrainer {
    /// Rows per parallel block (fixed, so the order of every sum is independent of the thread count).
    static let blockRows = 64

    /// Unit random directions (Gaussian rows, normalised), n×m, from `seed`.
    public static func randomDirections(n: Int, m: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro(seed: seed)
        var d = [Float](repeating: 0, count: n * m)
        for i in 0..<n {
            var row = (0..<m).map { _ in rng.normal() }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            row = row.map { $0 / norm }
            for k in 0..<m { d[i * m + k] = Float(row[k]) }
        }
        return d
    }

    /// The directions a spec starts from (and keeps, in the frozen modes).
    public static func initialDirections(_ spec: LargeModelSpec) -> [Float] {
        let d = randomDirections(n: spec.n, m: spec.m, seed: deriveSeed(spec.seed, 1))
        return spec.mode == .frozenTightFrame ? FrameGeometry.unitTightFrame(d, n: spec.n, m: spec.m) : d
    }

    /// Trains one spec; parallel over blocks of feature rows, deterministic whatever `threads`.
    /// `directions`, when given, must be `initialDirections(spec)` (callers that already hold them save recomputing).
    public static func train(_ spec: LargeModelSpec, recipe: LargeRecipe, threads: Int, directions: [Float]? = nil,
                             log: ((Int, Float) -> Void)? = nil) throws -> LargeModel {
        if Trainer.external != nil { throw EngineError.invalidConfig("the external trainer does not train the large model") }
        try spec.validate(); try recipe.validate()
        let n = spec.n, m = spec.m, B = recipe.batch
        let dirs = directions ?? initialDirections(spec)
        let frozen = spec.mode != .trained
        var state = LargeState(n: n, m: m, batch: B)
        state.w = dirs
        var scale = [Float](repeating: 1, count: n)
        var adamW = AdamMoments(count: n * m), adamB = AdamMoments(count: n), adamS = AdamMoments(count: n)
        let sampler = ActiveSampler(probabilities: spec.probabilities, valueScale: spec.valueScale)
        var rng = Xoshiro(seed: deriveSeed(spec.seed, 2))
        var batch = ActiveBatch()
        var curve: [Float] = []
        for t in 0..<recipe.steps {
            sampler.fill(&batch, count: B, rng: &rng)
            let loss = state.lossAndGradient(batch, l1: spec.l1, threads: threads, allRows: frozen)
            guard loss.isFinite else { throw EngineError.diverged(instance: 0, step: t, what: "loss \(loss)") }
            if t % recipe.logEvery == 0 || t == recipe.steps - 1 { curve.append(loss); log?(t, loss) }
            let lr = recipe.rate(t)
            if frozen {
                let gs = scaleGradient(directions: dirs, weightGradient: state.gw, n: n, m: m, threads: threads)
                adamS.step(&scale, gs, AdamWStep(recipe, lr: lr, step: t + 1))
                let rows = blockRows, wBox = MutableBox(&state.w), scaleBox = ReadBox(scale), dirBox = ReadBox(dirs)
                withExtendedLifetime((scale, dirs)) {   // the boxes hold their storage's addresses
                    parallelFor((n + rows - 1) / rows, threads: threads) { blk in
                        let w = wBox.p, dirs = dirBox.p, scale = scaleBox.p
                        for i in (blk * rows)..<min(n, (blk + 1) * rows) { for k in 0..<m { w[i * m + k] = scale[i] * dirs[i * m + k] } }
                    }
                }
            } else {
                adamW.step(&state.w, state.gw, rows: n, width: m, hasGradient: state.rowHasGradient,
                           AdamWStep(recipe, lr: lr, step: t + 1), threads: threads)
                if spec.gamma != 0 { signedDecay(&state.w, n: n, m: m, factor: lr * spec.gamma) }
            }
            adamB.step(&state.b, state.gb, AdamWStep(recipe, lr: lr, step: t + 1))
        }
        let model = LargeModel(n: n, m: m, w: state.w, b: state.b, lossCurve: curve)
        WeightRecorder.note {
            RecordedInstance(kind: "large", seed: spec.seed,
                             settings: ["n": Double(n), "m": Double(m), "frozen": spec.mode == .trained ? 0 : spec.mode == .frozenRandom ? 1 : 2,
                                        "l1": Double(spec.l1), "gamma": Double(spec.gamma), "value_scale": Double(spec.valueScale)],
                             arrays: [RecordedArray(name: "W", shape: [n, m], values: model.w),
                                      RecordedArray(name: "b", shape: [n], values: model.b),
                                      RecordedArray(name: "probabilities", shape: [spec.probabilities.count], values: spec.probabilities),
                                      RecordedArray(name: "loss_curve", shape: [curve.count], values: curve)])
        }
        return model
    }

    /// ∂L/∂s_i = d_i · ∂L/∂W_i for the frozen modes' W_i = s_i d_i (`dirs` and `gw` n×m, row-major). Row by row
    /// on all threads: each row's sum is its own, in k order, so the bits do not depend on the thread count.
    static func scaleGradient(directions dirs: [Float], weightGradient gw: [Float], n: Int, m: Int, threads: Int) -> [Float] {
        var gs = [Float](repeating: 0, count: n)
        let rows = blockRows
        let gsBox = MutableBox(&gs), dirBox = ReadBox(dirs), gwBox = ReadBox(gw)
        parallelFor((n + rows - 1) / rows, threads: threads) { blk in
            let gs = gsBox.p, dirs = dirBox.p, gw = gwBox.p
            for i in (blk * rows)..<min(n, (blk + 1) * rows) {
                var acc: Float = 0
                for k in 0..<m { acc += dirs[i * m + k] * gw[i * m + k] }
                gs[i] = acc
            }
        }
        return gs
    }

    /// Liu et al.'s weight decay with factor lr·γ: γ ≥ 0 shrinks W; γ < 0 moves each row norm toward 1.
    static func signedDecay(_ w: inout [Float], n: Int, m: Int, factor: Float) {
        for i in 0..<n {
            if factor > 0 {
                for k in 0..<m { w[i * m + k] -= factor * w[i * m + k] }
            } else {
                var ss: Float = 0
                for k in 0..<m { ss += w[i * m + k] * w[i * m + k] }
                guard ss > 0 else { continue }
                let c = factor * (1 - 1 / ss.squareRoot())
                for k in 0..<m { w[i * m + k] += c * w[i * m + k] }
            }
        }
    }

    /// The loss per sample (paper convention) of a model on fresh samples from `seed`: mean and standard error.
    public static func evaluate(_ model: LargeModel, probabilities: [Float], valueScale: Float, samples: Int,
                                seed: UInt64, threads: Int) -> (mean: Double, stderr: Double) {
        var state = LargeState(n: model.n, m: model.m, batch: 512)
        state.w = model.w; state.b = model.b
        let sampler = ActiveSampler(probabilities: probabilities, valueScale: valueScale)
        var rng = Xoshiro(seed: seed)
        var batch = ActiveBatch()
        var sum = 0.0, sq = 0.0, count = 0
        while count < samples {
            let b = min(512, samples - count)
            sampler.fill(&batch, count: b, rng: &rng)
            let per = state.perSampleLoss(batch, threads: threads)
            for v in per { sum += v; sq += v * v }
            count += b
        }
        let mean = sum / Double(count)
        return (mean, ((sq / Double(count) - mean * mean) / Double(max(1, count - 1))).squareRoot())
    }
}

/// Parameters, gradients and scratch of one large model.
struct LargeState {
    let n: Int, m: Int
    var w: [Float], b: [Float]
    var gw: [Float], gb: [Float]
    /// Hidden vectors in slabs of 32 samples for the output tiles (`hSlabIndex`), row-major (batch × m), and their
    /// gradients (batch × m).
    var ht: [Float], hr: [Float], dh: [Float]
    /// The positive outputs of inactive features, per row block, and each block's entries regrouped by sample (for
    /// dh): scratch kept from step to step (and shared by copies of the state).
    let positives: [BlockPositives]
    let bySample: [BlockBySample]
    /// Whether row j of gW holds its gradient; a row with neither a positive output nor an active feature in the batch
    /// has a gradient of +0, and unless every row is asked for (`lossAndGradient`'s allRows) it is not written.
    var rowHasGradient: [Bool]
    /// Bit s % 32 of word j·⌈B/32⌉ + s / 32 is set while feature j is active in sample s (set and cleared around
    /// each pass of the output tiles, which leave those outputs out).
    var activeBits: [UInt32]

    /// A positive output: its sample and b_j + W_j·h_s.
    struct Entry { var sample: Int32; var out: Float }

    init(n: Int, m: Int, batch: Int) {
        self.n = n; self.m = m
        w = .init(repeating: 0, count: n * m); b = .init(repeating: 0, count: n)
        gw = w; gb = b
        hr = .init(repeating: 0, count: m * batch); dh = hr
        ht = .init(repeating: 0, count: hSlabbedCount(m: m, batch: batch))
        activeBits = .init(repeating: 0, count: n * ((batch + hSlab - 1) / hSlab))
        rowHasGradient = .init(repeating: true, count: n)
        let blocks = (n + LargeTrainer.blockRows - 1) / LargeTrainer.blockRows
        positives = (0..<blocks).map { [n] blk in
            let rows = min(n, (blk + 1) * LargeTrainer.blockRows) - blk * LargeTrainer.blockRows
            return BlockPositives(rows: rows, groups: (rows + 3) / 4)
        }
        bySample = (0..<blocks).map { _ in BlockBySample() }
    }

    /// h_s = Σ_a x_a W_a, row-major in hr and in slabs in ht; parallel over chunks of samples (each h_s is its own
    /// sum over the sample's active list, in list order).
    mutating func hidden(_ x: ActiveBatch, threads: Int) {
        let B = x.count, m = self.m
        let slabbed = hSlabbedCount(m: m, batch: B)
        if hr.count < m * B { hr = .init(repeating: 0, count: m * B); dh = hr }
        if ht.count < slabbed { ht = .init(repeating: 0, count: slabbed) }
        let hrBox = MutableBox(&hr), htBox = MutableBox(&ht), wBox = ReadBox(w)
        parallelFor((B + hSlab - 1) / hSlab, threads: threads) { c in
            let hr = hrBox.p, ht = htBox.p, w = wBox.p
            for s in (c * hSlab)..<min(B, (c + 1) * hSlab) {
                for k in 0..<m { hr[s * m + k] = 0 }
                for e in x.start[s]..<x.start[s + 1] {
                    let a = Int(x.index[e]), v = x.value[e]
                    for k in 0..<m { hr[s * m + k] += v * w[a * m + k] }
                }
                for k in 0..<m { ht[hSlabIndex(k, s, m: m)] = hr[s * m + k] }
            }
        }
    }

    /// Row blocks of the output tiles.
    var blocks: Int { positives.count }

    /// For every row block in parallel: every (sample, row) whose pre-activation b_j + W_j·h_s is positive and whose
    /// feature is inactive in the sample, into `positives`.
    mutating func findPositives(_ x: ActiveBatch, threads: Int) {
        let B = x.count, slabs = (B + hSlab - 1) / hSlab
        let rowsPer = LargeTrainer.blockRows, blocks = self.blocks
        if activeBits.count < n * slabs { activeBits = .init(repeating: 0, count: n * slabs) }
        func markActive(_ on: Bool) {
            for s in 0..<B {
                for e in x.start[s]..<x.start[s + 1] {
                    let i = Int(x.index[e]) * slabs + s / hSlab, bit = UInt32(1) << UInt32(s % hSlab)
                    activeBits[i] = on ? activeBits[i] | bit : activeBits[i] & ~bit
                }
            }
        }
        markActive(true)
        let (n, m, positives) = (self.n, self.m, self.positives)
        w.withUnsafeBufferPointer { w in
            b.withUnsafeBufferPointer { b in
                ht.withUnsafeBufferPointer { ht in
                    activeBits.withUnsafeBufferPointer { act in
                        let (w, b, ht, act) = (ReadBox(w), ReadBox(b), ReadBox(ht), ReadUInt32Box(act))
                        parallelFor(blocks, threads: threads) { blk in
                            // Slabs of samples outside, the block's groups of 4 rows inside: a slab of h stays in
                            // cache while every row of the block meets it.
                            let lo = blk * rowsPer, hi = min(n, lo + rowsPer)
                            let groups = (hi - lo + 3) / 4
                            let found = positives[blk]
                            found.clear()
                            let sink = TileSink(active: act.p, slabs: slabs, firstRow: lo, scratch: found.scratch)
                            var s0 = 0
                            while KernelWidth.wide && s0 + 32 <= B {
                                var g = 0
                                while g + 1 < groups {   // two groups at once; the first is whole
                                    let j = lo + 4 * g
                                    positiveTileWide8(w.buffer, b.buffer, ht.buffer, m: m, row: j, rows: min(8, hi - j), s0: s0,
                                                      group: g, sink: sink, into: found)
                                    g += 2
                                }
                                if g < groups {
                                    let j = lo + 4 * g
                                    positiveTileWide(w.buffer, b.buffer, ht.buffer, m: m, B: B, row: j, rows: min(4, hi - j), s0: s0,
                                                     group: g, sink: sink, into: found)
                                }
                                s0 += 32
                            }
                            while s0 < B {
                                for g in 0..<groups {
                                    let j = lo + 4 * g
                                    positiveTile(w.buffer, b.buffer, ht.buffer, m: m, B: B, row: j, rows: min(4, hi - j), s0: s0,
                                                 group: g, sink: sink, into: found)
                                }
                                s0 += 16
                            }
                        }
                    }
                }
            }
        }
        markActive(false)
    }

    /// The squared-error gradient of the batch (into gw, gb) and its mean per-sample loss, plus λ·mean_i ‖W_i‖₁.
    /// Every sum runs in an order fixed by the data, never by the thread count: gW_j and gb_j sum their positive
    /// inactive outputs in sample order, then the active rows' terms in sample order; dh_s sums its positive inactive
    /// outputs in row order, then its active features in list order (`largeGradientReference` in the tests spells the
    /// order out in plain loops, and the two agree bit for bit). The loss sums each row block's positive inactive
    /// outputs in the order of its groups' lists (`BlockPositives.outs`), the blocks in order, then each sample's
    /// active features. Without `allRows` (and with λ = 0), a row of gW with no positive output and no active feature in
    /// the batch (its gradient +0 throughout) is not written, and `rowHasGradient` says so.
    mutating func lossAndGradient(_ x: ActiveBatch, l1: Float, threads: Int, allRows: Bool = true) -> Float {
        let B = x.count, m = self.m, n = self.n
        hidden(x, threads: threads)
        findPositives(x, threads: threads)
        // Rows that gW must hold: every row, or those with a positive output or an active feature in the batch.
        let everyRow = allRows || l1 > 0
        for j in 0..<n { rowHasGradient[j] = everyRow }
        if !everyRow { for a in x.index { rowHasGradient[Int(a)] = true } }
        let flagBox = BoolBox(&rowHasGradient)
        let scale = 2 / Float(B)
        let blocks = self.blocks, rowsPer = LargeTrainer.blockRows
        // Per row block: the loss of its positive inactive outputs (x = 0, x̂ = out); gW_j = Σ dout·h_s and
        // gb_j = Σ dout over row j's list (sample order), kept in registers; and the block's entries regrouped by
        // sample (rows in increasing order within each sample) for dh below.
        let blockLoss = Slots<Double>(count: blocks)
        let (positives, bySample) = (self.positives, self.bySample)
        let gwBox = MutableBox(&gw), gbBox = MutableBox(&gb), hrBox = ReadBox(hr)
        parallelFor(blocks, threads: threads) { blk in
            let gw = gwBox.p, gb = gbBox.p, hr = hrBox.p
            let lo = blk * rowsPer, hi = min(n, lo + rowsPer)
            let found = positives[blk], regroup = bySample[blk]
            var loss = 0.0
            for g in 0..<found.outs.count { for out in found.outs.list(g) { loss += Double(out * out) } }
            blockLoss[blk] = loss
            let start = regroup.prepare(batch: B, entries: found.rows.total)
            let hasGradient = flagBox.p
            for j in lo..<hi {
                let list = found.rows.list(j - lo)
                if list.isEmpty && !hasGradient[j] { gb[j] = 0; continue }
                hasGradient[j] = true
                for e in list { start[Int(e.sample) + 1] += 1 }
                accumulateEntries(into: gw + j * m, hr, m: m, entries: list.baseAddress, count: list.count, scale: scale)
                var g: Float = 0
                for e in list { g += scale * e.out }
                gb[j] = g
            }
            for s in 0..<B { start[s + 1] += start[s] }
            let fill = regroup.fill, row = regroup.row, coef = regroup.coef
            fill.update(from: start, count: B)
            for j in lo..<hi {
                for e in found.rows.list(j - lo) {
                    let s = Int(e.sample), at = Int(fill[s])
                    row[at] = Int32(j); coef[at] = scale * e.out; fill[s] += 1
                }
            }
        }
        // Per chunk of samples: dh_s from the inactive positives, block by block (each block's rows of W stay in cache
        // while the chunk's samples meet them; dh_s is carried from block to block, the same chain as one pass over its
        // rows), then the active features (whatever their output's sign). activeDout is read only through a box
        // holding its storage's address, so it is kept alive explicitly until the last read.
        var activeDout = [Float](repeating: 0, count: x.index.count)
        let sampleLoss = Slots<Double>(count: B)
        // One chunk per thread, so that W is read from memory as few times as possible (each dh_s is its own chain,
        // so the chunks do not change the bits).
        let chunk = max(1, (B + threads - 1) / max(1, threads))
        let dhBox = MutableBox(&dh), adBox = MutableBox(&activeDout), wBox = ReadBox(w), bBox = ReadBox(b)
        parallelFor((B + chunk - 1) / chunk, threads: threads) { c in
            let dh = dhBox.p, w = wBox.p, b = bBox.p, hr = hrBox.p, ad = adBox.p
            let samples = (c * chunk)..<min(B, (c + 1) * chunk)
            for s in samples { for k in 0..<m { dh[s * m + k] = 0 } }
            for blk in 0..<blocks {
                let r = bySample[blk]
                let start = r.start, rows = r.row, coef = r.coef
                for s in samples {
                    let a = Int(start[s]), count = Int(start[s + 1]) - a
                    guard count > 0 else { continue }
                    accumulateRows(into: dh + s * m, w, m: m, rows: rows + a, coef: coef + a, count: count, continuing: true)
                }
            }
            for s in samples {
                var loss = 0.0
                for e in x.start[s]..<x.start[s + 1] {
                    let a = Int(x.index[e])
                    var out = b[a]
                    for k in 0..<m { out += w[a * m + k] * hr[s * m + k] }
                    let err = max(out, 0) - x.value[e]
                    loss += Double(err * err)
                    guard out > 0 else { continue }
                    let d = scale * err
                    ad[e] = d
                    for k in 0..<m { dh[s * m + k] += d * w[a * m + k] }
                }
                sampleLoss[s] = loss
            }
        }
        // Active rows, each block its own rows, in sample order: their own output's gradient, then the path through h.
        // The active entries are first listed by row block (in sample order within each block).
        var blockStart = [Int](repeating: 0, count: blocks + 1)
        for i in x.index { blockStart[Int(i) / rowsPer + 1] += 1 }
        for blk in 0..<blocks { blockStart[blk + 1] += blockStart[blk] }
        var byBlock = [(sample: Int32, entry: Int32)](repeating: (0, 0), count: x.index.count), next = blockStart
        for s in 0..<B {
            for e in x.start[s]..<x.start[s + 1] {
                let blk = Int(x.index[e]) / rowsPer
                byBlock[next[blk]] = (Int32(s), Int32(e)); next[blk] += 1
            }
        }
        let activeBox = ReadBox(activeDout), dhRead = ReadBox(dh), starts2 = blockStart, listed = byBlock
        withExtendedLifetime(activeDout) {
            parallelFor(blocks, threads: threads) { blk in
                let gw = gwBox.p, gb = gbBox.p, hr = hrBox.p, dh = dhRead.p, ad = activeBox.p
                for t in starts2[blk]..<starts2[blk + 1] {
                    let s = Int(listed[t].sample), e = Int(listed[t].entry)
                    let a = Int(x.index[e]), v = x.value[e], d = ad[e]
                    if d != 0 {
                        gb[a] += d
                        for k in 0..<m { gw[a * m + k] += d * hr[s * m + k] }
                    }
                    for k in 0..<m { gw[a * m + k] += v * dh[s * m + k] }
                }
            }
        }
        var loss = 0.0
        for i in 0..<blocks { loss += blockLoss[i]! }
        for s in 0..<B { loss += sampleLoss[s]! }
        var penalty: Double = 0
        if l1 > 0 {
            let c = l1 / Float(n)
            for i in 0..<gw.count {
                penalty += Double(abs(w[i]))
                gw[i] += w[i] > 0 ? c : (w[i] < 0 ? -c : 0)
            }
            penalty *= Double(l1) / Double(n)
        }
        return Float(loss / Double(B) + penalty)
    }

    /// Σ_i (x_i − x̂_i)² per sample, in Double: the positive inactive outputs in row order, then the active features.
    mutating func perSampleLoss(_ x: ActiveBatch, threads: Int) -> [Double] {
        let B = x.count
        hidden(x, threads: threads)
        findPositives(x, threads: threads)
        var per = [Double](repeating: 0, count: B)
        for found in positives {
            for r in 0..<found.rows.count { for e in found.rows.list(r) { per[Int(e.sample)] += Double(e.out * e.out) } }
        }
        for s in 0..<B {
            for e in x.start[s]..<x.start[s + 1] {
                let a = Int(x.index[e])
                var out = b[a]
                for k in 0..<m { out += w[a * m + k] * hr[s * m + k] }
                let err = max(out, 0) - x.value[e]
                per[s] += Double(err * err)
            }
        }
        return per
    }
}

/// A row block's positive outputs of inactive features, as the output tiles find them: per row, in sample order
/// (what gW_j sums), and per group of 4 rows, in the order of a group-by-group sweep of 16-sample tiles with the
/// group's rows inside (what the loss sums; each tile's rows in order, each row's samples in increasing order).
final class BlockPositives: @unchecked Sendable {
    let rows: AppendLists<LargeState.Entry>
    let outs: AppendLists<Float>
    /// The output tiles' scratch while they sweep this block.
    let scratch = TileScratch()
    init(rows: Int, groups: Int) { self.rows = AppendLists(count: rows); outs = AppendLists(count: groups) }
    /// Empties every list, keeping the storage.
    func clear() { rows.clear(); outs.clear() }
}

/// A row block's entries grouped by sample: sample s owns row[start[s]..<start[s + 1]] (increasing rows) and the
/// matching coefficients dout = (2/B)·out; `fill` is scratch for the regrouping.
final class BlockBySample: @unchecked Sendable {
    private(set) var start = UnsafeMutablePointer<Int32>.allocate(capacity: 1), fill = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var row = UnsafeMutablePointer<Int32>.allocate(capacity: 1), coef = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var batch = 0, capacity = 1
    deinit { start.deallocate(); fill.deallocate(); row.deallocate(); coef.deallocate() }

    /// Room for a batch of `b` samples and `entries` entries; returns `start`, zeroed.
    func prepare(batch b: Int, entries: Int) -> UnsafeMutablePointer<Int32> {
        if b > batch {
            start.deallocate(); fill.deallocate()
            start = .allocate(capacity: b + 1); fill = .allocate(capacity: b + 1); batch = b
        }
        if entries > capacity {
            row.deallocate(); coef.deallocate()
            capacity = max(entries, 2 * capacity)
            row = .allocate(capacity: capacity); coef = .allocate(capacity: capacity)
        }
        start.initialize(repeating: 0, count: b + 1)
        return start
    }
}

/// Lists of a plain value type that parallel jobs append to, each job to lists of its own: an append is a store
/// and an increment (no copy-on-write check), and the storage is kept from step to step, growing to the most any
/// step needed.
final class AppendLists<T: BitwiseCopyable>: @unchecked Sendable {
    let count: Int
    private let items: UnsafeMutablePointer<UnsafeMutablePointer<T>?>
    private let lengths: UnsafeMutablePointer<Int>, capacities: UnsafeMutablePointer<Int>

    init(count: Int) {
        self.count = count
        items = .allocate(capacity: count); items.initialize(repeating: nil, count: count)
        lengths = .allocate(capacity: count); lengths.initialize(repeating: 0, count: count)
        capacities = .allocate(capacity: count); capacities.initialize(repeating: 0, count: count)
    }
    deinit {
        for i in 0..<count { items[i]?.deallocate() }
        items.deallocate(); lengths.deallocate(); capacities.deallocate()
    }

    /// Empties every list, keeping its storage.
    func clear() { lengths.update(repeating: 0, count: count) }

    /// The entries of all lists.
    var total: Int { (0..<count).reduce(0) { $0 + lengths[$1] } }

    @inline(__always) func append(_ i: Int, _ value: T) {
        let n = lengths[i]
        if n == capacities[i] { grow(i) }
        (items[i]! + n).initialize(to: value)
        lengths[i] = n + 1
    }

    private func grow(_ i: Int) {
        let capacity = max(32, 2 * capacities[i])
        let storage = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        if let old = items[i] { storage.initialize(from: old, count: lengths[i]); old.deallocate() }
        items[i] = storage; capacities[i] = capacity
    }

    /// List i (valid until the next append to it or clear).
    @inline(__always) func list(_ i: Int) -> UnsafeBufferPointer<T> { UnsafeBufferPointer(start: items[i], count: lengths[i]) }
}

/// What the output tiles need beyond the tile itself: the active features' bits (`LargeState.activeBits`), how many
/// words each row has there, the block's first row (row j's list is `rows[j − firstRow]`), and the block's scratch.
struct TileSink {
    let active: UnsafePointer<UInt32>
    let slabs: Int
    let firstRow: Int
    let scratch: TileScratch
}

/// The output tiles' scratch: a tile's values (8 rows × 32 samples) and the masks of its positive outputs of
/// inactive features (one per row).
final class TileScratch: @unchecked Sendable {
    let outs = UnsafeMutablePointer<Float>.allocate(capacity: 8 * 32)
    let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
    deinit { outs.deallocate(); masks.deallocate() }
}

/// The end of an output tile of `rows` rows from `row` and `lanes` samples from s0, whose values are in
/// `sink.scratch.outs` (sample s0 + l of row row + r at 32r + l) and whose positive outputs of inactive features are
/// `sink.scratch.masks` (bit l of mask r). Appends them to their rows' lists in `found`, and their values to its
/// group lists in the order of a group-by-group sweep of 16-sample tiles (group `group` for the first 4 rows,
/// `group + 1` for the rest; each group's rows inside, each row's samples increasing).
@inline(__always)
func finishTile(row: Int, rows: Int, lanes: Int, s0: Int, group: Int, sink: TileSink, into found: BlockPositives) {
    let outs = sink.scratch.outs, masks = sink.scratch.masks
    var union: UInt32 = 0
    for r in 0..<rows { union |= masks[r] }
    guard union != 0 else { return }
    for g in 0..<((rows + 3) / 4) {
        for t in stride(from: 0, to: lanes, by: 16) {
            for r in (4 * g)..<min(rows, 4 * g + 4) {
                var bits = (masks[r] >> UInt32(t)) & 0xFFFF
                while bits != 0 {
                    let l = t + bits.trailingZeroBitCount
                    found.rows.append(row + r - sink.firstRow, LargeState.Entry(sample: Int32(s0 + l), out: outs[32 * r + l]))
                    found.outs.append(group + g, outs[32 * r + l])
                    bits &= bits - 1
                }
            }
        }
    }
}

/// A mutable array's storage for parallel jobs that write disjoint parts (valid while the array is not resized).
struct MutableBox: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>
    init(_ a: inout [Float]) { p = a.withUnsafeMutableBufferPointer { $0.baseAddress! } }
    init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}

/// Bool storage written in disjoint parts by parallel jobs (valid while the array is not resized).
struct BoolBox: @unchecked Sendable {
    let p: UnsafeMutablePointer<Bool>
    init(_ a: inout [Bool]) { p = a.withUnsafeMutableBufferPointer { $0.baseAddress! } }
}

/// UInt32 storage that parallel jobs only read (valid while the array lives unchanged).
struct ReadUInt32Box: @unchecked Sendable {
    let p: UnsafePointer<UInt32>
    init(_ b: UnsafeBufferPointer<UInt32>) { p = b.baseAddress! }
}

/// An array's storage for parallel jobs that only read it (valid while the array lives unchanged).
struct ReadBox: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Float>
    var p: UnsafePointer<Float> { buffer.baseAddress! }
    init(_ a: [Float]) { buffer = a.withUnsafeBufferPointer { $0 } }
    init(_ b: UnsafeBufferPointer<Float>) { buffer = b }
}

/// dst[k] = Σ_t coef[t]·src[rows[t]·m + k] for t = 0..<count, each product and each sum rounded on its own and the
/// terms added in t order from +0 (or, `continuing`, from dst[k] itself): the bits of `dst[k] += coef[t] * src[…]`
/// one term at a time, with the sum kept in registers (eight, four or one SIMD16 vector of k at a time) instead of
/// read and written back for every term. The 128- and 64-entry loops repeat their body on purpose: each names its
/// accumulators, so that they stay in registers (as in positiveTile).
@inline(__always)
func accumulateRows(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, m: Int,
                    rows: UnsafePointer<Int32>, coef: UnsafePointer<Float>, count: Int, continuing: Bool = false) {
    accumulateTerms(into: dst, src, m: m, count: count, continuing: continuing) { t in (Int(rows[t]), coef[t]) }
}

/// accumulateRows over a list of positive outputs: the rows of `src` are the entries' samples, and each coefficient
/// is scale·out (rounded as `scale * out`). With count 0 it writes zeros (entries may then be nil).
@inline(__always)
func accumulateEntries(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, m: Int,
                       entries: UnsafePointer<LargeState.Entry>?, count: Int, scale: Float) {
    accumulateTerms(into: dst, src, m: m, count: count, continuing: false) { t in (Int(entries![t].sample), scale * entries![t].out) }
}

/// The loops of accumulateRows; `term(t)` gives the row of `src` and the coefficient of term t.
@inline(__always)
func accumulateTerms(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, m: Int, count: Int,
                     continuing: Bool, _ term: (Int) -> (Int, Float)) {
    typealias V = SIMD16<Float>
    @inline(__always) func start(_ k: Int) -> V { continuing ? UnsafeRawPointer(dst + k).loadUnaligned(as: V.self) : .zero }
    var k0 = 0
    while k0 + 128 <= m {
        var a0 = start(k0), a1 = start(k0 + 16), a2 = start(k0 + 32), a3 = start(k0 + 48)
        var a4 = start(k0 + 64), a5 = start(k0 + 80), a6 = start(k0 + 96), a7 = start(k0 + 112)
        for t in 0..<count {
            let (row, cf) = term(t)
            let c = V(repeating: cf), p = UnsafeRawPointer(src + row * m + k0)
            a0 = a0 + c * p.loadUnaligned(fromByteOffset: 0, as: V.self)
            a1 = a1 + c * p.loadUnaligned(fromByteOffset: 64, as: V.self)
            a2 = a2 + c * p.loadUnaligned(fromByteOffset: 128, as: V.self)
            a3 = a3 + c * p.loadUnaligned(fromByteOffset: 192, as: V.self)
            a4 = a4 + c * p.loadUnaligned(fromByteOffset: 256, as: V.self)
            a5 = a5 + c * p.loadUnaligned(fromByteOffset: 320, as: V.self)
            a6 = a6 + c * p.loadUnaligned(fromByteOffset: 384, as: V.self)
            a7 = a7 + c * p.loadUnaligned(fromByteOffset: 448, as: V.self)
        }
        let d = UnsafeMutableRawPointer(dst + k0)
        d.storeBytes(of: a0, toByteOffset: 0, as: V.self); d.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        d.storeBytes(of: a2, toByteOffset: 128, as: V.self); d.storeBytes(of: a3, toByteOffset: 192, as: V.self)
        d.storeBytes(of: a4, toByteOffset: 256, as: V.self); d.storeBytes(of: a5, toByteOffset: 320, as: V.self)
        d.storeBytes(of: a6, toByteOffset: 384, as: V.self); d.storeBytes(of: a7, toByteOffset: 448, as: V.self)
        k0 += 128
    }
    while k0 + 64 <= m {
        var a0 = start(k0), a1 = start(k0 + 16), a2 = start(k0 + 32), a3 = start(k0 + 48)
        for t in 0..<count {
            let (row, cf) = term(t)
            let c = V(repeating: cf), p = UnsafeRawPointer(src + row * m + k0)
            a0 = a0 + c * p.loadUnaligned(fromByteOffset: 0, as: V.self)
            a1 = a1 + c * p.loadUnaligned(fromByteOffset: 64, as: V.self)
            a2 = a2 + c * p.loadUnaligned(fromByteOffset: 128, as: V.self)
            a3 = a3 + c * p.loadUnaligned(fromByteOffset: 192, as: V.self)
        }
        let d = UnsafeMutableRawPointer(dst + k0)
        d.storeBytes(of: a0, toByteOffset: 0, as: V.self); d.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        d.storeBytes(of: a2, toByteOffset: 128, as: V.self); d.storeBytes(of: a3, toByteOffset: 192, as: V.self)
        k0 += 64
    }
    while k0 + 16 <= m {
        var a0 = start(k0)
        for t in 0..<count {
            let (row, cf) = term(t)
            a0 = a0 + V(repeating: cf) * UnsafeRawPointer(src + row * m + k0).loadUnaligned(as: V.self)
        }
        UnsafeMutableRawPointer(dst + k0).storeBytes(of: a0, as: V.self)
        k0 += 16
    }
    for k in k0..<m {
        var a: Float = continuing ? dst[k] : 0
        for t in 0..<count {
            let (row, cf) = term(t)
            a += cf * src[row * m + k]
        }
        dst[k] = a
    }
}

/// Samples per slab of the output tiles' copy of h.
let hSlab = 32

/// The length of h stored in slabs for a batch of `batch` samples (the last slab padded to whole).
@inline(__always) func hSlabbedCount(m: Int, batch: Int) -> Int { m * hSlab * ((batch + hSlab - 1) / hSlab) }

/// Where h_s[k] lies in the output tiles' copy of h: slabs of 32 samples, each m × 32 (k-major), so that a tile's
/// sweep over k reads one contiguous stretch. Lanes of the last slab past the batch are never read into a result.
@inline(__always) func hSlabIndex(_ k: Int, _ s: Int, m: Int) -> Int { (s / hSlab) * (m * hSlab) + k * hSlab + s % hSlab }

/// Pre-activations of up to 4 rows × 16 samples from s0 (a multiple of 16), SIMD over samples; appends the positive
/// ones of inactive features (`sink.active`) to their rows' lists and, in the tile's order (row by row, samples
/// increasing), their values to `found.outs`' list `group`. `ht` is h in slabs (`hSlabIndex`).
@inline(__always)
func positiveTile(_ w: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ ht: UnsafeBufferPointer<Float>,
                  m: Int, B: Int, row: Int, rows: Int, s0: Int, group: Int, sink: TileSink, into found: BlockPositives) {
    let width = min(16, B - s0)
    let r1 = row + min(1, rows - 1), r2 = row + min(2, rows - 1), r3 = row + min(3, rows - 1)
    var a0 = SIMD8<Float>(repeating: b[row]), a1 = SIMD8<Float>(repeating: b[r1])
    var a2 = SIMD8<Float>(repeating: b[r2]), a3 = SIMD8<Float>(repeating: b[r3])
    var c0 = a0, c1 = a1, c2 = a2, c3 = a3
    let w0 = row * m, w1 = r1 * m, w2 = r2 * m, w3 = r3 * m
    let base = ht.baseAddress! + hSlabIndex(0, s0, m: m)
    // The two loops repeat their body on purpose: a shared nested function captures the accumulators and keeps
    // them out of registers (the dense experiment ran about 20 % slower that way).
    if width == 16 {
        for k in 0..<m {
            let h = UnsafeRawPointer(base + k * hSlab).loadUnaligned(as: SIMD8<Float>.self)
            let g = UnsafeRawPointer(base + k * hSlab + 8).loadUnaligned(as: SIMD8<Float>.self)
            let v0 = SIMD8(repeating: w[w0 + k]), v1 = SIMD8(repeating: w[w1 + k])
            let v2 = SIMD8(repeating: w[w2 + k]), v3 = SIMD8(repeating: w[w3 + k])
            a0 = a0.addingProduct(v0, h); c0 = c0.addingProduct(v0, g)
            a1 = a1.addingProduct(v1, h); c1 = c1.addingProduct(v1, g)
            a2 = a2.addingProduct(v2, h); c2 = c2.addingProduct(v2, g)
            a3 = a3.addingProduct(v3, h); c3 = c3.addingProduct(v3, g)
        }
    } else {
        for k in 0..<m {
            var h = SIMD8<Float>.zero, g = SIMD8<Float>.zero
            for l in 0..<min(8, width) { h[l] = base[k * hSlab + l] }
            for l in 8..<max(8, width) { g[l - 8] = base[k * hSlab + l] }
            let v0 = SIMD8(repeating: w[w0 + k]), v1 = SIMD8(repeating: w[w1 + k])
            let v2 = SIMD8(repeating: w[w2 + k]), v3 = SIMD8(repeating: w[w3 + k])
            a0 = a0.addingProduct(v0, h); c0 = c0.addingProduct(v0, g)
            a1 = a1.addingProduct(v1, h); c1 = c1.addingProduct(v1, g)
            a2 = a2.addingProduct(v2, h); c2 = c2.addingProduct(v2, g)
            a3 = a3.addingProduct(v3, h); c3 = c3.addingProduct(v3, g)
        }
    }
    // The values into the scratch, and the positive lanes' bits, lanes past the batch and active features cleared.
    let outs = sink.scratch.outs, masks = sink.scratch.masks
    let lanes: UInt32 = (1 << UInt32(width)) - 1
    @inline(__always) func keep(_ r: Int, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
        guard r < rows else { return }
        UnsafeMutableRawPointer(outs + 32 * r).storeBytes(of: lo, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(outs + 32 * r + 8).storeBytes(of: hi, as: SIMD8<Float>.self)
        let active = sink.active[(row + r) * sink.slabs + s0 / hSlab] >> UInt32(s0 % hSlab)
        masks[r] = (UInt32(vector_positive_bits8(lo)) | UInt32(vector_positive_bits8(hi)) << 8) & lanes & ~active
    }
    keep(0, a0, c0); keep(1, a1, c1); keep(2, a2, c2); keep(3, a3, c3)
    finishTile(row: row, rows: rows, lanes: 16, s0: s0, group: group, sink: sink, into: found)
}

/// positiveTile on two tiles of 16 samples at once, for processors with AVX-512: 4 rows × 32 samples in eight
/// SIMD16 accumulators (as many independent chains as the SIMD8 tile, twice the samples). Each pre-activation is
/// the same chain over k, and the positives are appended in the order of two SIMD8 tiles, s0 then s0 + 16, so
/// everything downstream sums in the same order: the same bits. s0 is a multiple of 32 (a whole slab).
@inline(__always)
func positiveTileWide(_ w: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ ht: UnsafeBufferPointer<Float>,
                      m: Int, B: Int, row: Int, rows: Int, s0: Int, group: Int, sink: TileSink, into found: BlockPositives) {
    let r1 = row + min(1, rows - 1), r2 = row + min(2, rows - 1), r3 = row + min(3, rows - 1)
    var a0 = SIMD16<Float>(repeating: b[row]), a1 = SIMD16<Float>(repeating: b[r1])
    var a2 = SIMD16<Float>(repeating: b[r2]), a3 = SIMD16<Float>(repeating: b[r3])
    var c0 = a0, c1 = a1, c2 = a2, c3 = a3
    let w0 = row * m, w1 = r1 * m, w2 = r2 * m, w3 = r3 * m
    let base = ht.baseAddress! + hSlabIndex(0, s0, m: m)
    for k in 0..<m {
        let h = UnsafeRawPointer(base + k * hSlab).loadUnaligned(as: SIMD16<Float>.self)
        let g = UnsafeRawPointer(base + k * hSlab + 16).loadUnaligned(as: SIMD16<Float>.self)
        let v0 = SIMD16(repeating: w[w0 + k]), v1 = SIMD16(repeating: w[w1 + k])
        let v2 = SIMD16(repeating: w[w2 + k]), v3 = SIMD16(repeating: w[w3 + k])
        a0 = a0.addingProduct(v0, h); c0 = c0.addingProduct(v0, g)
        a1 = a1.addingProduct(v1, h); c1 = c1.addingProduct(v1, g)
        a2 = a2.addingProduct(v2, h); c2 = c2.addingProduct(v2, g)
        a3 = a3.addingProduct(v3, h); c3 = c3.addingProduct(v3, g)
    }
    keepWide(0, a0, c0, row: row, rows: rows, s0: s0, sink: sink); keepWide(1, a1, c1, row: row, rows: rows, s0: s0, sink: sink)
    keepWide(2, a2, c2, row: row, rows: rows, s0: s0, sink: sink); keepWide(3, a3, c3, row: row, rows: rows, s0: s0, sink: sink)
    finishTile(row: row, rows: rows, lanes: 32, s0: s0, group: group, sink: sink, into: found)
}

/// positiveTileWide on two groups of 4 rows at once: 8 rows × 32 samples in sixteen SIMD16 accumulators, so each
/// load of h feeds twice the multiply-adds. Every pre-activation is the same chain over k as in positiveTileWide, and
/// each group's values go to its own list (rows row … row + 3 to `outs[group]`, the rest to `outs[group + 1]`) in
/// that kernel's order: the same bits. 5 ≤ rows ≤ 8; s0 is a multiple of 32.
@inline(__always)
func positiveTileWide8(_ w: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ ht: UnsafeBufferPointer<Float>,
                       m: Int, row: Int, rows: Int, s0: Int, group: Int, sink: TileSink, into found: BlockPositives) {
    let r5 = row + min(5, rows - 1), r6 = row + min(6, rows - 1), r7 = row + min(7, rows - 1)
    var a0 = SIMD16<Float>(repeating: b[row]), a1 = SIMD16<Float>(repeating: b[row + 1])
    var a2 = SIMD16<Float>(repeating: b[row + 2]), a3 = SIMD16<Float>(repeating: b[row + 3])
    var a4 = SIMD16<Float>(repeating: b[row + 4]), a5 = SIMD16<Float>(repeating: b[r5])
    var a6 = SIMD16<Float>(repeating: b[r6]), a7 = SIMD16<Float>(repeating: b[r7])
    var c0 = a0, c1 = a1, c2 = a2, c3 = a3, c4 = a4, c5 = a5, c6 = a6, c7 = a7
    let w0 = row * m, w5 = r5 * m, w6 = r6 * m, w7 = r7 * m
    let base = ht.baseAddress! + hSlabIndex(0, s0, m: m)
    for k in 0..<m {
        let h = UnsafeRawPointer(base + k * hSlab).loadUnaligned(as: SIMD16<Float>.self)
        let g = UnsafeRawPointer(base + k * hSlab + 16).loadUnaligned(as: SIMD16<Float>.self)
        let v0 = SIMD16(repeating: w[w0 + k]), v1 = SIMD16(repeating: w[w0 + m + k])
        let v2 = SIMD16(repeating: w[w0 + 2 * m + k]), v3 = SIMD16(repeating: w[w0 + 3 * m + k])
        let v4 = SIMD16(repeating: w[w0 + 4 * m + k]), v5 = SIMD16(repeating: w[w5 + k])
        let v6 = SIMD16(repeating: w[w6 + k]), v7 = SIMD16(repeating: w[w7 + k])
        a0 = a0.addingProduct(v0, h); c0 = c0.addingProduct(v0, g)
        a1 = a1.addingProduct(v1, h); c1 = c1.addingProduct(v1, g)
        a2 = a2.addingProduct(v2, h); c2 = c2.addingProduct(v2, g)
        a3 = a3.addingProduct(v3, h); c3 = c3.addingProduct(v3, g)
        a4 = a4.addingProduct(v4, h); c4 = c4.addingProduct(v4, g)
        a5 = a5.addingProduct(v5, h); c5 = c5.addingProduct(v5, g)
        a6 = a6.addingProduct(v6, h); c6 = c6.addingProduct(v6, g)
        a7 = a7.addingProduct(v7, h); c7 = c7.addingProduct(v7, g)
    }
    keepWide(0, a0, c0, row: row, rows: rows, s0: s0, sink: sink); keepWide(1, a1, c1, row: row, rows: rows, s0: s0, sink: sink)
    keepWide(2, a2, c2, row: row, rows: rows, s0: s0, sink: sink); keepWide(3, a3, c3, row: row, rows: rows, s0: s0, sink: sink)
    keepWide(4, a4, c4, row: row, rows: rows, s0: s0, sink: sink); keepWide(5, a5, c5, row: row, rows: rows, s0: s0, sink: sink)
    keepWide(6, a6, c6, row: row, rows: rows, s0: s0, sink: sink); keepWide(7, a7, c7, row: row, rows: rows, s0: s0, sink: sink)
    finishTile(row: row, rows: rows, lanes: 32, s0: s0, group: group, sink: sink, into: found)
}

/// Row r of a 32-sample tile (samples s0 … s0 + 15 in `lo`, the next 16 in `hi`) into the scratch: its values, and
/// the mask of its positive outputs of inactive features. Rows from `rows` on are not the tile's.
@inline(__always)
func keepWide(_ r: Int, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>, row: Int, rows: Int, s0: Int, sink: TileSink) {
    guard r < rows else { return }
    let outs = sink.scratch.outs
    UnsafeMutableRawPointer(outs + 32 * r).storeBytes(of: lo, as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(outs + 32 * r + 16).storeBytes(of: hi, as: SIMD16<Float>.self)
    sink.scratch.masks[r] = (UInt32(vector_positive_bits16(lo)) | UInt32(vector_positive_bits16(hi)) << 16)
        & ~sink.active[(row + r) * sink.slabs + s0 / hSlab]
}
