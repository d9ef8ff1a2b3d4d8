// The engine's one optimiser: a step of AdamW as torch.optim.AdamW documents it (decoupled weight decay, then Adam with
// bias corrections), written once and used by every trained model: the toy models and their replay (Training.swift, Replay.swift),
// the absolute-value model (AbsModel.swift), the large sparse model and the product MLP (LargeModel.swift,
// ProductMLP.swift). Tests: KernelReferenceTests checks its vector, scalar and threaded paths entry by entry, bit for
// bit, against the formula written as a plain loop; TorchReplayTests against PyTorch itself (whose fused kernels round
// differently: the losses agree to a relative 1e-4).

import Foundation

/// AdamW's settings at one (1-based) step.
struct AdamWStep {
    var lr: Float
    var beta1: Float, beta2: Float, eps: Float
    /// Decoupled decay: the parameters are first multiplied by 1 − lr·weightDecay (0: plain Adam, the bits of
    /// a multiplication by 1).
    var weightDecay: Float
    var step: Int

    init(lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, step: Int) {
        self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.step = step
    }

    /// The toy models' recipe at `step` (its learning-rate schedule included).
    init(_ r: TrainingRecipe, step: Int) {
        self.init(lr: r.lr(at: step), beta1: r.beta1, beta2: r.beta2, eps: r.eps, weightDecay: r.weightDecay, step: step)
    }

    /// The large model's recipe with the rate `lr` of this step and no weight decay.
    init(_ r: LargeRecipe, lr: Float, step: Int) {
        self.init(lr: lr, beta1: r.beta1, beta2: r.beta2, eps: r.eps, weightDecay: 0, step: step)
    }
}

/// Entries per job when a step runs on several threads (a multiple of 16); `adamWRows` gives a job as many whole rows as
/// fit in it. Each entry's update is its own, so neither split changes any bits.
let adamChunk = 16_384

/// One AdamW step on `count` parameters `p` with gradient `g` and moments `m1`, `m2`, by torch.optim.AdamW's formula:
/// p ← p·(1 − lr·wd); m1 ← β₁m1 + (1−β₁)g; m2 ← β₂m2 + (1−β₂)g²; p ← p − (lr/c₁)·m1 / (√m2/√c₂ + ε), with the bias
/// corrections c = 1 − βᵗ in double precision. Each entry's update is its own and is rounded alike in the vector and
/// scalar loops (separate multiplies and adds, no fused multiply-add), so the bits depend neither on the thread count
/// nor on where a vector block starts.
func adamW(_ p: UnsafeMutablePointer<Float>, grad g: UnsafePointer<Float>, m1: UnsafeMutablePointer<Float>,
           m2: UnsafeMutablePointer<Float>, count: Int, _ s: AdamWStep, threads: Int = 1) {
    let pointers = AdamPointers(p: p, g: g, m1: m1, m2: m2)
    let constants = AdamConstants(s)
    parallelFor((count + adamChunk - 1) / adamChunk, threads: threads) { c in
        adamWRange(pointers, (c * adamChunk)..<min(count, (c + 1) * adamChunk), constants, gradient: true)
    }
}

/// adamW on `rows` rows of `width` parameters, where a row whose `hasGradient` is false has a gradient of +0 in
/// every entry that `g` need not hold: its entries take the same step with g = +0 (the same operations, so the same
/// bits as reading +0), without reading g. The large model's rows untouched by a batch skip writing and reading
/// their zeros this way.
func adamWRows(_ p: UnsafeMutablePointer<Float>, grad g: UnsafePointer<Float>, m1: UnsafeMutablePointer<Float>,
               m2: UnsafeMutablePointer<Float>, rows: Int, width: Int, hasGradient: UnsafePointer<Bool>, _ s: AdamWStep,
               threads: Int = 1) {
    let pointers = AdamPointers(p: p, g: g, m1: m1, m2: m2), flags = FlagsBox(p: hasGradient)
    let constants = AdamConstants(s)
    let rowsPerJob = max(1, adamChunk / max(1, width))
    parallelFor((rows + rowsPerJob - 1) / rowsPerJob, threads: threads) { c in
        for r in (c * rowsPerJob)..<min(rows, (c + 1) * rowsPerJob) {
            adamWRange(pointers, (r * width)..<((r + 1) * width), constants, gradient: flags.p[r])
        }
    }
}

/// The per-step constants of AdamW: bias corrections in double precision, then float32.
private struct AdamConstants {
    let stepSize: Float, bc2Sqrt: Float, decay: Float, b1: Float, b2: Float, eps: Float
    init(_ s: AdamWStep) {
        let bc1 = 1 - Foundation.pow(Double(s.beta1), Double(s.step))
        let bc2 = 1 - Foundation.pow(Double(s.beta2), Double(s.step))
        stepSize = Float(Double(s.lr) / bc1); bc2Sqrt = Float(bc2.squareRoot())
        decay = 1 - s.lr * s.weightDecay
        b1 = s.beta1; b2 = s.beta2; eps = s.eps
    }
}

/// AdamW on the entries `range`, sixteen, then eight parameters at a time, then one: the same operations in the same
/// order on every entry. Without `gradient`, g is +0 throughout and is not read.
@inline(__always)
private func adamWRange(_ pointers: AdamPointers, _ range: Range<Int>, _ c: AdamConstants, gradient: Bool) {
    let p = pointers.p, g = pointers.g, m1 = pointers.m1, m2 = pointers.m2
    let (stepSize, bc2Sqrt, decay, b1, b2, eps) = (c.stepSize, c.bc2Sqrt, c.decay, c.b1, c.b2, c.eps)
    let end = range.upperBound
    var j = range.lowerBound
    @inline(__always) func update<V: FloatVector>(_: V.Type) {
        let pv = UnsafeMutableRawPointer(p + j), gv = UnsafeRawPointer(g + j)
        let av = UnsafeMutableRawPointer(m1 + j), vv = UnsafeMutableRawPointer(m2 + j)
        let gj = gradient ? gv.loadUnaligned(as: V.self) : V.zero
        var pj = pv.loadUnaligned(as: V.self) * decay
        let aj = b1 * av.loadUnaligned(as: V.self) + (1 - b1) * gj
        let vj = b2 * vv.loadUnaligned(as: V.self) + (1 - b2) * gj * gj
        let denom = vj.lanesSquareRoot() / bc2Sqrt + eps
        pj -= stepSize * aj / denom
        pv.storeBytes(of: pj, as: V.self); av.storeBytes(of: aj, as: V.self)
        vv.storeBytes(of: vj, as: V.self)
        j += V.scalarCount
    }
    while j + 16 <= end { update(SIMD16<Float>.self) }
    while j + 8 <= end { update(SIMD8<Float>.self) }
    for j in j..<end {
        let gj: Float = gradient ? g[j] : 0
        p[j] *= decay
        m1[j] = b1 * m1[j] + (1 - b1) * gj
        m2[j] = b2 * m2[j] + (1 - b2) * gj * gj
        let denom = m2[j].squareRoot() / bc2Sqrt + eps
        p[j] -= stepSize * m1[j] / denom
    }
}

/// Per-row flags handed to the worker threads (read only).
private struct FlagsBox: @unchecked Sendable { let p: UnsafePointer<Bool> }

/// The four arrays of one AdamW step, handed to the worker threads (each job touches only its own chunk).
private struct AdamPointers: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>
}

/// The moments of one parameter array, from zero, and its AdamW step.
struct AdamMoments {
    var m1: [Float], m2: [Float]
    init(count: Int) { m1 = .init(repeating: 0, count: count); m2 = .init(repeating: 0, count: count) }

    /// One AdamW step of `p` with gradient `g` (see `adamW`).
    mutating func step(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ s: AdamWStep, threads: Int = 1) {
        let count = m1.count
        m1.withUnsafeMutableBufferPointer { a in
            m2.withUnsafeMutableBufferPointer { v in
                adamW(p, grad: g, m1: a.baseAddress!, m2: v.baseAddress!, count: count, s, threads: threads)
            }
        }
    }

    /// One AdamW step of `rows` rows of `width` parameters, where rows whose `hasGradient` is false have a gradient
    /// of +0 that `g` need not hold (see `adamWRows`).
    mutating func step(_ p: inout [Float], _ g: [Float], rows: Int, width: Int, hasGradient: [Bool], _ s: AdamWStep,
                       threads: Int = 1) {
        precondition(p.count == m1.count && g.count == m1.count && rows * width == m1.count && hasGradient.count >= rows,
                     "the parameters, gradient, moments and rows differ in length")
        m1.withUnsafeMutableBufferPointer { a in
            m2.withUnsafeMutableBufferPointer { v in
                p.withUnsafeMutableBufferPointer { pb in
                    g.withUnsafeBufferPointer { gb in
                        hasGradient.withUnsafeBufferPointer { flags in
                            adamWRows(pb.baseAddress!, grad: gb.baseAddress!, m1: a.baseAddress!, m2: v.baseAddress!, rows: rows,
                                      width: width, hasGradient: flags.baseAddress!, s, threads: threads)
                        }
                    }
                }
            }
        }
    }

    /// One AdamW step of the array `p` (as long as the moments) with gradient `g`.
    mutating func step(_ p: inout [Float], _ g: [Float], _ s: AdamWStep, threads: Int = 1) {
        precondition(p.count == m1.count && g.count == m1.count, "the parameters, gradient and moments differ in length")
        p.withUnsafeMutableBufferPointer { pb in g.withUnsafeBufferPointer { gb in step(pb.baseAddress!, gb.baseAddress!, s, threads: threads) } }
    }
}
