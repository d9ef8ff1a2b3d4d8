// The training arithmetic on feature-major batches, eight samples per SIMD vector, with fused multiply-adds
// (exactly rounded, so every x86-64 machine gives the same bits) and a fixed summation order everywhere:
//   forward   H = W X (m rows), Z = Wᵀ H + b (n rows), x̂ = act(Z)
//   loss      Σ_i I_i (x̂_i − x_i)², and dL/dZ
//   backward  dH = W dZ, ∇W = H dZᵀ + dH Xᵀ, ∇b = Σ_samples dZ
// On processors with AVX-512 the products run on SIMD16 vectors (KernelWidth), with the same chains and bits.

import CVector
import Foundation

/// Which vector width the training kernels use. Both widths compute every result as the same chain of fused
/// multiply-adds in the same order, so they give the same bits; the wide one is faster where the processor has
/// 512-bit vectors (AVX-512, 32 vector registers) and slower where it has not.
public enum KernelWidth {
    /// True on processors with AVX-512F (read from /proc/cpuinfo); PAPER_KERNEL_WIDTH=8 or 16 chooses instead.
    public static let wide: Bool = {
        switch ProcessInfo.processInfo.environment["PAPER_KERNEL_WIDTH"] {
        case nil: break
        case "8": return false
        case "16": return true
        case let other?:
            FileHandle.standardError.write(Data("PAPER_KERNEL_WIDTH must be 8 or 16, got \"\(other)\"; using the processor's width\n".utf8))
        }
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flags.split(separator: " ").contains("avx512f")
    }()
}

/// The vectors the kernels are written for, SIMD8<Float> and SIMD16<Float>, with the operations whose generic
/// SIMD versions the standard library runs lane by lane.
protocol FloatVector: SIMD where Scalar == Float {
    /// The square root of every lane.
    func lanesSquareRoot() -> Self
}

extension SIMD8: FloatVector where Scalar == Float {
    @inline(__always) func lanesSquareRoot() -> Self { vector_sqrt8(self) }
}

extension SIMD16: FloatVector where Scalar == Float {
    @inline(__always) func lanesSquareRoot() -> Self { vector_sqrt16(self) }
}

/// The lanes of a vector summed in a fixed pairwise order.
@inline(__always)
func laneSum(_ v: SIMD8<Float>) -> Float {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// Reusable work space of the kernels, grown on demand and never shrunk, so that a training step allocates nothing.
/// One per instance (it lives in StepBuffers); a kernel call uses it only while it runs.
final class KernelScratch {
    private var floatBuf = UnsafeMutablePointer<Float>.allocate(capacity: 1), floatCount = 1
    private var vectorBuf = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 1), vectorCount = 1
    private var wideBuf = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: 1), wideCount = 1
    private var zeroBuf = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 1), zeroCount = 1
    private var indexBuf = UnsafeMutablePointer<Int32>.allocate(capacity: 1), indexCount = 1
    private var countBuf = UnsafeMutablePointer<Int32>.allocate(capacity: 1), countCount = 1
    /// Sixteen row pointers (the columns of one block of pairedRowDotsWide).
    let rowPointers = UnsafeMutablePointer<UnsafeMutablePointer<SIMD8<Float>>>.allocate(capacity: 16)
    init() { zeroBuf.initialize(to: .zero) }
    deinit {
        floatBuf.deallocate(); vectorBuf.deallocate(); wideBuf.deallocate(); zeroBuf.deallocate(); indexBuf.deallocate()
        countBuf.deallocate(); rowPointers.deallocate()
    }

    func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > floatCount { floatBuf.deallocate(); floatBuf = .allocate(capacity: n); floatCount = n }
        return floatBuf
    }
    func vectors(_ n: Int) -> UnsafeMutablePointer<SIMD8<Float>> {
        if n > vectorCount { vectorBuf.deallocate(); vectorBuf = .allocate(capacity: n); vectorCount = n }
        return vectorBuf
    }
    func wideVectors(_ n: Int) -> UnsafeMutablePointer<SIMD16<Float>> {
        if n > wideCount { wideBuf.deallocate(); wideBuf = .allocate(capacity: n); wideCount = n }
        return wideBuf
    }
    /// n vectors of zeros (never written by the kernels).
    func zeros(_ n: Int) -> UnsafeMutablePointer<SIMD8<Float>> {
        if n > zeroCount {
            zeroBuf.deallocate(); zeroBuf = .allocate(capacity: n); zeroBuf.initialize(repeating: .zero, count: n); zeroCount = n
        }
        return zeroBuf
    }
    func indices(_ n: Int) -> UnsafeMutablePointer<Int32> {
        if n > indexCount { indexBuf.deallocate(); indexBuf = .allocate(capacity: n); indexCount = n }
        return indexBuf
    }
    /// A second buffer of n integers (the lengths of the lists kept in `indices`).
    func counts(_ n: Int) -> UnsafeMutablePointer<Int32> {
        if n > countCount { countBuf.deallocate(); countBuf = .allocate(capacity: n); countCount = n }
        return countBuf
    }
}

/// For every block of two sample vectors of V from vector j0 on (the last one may hold one), the indices c in
/// 0..<count, in order, whose vectors of `rows` in that block are not all exactly zero: block k's list is
/// lists[k·(count + 1) ...], counts[k] entries and then −1 (a sentinel, see pairedRowDots).
/// One pass along each row (sequential memory), a branch-free append per block. Terms with an exactly zero factor
/// add nothing to a fused multiply-add chain (x + 0·w = x, and the chains here never hold −0), so skipping them
/// leaves every result bit-identical. (The test runs on SIMD8 vectors whatever V: the standard library's masks of
/// a generic SIMD type compare lane by lane.)
@inline(__always)
func nonzeroBlockLists<V: SIMD>(_ rows: FeatureMajorBatch, as _: V.Type, count: Int, from j0: Int = 0,
                                lists: UnsafeMutablePointer<Int32>, counts: UnsafeMutablePointer<Int32>) where V.Scalar == Float {
    let per = V.scalarCount / 4      // SIMD8 vectors in a block of two V
    let nv = rows.batch / V.scalarCount - j0, pairs = nv / 2, blocks = (nv + 1) / 2
    for k in 0..<blocks { counts[k] = 0 }
    let stride = count + 1
    for c in 0..<count {
        let x = rows.row(c) + j0 * per / 2
        for k in 0..<pairs {
            let t = Int(counts[k])
            lists[k * stride + t] = Int32(c)
            let v = x + per * k
            var nz = (v[0] .!= 0) .| (v[1] .!= 0)
            if per == 4 { nz = nz .| (v[2] .!= 0) .| (v[3] .!= 0) }
            counts[k] = Int32(t + (any(nz) ? 1 : 0))
        }
        if pairs < blocks {
            let t = Int(counts[pairs])
            lists[pairs * stride + t] = Int32(c)
            let v = x + per * pairs
            var nz = v[0] .!= 0
            if per == 4 { nz = nz .| (v[1] .!= 0) }
            counts[pairs] = Int32(t + (any(nz) ? 1 : 0))
        }
    }
    for k in 0..<blocks { lists[k * stride + Int(counts[k])] = -1 }
}

/// Where combineRows reads the coefficients of output rows 4q … 4q + 3 for input c: four floats side by side at
/// base + q·qStride + c·cStep.
struct QuadCoefficients {
    let base: UnsafePointer<Float>
    let qStride: Int, cStep: Int

    /// The coefficients coef[r·rStride + c·cStride] as they are when rStride is 1 (four rows are adjacent), else
    /// packed into `space` (⌊outRows / 4⌋ · inner · 4 floats): space[(q·inner + c)·4 + k] = coef of row 4q + k, input c.
    init(_ coef: UnsafePointer<Float>, rStride: Int, cStride: Int, outRows: Int, inner: Int, space: () -> UnsafeMutablePointer<Float>) {
        if rStride == 1 { base = coef; qStride = 4; cStep = cStride; return }
        let quads = outRows / 4, packed = space()
        for q in 0..<quads {
            for c in 0..<inner {
                for k in 0..<4 { packed[(q * inner + c) * 4 + k] = coef[(4 * q + k) * rStride + c * cStride] }
            }
        }
        base = UnsafePointer(packed); qStride = inner * 4; cStep = 4
    }
}

/// out[r] = bias[r] (or 0) + Σ_c coef[r·rStride + c·cStride] · rows[c], for r in 0..<outRows.
/// With `denseInputs`, blocks of three sample vectors over every c first (see below); otherwise
/// blocks of two sample vectors; within a block, four output rows at a time (eight accumulators: with the two
/// inputs and a broadcast coefficient they fit the 16 vector registers of AVX2), summing over c in order and
/// skipping the c whose inputs are exactly zero in the block (sparse inputs, inactive ReLU outputs), so every
/// output is the same chain of fused multiply-adds whatever the blocking or sparsity. `quadCoef`, when given, holds
/// the same coefficients already arranged four rows at a time (a training step packs W once for two products).
/// `wide` runs it on SIMD16 vectors (AVX-512; the batch a multiple of 16), with the same bits.
@inline(__always)
func combineRows(into out: FeatureMajorBatch, outRows: Int, from rows: FeatureMajorBatch, inner: Int,
                 coef: UnsafePointer<Float>, rStride: Int, cStride: Int, bias: UnsafePointer<Float>?,
                 scratch: KernelScratch, quadCoef: QuadCoefficients? = nil, denseInputs: Bool = false, wide: Bool = false) {
    if wide {
        combineRows(into: out, outRows: outRows, from: rows, inner: inner, coef: coef, rStride: rStride, cStride: cStride,
                    bias: bias, scratch: scratch, quadCoef: quadCoef, denseInputs: denseInputs, as: SIMD16<Float>.self)
    } else {
        combineRows(into: out, outRows: outRows, from: rows, inner: inner, coef: coef, rStride: rStride, cStride: cStride,
                    bias: bias, scratch: scratch, quadCoef: quadCoef, denseInputs: denseInputs, as: SIMD8<Float>.self)
    }
}

/// combineRows on vectors of V: SIMD8 (AVX2) or SIMD16 (AVX-512; the batch a multiple of 16). Every output is the
/// same per-sample chain whatever V, so both give the same bits.
@inline(__always)
func combineRows<V: SIMD>(into out: FeatureMajorBatch, outRows: Int, from rows: FeatureMajorBatch, inner: Int,
                          coef: UnsafePointer<Float>, rStride: Int, cStride: Int, bias: UnsafePointer<Float>?,
                          scratch: KernelScratch, quadCoef: QuadCoefficients? = nil, denseInputs: Bool = false,
                          as _: V.Type) where V.Scalar == Float {
    let nv = rows.batch / V.scalarCount
    let quads = outRows / 4
    let qc = quadCoef ?? QuadCoefficients(coef, rStride: rStride, cStride: cStride, outRows: outRows, inner: inner) {
        scratch.floats(max(1, quads * inner * 4))
    }
    var j = 0
    if denseInputs {
        // Inputs with few zeros (Z = Wᵀ H): blocks of three sample vectors over every c, twelve accumulators, fewer
        // loads per multiply-add than the skipping path. Zero terms add nothing, so the chains are the same.
        while quads > 0 && j + 3 <= nv {
            for q in 0..<quads {
                let r = 4 * q
                let pw = qc.base + q * qc.qStride, cStep = qc.cStep
                var a0 = V(repeating: bias?[r] ?? 0), d0 = V(repeating: bias?[r + 1] ?? 0)
                var e0 = V(repeating: bias?[r + 2] ?? 0), f0 = V(repeating: bias?[r + 3] ?? 0)
                var a1 = a0, d1 = d0, e1 = e0, f1 = f0, a2 = a0, d2 = d0, e2 = e0, f2 = f0
                for c in 0..<inner {
                    let x = rows.row(c, as: V.self) + j
                    let x0 = x[0], x1 = x[1], x2 = x[2]
                    let w = pw + c * cStep
                    var wk = V(repeating: w[0])
                    a0 = a0.addingProduct(x0, wk); a1 = a1.addingProduct(x1, wk); a2 = a2.addingProduct(x2, wk)
                    wk = V(repeating: w[1])
                    d0 = d0.addingProduct(x0, wk); d1 = d1.addingProduct(x1, wk); d2 = d2.addingProduct(x2, wk)
                    wk = V(repeating: w[2])
                    e0 = e0.addingProduct(x0, wk); e1 = e1.addingProduct(x1, wk); e2 = e2.addingProduct(x2, wk)
                    wk = V(repeating: w[3])
                    f0 = f0.addingProduct(x0, wk); f1 = f1.addingProduct(x1, wk); f2 = f2.addingProduct(x2, wk)
                }
                let o0 = out.row(r, as: V.self) + j, o1 = out.row(r + 1, as: V.self) + j, o2 = out.row(r + 2, as: V.self) + j, o3 = out.row(r + 3, as: V.self) + j
                o0[0] = a0; o0[1] = a1; o0[2] = a2; o1[0] = d0; o1[1] = d1; o1[2] = d2
                o2[0] = e0; o2[1] = e1; o2[2] = e2; o3[0] = f0; o3[1] = f1; o3[2] = f2
            }
            j += 3
        }
    }
    // (With no full block of four rows, nothing here needs the lists.) Blocks of two vectors from j on.
    let j0 = j, blocks = (nv - j0 + 1) / 2
    let lists = scratch.indices(quads > 0 ? max(1, blocks * (inner + 1)) : 1), counts = scratch.counts(max(1, blocks))
    if quads > 0 && blocks > 0 { nonzeroBlockLists(rows, as: V.self, count: inner, from: j0, lists: lists, counts: counts) }
    while quads > 0 && j < nv {
        let width = min(2, nv - j)
        let list = lists + ((j - j0) / 2) * (inner + 1)
        var q = 0
        // With SIMD16 (AVX-512, 32 registers): eight rows at a time, sixteen accumulators, enough independent chains
        // to cover the latency of the fused multiply-adds (with eight, each waits on the one before).
        while V.scalarCount == 16 && width == 2 && q + 1 < quads {
            let r = 4 * q
            let pw = qc.base + q * qc.qStride, pv = pw + qc.qStride, cStep = qc.cStep
            var a0 = V(repeating: bias?[r] ?? 0), b0 = V(repeating: bias?[r + 1] ?? 0)
            var c0 = V(repeating: bias?[r + 2] ?? 0), d0 = V(repeating: bias?[r + 3] ?? 0)
            var e0 = V(repeating: bias?[r + 4] ?? 0), f0 = V(repeating: bias?[r + 5] ?? 0)
            var g0 = V(repeating: bias?[r + 6] ?? 0), h0 = V(repeating: bias?[r + 7] ?? 0)
            var a1 = a0, b1 = b0, c1 = c0, d1 = d0, e1 = e0, f1 = f0, g1 = g0, h1 = h0
            var t = 0
            while true {
                let c = Int(list[t])
                if c < 0 { break }
                t += 1
                let x = rows.row(c, as: V.self) + j
                let x0 = x[0], x1 = x[1]
                let w = pw + c * cStep, u = pv + c * cStep
                var wk = V(repeating: w[0])
                a0 = a0.addingProduct(x0, wk); a1 = a1.addingProduct(x1, wk)
                wk = V(repeating: w[1]); b0 = b0.addingProduct(x0, wk); b1 = b1.addingProduct(x1, wk)
                wk = V(repeating: w[2]); c0 = c0.addingProduct(x0, wk); c1 = c1.addingProduct(x1, wk)
                wk = V(repeating: w[3]); d0 = d0.addingProduct(x0, wk); d1 = d1.addingProduct(x1, wk)
                wk = V(repeating: u[0]); e0 = e0.addingProduct(x0, wk); e1 = e1.addingProduct(x1, wk)
                wk = V(repeating: u[1]); f0 = f0.addingProduct(x0, wk); f1 = f1.addingProduct(x1, wk)
                wk = V(repeating: u[2]); g0 = g0.addingProduct(x0, wk); g1 = g1.addingProduct(x1, wk)
                wk = V(repeating: u[3]); h0 = h0.addingProduct(x0, wk); h1 = h1.addingProduct(x1, wk)
            }
            var o = out.row(r, as: V.self) + j; o[0] = a0; o[1] = a1
            o = out.row(r + 1, as: V.self) + j; o[0] = b0; o[1] = b1
            o = out.row(r + 2, as: V.self) + j; o[0] = c0; o[1] = c1
            o = out.row(r + 3, as: V.self) + j; o[0] = d0; o[1] = d1
            o = out.row(r + 4, as: V.self) + j; o[0] = e0; o[1] = e1
            o = out.row(r + 5, as: V.self) + j; o[0] = f0; o[1] = f1
            o = out.row(r + 6, as: V.self) + j; o[0] = g0; o[1] = g1
            o = out.row(r + 7, as: V.self) + j; o[0] = h0; o[1] = h1
            q += 2
        }
        for q in q..<quads {
            let r = 4 * q
            let pw = qc.base + q * qc.qStride, cStep = qc.cStep
            let o0 = out.row(r, as: V.self) + j, o1 = out.row(r + 1, as: V.self) + j, o2 = out.row(r + 2, as: V.self) + j, o3 = out.row(r + 3, as: V.self) + j
            var a0 = V(repeating: bias?[r] ?? 0), d0 = V(repeating: bias?[r + 1] ?? 0)
            var e0 = V(repeating: bias?[r + 2] ?? 0), f0 = V(repeating: bias?[r + 3] ?? 0)
            if width == 2 {
                var a1 = a0, d1 = d0, e1 = e0, f1 = f0
                var t = 0
                while true {
                    let c = Int(list[t])
                    if c < 0 { break }
                    t += 1
                    let x = rows.row(c, as: V.self) + j
                    let x0 = x[0], x1 = x[1]
                    let w = pw + c * cStep
                    let w0 = V(repeating: w[0]), w1 = V(repeating: w[1])
                    a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0)
                    d0 = d0.addingProduct(x0, w1); d1 = d1.addingProduct(x1, w1)
                    let w2 = V(repeating: w[2]), w3 = V(repeating: w[3])
                    e0 = e0.addingProduct(x0, w2); e1 = e1.addingProduct(x1, w2)
                    f0 = f0.addingProduct(x0, w3); f1 = f1.addingProduct(x1, w3)
                }
                o0[1] = a1; o1[1] = d1; o2[1] = e1; o3[1] = f1
            } else {
                var t = 0
                while true {
                    let c = Int(list[t])
                    if c < 0 { break }
                    t += 1
                    let x0 = rows.row(c, as: V.self)[j]
                    let w = pw + c * cStep
                    a0 = a0.addingProduct(x0, V(repeating: w[0])); d0 = d0.addingProduct(x0, V(repeating: w[1]))
                    e0 = e0.addingProduct(x0, V(repeating: w[2])); f0 = f0.addingProduct(x0, V(repeating: w[3]))
                }
            }
            o0[0] = a0; o1[0] = d0; o2[0] = e0; o3[0] = f0
        }
        j += width
    }
    // The last outRows % 4 rows: eight sample vectors at a time over every c (a few rows; skipping would not pay).
    for r in (4 * quads)..<outRows {
        let cr = coef + r * rStride
        let o = out.row(r, as: V.self)
        let start = V(repeating: bias?[r] ?? 0)
        var j = 0
        while j + 8 <= nv {
            var a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start
            for c in 0..<inner {
                let x = rows.row(c, as: V.self) + j
                let w = V(repeating: cr[c * cStride])
                a0 = a0.addingProduct(x[0], w); a1 = a1.addingProduct(x[1], w); a2 = a2.addingProduct(x[2], w)
                a3 = a3.addingProduct(x[3], w); a4 = a4.addingProduct(x[4], w); a5 = a5.addingProduct(x[5], w)
                a6 = a6.addingProduct(x[6], w); a7 = a7.addingProduct(x[7], w)
            }
            o[j] = a0; o[j + 1] = a1; o[j + 2] = a2; o[j + 3] = a3; o[j + 4] = a4; o[j + 5] = a5; o[j + 6] = a6; o[j + 7] = a7
            j += 8
        }
        while j < nv {
            var a = start
            for c in 0..<inner { a = a.addingProduct(rows.row(c, as: V.self)[j], V(repeating: cr[c * cStride])) }
            o[j] = a
            j += 1
        }
    }
}

/// g[r·n + c] = Σ_samples (a[r]·b[c] + a2[r]·b2[c]), with lane sums in a fixed order. Columns go four at a time,
/// over the sample vectors where any of their b or b2 entries is nonzero (the others add exact zeros and are
/// skipped); rows go two at a time, a and a2 interleaved, so a block of 2 × 4 outputs keeps its eight
/// accumulators and six operands in the 16 vector registers of AVX2. Each output is the same chain of fused multiply-adds over j
/// (a·b, then a2·b2) whatever the blocking or sparsity. `wide` takes pairedRowDotsWide (AVX-512) past the tiny case.
@inline(__always)
func pairedRowDots(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int,
                   _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch, rowsB: Int, into g: UnsafeMutablePointer<Float>,
                   scratch: KernelScratch, wide: Bool = false) {
    let nv = a.vectors
    if rowsA <= 2 && rowsB <= 4 {
        tinyRowDots(a, a2, rowsA: rowsA, b, b2, rowsB: rowsB, into: g, zero: scratch.zeros(max(1, nv)))
        return
    }
    if wide { return pairedRowDotsWide(a, a2, rowsA: rowsA, b, b2, rowsB: rowsB, into: g, scratch: scratch) }
    let pairs = (rowsA + 1) / 2
    // hd[(p·nv + j)·4 ...] = a[2p][j], a[2p+1][j], a2[2p][j], a2[2p+1][j] (zeros past the last row).
    let hd = scratch.vectors(max(1, pairs * nv * 4))
    let zero = scratch.zeros(max(1, nv))
    let list = scratch.indices(nv + 1)
    for p in 0..<pairs {
        let r0 = 2 * p, r1 = 2 * p + 1
        for j in 0..<nv {
            let o = hd + (p * nv + j) * 4
            o[0] = a.row(r0)[j]; o[2] = a2.row(r0)[j]
            o[1] = r1 < rowsA ? a.row(r1)[j] : .zero; o[3] = r1 < rowsA ? a2.row(r1)[j] : .zero
        }
    }
    var c = 0
    while c < rowsB {
        let width = min(4, rowsB - c)
        // Columns past the last read a row of zeros.
        let z0 = b.row(c), z1 = width > 1 ? b.row(c + 1) : zero, z2 = width > 2 ? b.row(c + 2) : zero
        let z3 = width > 3 ? b.row(c + 3) : zero
        let x0 = b2.row(c), x1 = width > 1 ? b2.row(c + 1) : zero, x2 = width > 2 ? b2.row(c + 2) : zero
        let x3 = width > 3 ? b2.row(c + 3) : zero
        var active = 0
        for j in 0..<nv {
            let nz = (z0[j] .!= 0) .| (z1[j] .!= 0) .| (z2[j] .!= 0) .| (z3[j] .!= 0)
                .| (x0[j] .!= 0) .| (x1[j] .!= 0) .| (x2[j] .!= 0) .| (x3[j] .!= 0)
            if any(nz) { list[active] = Int32(j); active += 1 }
        }
        // A sentinel ends the list: the loop below then has no trip count that LLVM could unroll by, and unrolled
        // (two iterations' operands live at once) it spills the accumulators to the stack.
        list[active] = -1
        for p in 0..<pairs {
            let base = hd + p * nv * 4
            var s00 = SIMD8<Float>.zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00
            var t = 0
            while true {
                let j = Int(list[t])
                if j < 0 { break }
                t += 1
                let h = base + j * 4
                let p0 = h[0], p1 = h[1], q0 = h[2], q1 = h[3]
                var u = z0[j], v = x0[j]
                s00 = s00.addingProduct(p0, u).addingProduct(q0, v); s10 = s10.addingProduct(p1, u).addingProduct(q1, v)
                u = z1[j]; v = x1[j]
                s01 = s01.addingProduct(p0, u).addingProduct(q0, v); s11 = s11.addingProduct(p1, u).addingProduct(q1, v)
                u = z2[j]; v = x2[j]
                s02 = s02.addingProduct(p0, u).addingProduct(q0, v); s12 = s12.addingProduct(p1, u).addingProduct(q1, v)
                u = z3[j]; v = x3[j]
                s03 = s03.addingProduct(p0, u).addingProduct(q0, v); s13 = s13.addingProduct(p1, u).addingProduct(q1, v)
            }
            let g0 = g + 2 * p * rowsB + c, g1 = g0 + rowsB
            g0[0] = laneSum(s00)
            if width > 1 { g0[1] = laneSum(s01) }
            if width > 2 { g0[2] = laneSum(s02) }
            if width > 3 { g0[3] = laneSum(s03) }
            if 2 * p + 1 < rowsA {
                g1[0] = laneSum(s10)
                if width > 1 { g1[1] = laneSum(s11) }
                if width > 2 { g1[2] = laneSum(s12) }
                if width > 3 { g1[3] = laneSum(s13) }
            }
        }
        c += 4
    }
}

/// pairedRowDots for processors with AVX-512 (32 vector registers of 16 floats): the same chains, so the same bits.
/// Each SIMD16 accumulator holds two outputs side by side, rows r and r + 1 of one column in its halves, and the
/// column's entry of b (or b2) is broadcast to both halves: every output's eight lanes still sum the same sample
/// vectors in the same order, and laneSum of each half gives it. Blocks of four rows × eight columns keep sixteen
/// accumulators (each takes two dependent multiply-adds per sample vector, so fewer would wait on their latency),
/// four row operands and two broadcasts in registers.
@inline(__always)
func pairedRowDotsWide(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int,
                       _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch, rowsB: Int, into g: UnsafeMutablePointer<Float>,
                       scratch: KernelScratch) {
    let nv = a.vectors
    let quads = (rowsA + 3) / 4
    // hd[(q·nv + j)·4 ...] = [a[4q] | a[4q+1]], [a[4q+2] | a[4q+3]], [a2[4q] | a2[4q+1]], [a2[4q+2] | a2[4q+3]]
    // at sample vector j (zeros past the last row).
    let hd = scratch.wideVectors(max(1, quads * nv * 4))
    let zero = scratch.zeros(max(1, nv))
    let list = scratch.indices(nv + 1)
    for q in 0..<quads {
        let r = 4 * q
        let a0 = a.row(r), a1 = r + 1 < rowsA ? a.row(r + 1) : zero, a2r = r + 2 < rowsA ? a.row(r + 2) : zero
        let a3 = r + 3 < rowsA ? a.row(r + 3) : zero
        let b0 = a2.row(r), b1 = r + 1 < rowsA ? a2.row(r + 1) : zero, b2r = r + 2 < rowsA ? a2.row(r + 2) : zero
        let b3 = r + 3 < rowsA ? a2.row(r + 3) : zero
        for j in 0..<nv {
            let o = hd + (q * nv + j) * 4
            o[0] = SIMD16(lowHalf: a0[j], highHalf: a1[j]); o[1] = SIMD16(lowHalf: a2r[j], highHalf: a3[j])
            o[2] = SIMD16(lowHalf: b0[j], highHalf: b1[j]); o[3] = SIMD16(lowHalf: b2r[j], highHalf: b3[j])
        }
    }
    // Rows of b and b2 for columns c … c + 7 (a row of zeros past the last column).
    let cols = scratch.rowPointers
    // The sample vectors of b and b2 that the block's columns need, side by side: bp[t·16 + k] is column c + k of b
    // (k < 8) or of b2 (k ≥ 8) at the t-th active sample vector, so the inner loop reads them through one pointer.
    let bp = scratch.vectors(max(1, 16 * nv))
    var c = 0
    while c < rowsB {
        let width = min(8, rowsB - c)
        for k in 0..<8 {
            cols[k] = k < width ? b.row(c + k) : zero
            cols[8 + k] = k < width ? b2.row(c + k) : zero
        }
        var active = 0
        for j in 0..<nv {
            let o = bp + active * 16
            var nz = SIMDMask<SIMD8<Int32>>()
            for k in 0..<16 { let v = cols[k][j]; o[k] = v; nz = nz .| (v .!= 0) }
            if any(nz) { list[active] = Int32(j); active += 1 }
        }
        list[active] = -1
        for q in 0..<quads {
            let base = hd + q * nv * 4
            // s_k: rows 4q, 4q+1 of column c + k; t_k: rows 4q+2, 4q+3.
            var s0 = SIMD16<Float>.zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0
            var t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0, t5 = s0, t6 = s0, t7 = s0
            var t = 0
            while true {
                let j = Int(list[t])
                if j < 0 { break }
                let h = base + j * 4, z = bp + t * 16
                t += 1
                let p0 = h[0], p1 = h[1], q0 = h[2], q1 = h[3]
                @inline(__always) func both(_ v: SIMD8<Float>) -> SIMD16<Float> { SIMD16(lowHalf: v, highHalf: v) }
                var u = both(z[0]), v = both(z[8])
                s0 = s0.addingProduct(p0, u).addingProduct(q0, v); t0 = t0.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[1]); v = both(z[9])
                s1 = s1.addingProduct(p0, u).addingProduct(q0, v); t1 = t1.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[2]); v = both(z[10])
                s2 = s2.addingProduct(p0, u).addingProduct(q0, v); t2 = t2.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[3]); v = both(z[11])
                s3 = s3.addingProduct(p0, u).addingProduct(q0, v); t3 = t3.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[4]); v = both(z[12])
                s4 = s4.addingProduct(p0, u).addingProduct(q0, v); t4 = t4.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[5]); v = both(z[13])
                s5 = s5.addingProduct(p0, u).addingProduct(q0, v); t5 = t5.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[6]); v = both(z[14])
                s6 = s6.addingProduct(p0, u).addingProduct(q0, v); t6 = t6.addingProduct(p1, u).addingProduct(q1, v)
                u = both(z[7]); v = both(z[15])
                s7 = s7.addingProduct(p0, u).addingProduct(q0, v); t7 = t7.addingProduct(p1, u).addingProduct(q1, v)
            }
            // Columns c … c + 7 of rows 4q … 4q + 3 (those that exist), each the laneSum of its half.
            let upper = vector_half_sums8(s0, s1, s2, s3, s4, s5, s6, s7)
            let lower = vector_half_sums8(t0, t1, t2, t3, t4, t5, t6, t7)
            func store(_ k: Int, _ sums: SIMD8<Float>) {
                guard 4 * q + k < rowsA else { return }
                let o = g + (4 * q + k) * rowsB + c
                if width == 8 { UnsafeMutableRawPointer(o).storeBytes(of: sums, as: SIMD8<Float>.self) }
                else { for i in 0..<width { o[i] = sums[i] } }
            }
            store(0, upper.lowHalf); store(1, upper.highHalf); store(2, lower.lowHalf); store(3, lower.highHalf)
        }
        c += 8
    }
}

/// pairedRowDots for at most 2 × 4 outputs (the phase-change and other tiny models): every sample vector, no
/// packing; missing rows and columns read zeros. The same chains as the general path.
@inline(__always)
func tinyRowDots(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int, _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch,
                 rowsB: Int, into g: UnsafeMutablePointer<Float>, zero: UnsafeMutablePointer<SIMD8<Float>>) {
    let nv = a.vectors
    let h0 = a.row(0), q0r = a2.row(0), h1 = rowsA > 1 ? a.row(1) : zero, q1r = rowsA > 1 ? a2.row(1) : zero
    let z0 = b.row(0), z1 = rowsB > 1 ? b.row(1) : zero, z2 = rowsB > 2 ? b.row(2) : zero, z3 = rowsB > 3 ? b.row(3) : zero
    let x0 = b2.row(0), x1 = rowsB > 1 ? b2.row(1) : zero, x2 = rowsB > 2 ? b2.row(2) : zero, x3 = rowsB > 3 ? b2.row(3) : zero
    var s00 = SIMD8<Float>.zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00
    for j in 0..<nv {
        let p0 = h0[j], p1 = h1[j], q0 = q0r[j], q1 = q1r[j]
        var u = z0[j], v = x0[j]
        s00 = s00.addingProduct(p0, u).addingProduct(q0, v); s10 = s10.addingProduct(p1, u).addingProduct(q1, v)
        u = z1[j]; v = x1[j]
        s01 = s01.addingProduct(p0, u).addingProduct(q0, v); s11 = s11.addingProduct(p1, u).addingProduct(q1, v)
        u = z2[j]; v = x2[j]
        s02 = s02.addingProduct(p0, u).addingProduct(q0, v); s12 = s12.addingProduct(p1, u).addingProduct(q1, v)
        u = z3[j]; v = x3[j]
        s03 = s03.addingProduct(p0, u).addingProduct(q0, v); s13 = s13.addingProduct(p1, u).addingProduct(q1, v)
    }
    let row0 = [s00, s01, s02, s03], row1 = [s10, s11, s12, s13]
    for c in 0..<rowsB {
        g[c] = laneSum(row0[c])
        if rowsA > 1 { g[rowsB + c] = laneSum(row1[c]) }
    }
}

/// The buffers of one instance's training step, for a fixed (n, m, batch).
final class StepBuffers {
    let x, h, z, dh: FeatureMajorBatch
    let scratch = KernelScratch()
    /// W (m × n) arranged four rows at a time for H = W X and dH = W dZ, packed by forwardPass.
    let packedW: UnsafeMutablePointer<Float>
    var quadW: QuadCoefficients?
    /// Whether the kernels run on SIMD16 vectors (AVX-512) instead of SIMD8; the results are the same bits.
    let wide: Bool
    init(n: Int, m: Int, batch: Int, wide: Bool = KernelWidth.wide) {
        self.wide = wide && batch % 16 == 0
        x = FeatureMajorBatch(rows: n, batch: batch)
        h = FeatureMajorBatch(rows: m, batch: batch)
        z = FeatureMajorBatch(rows: n, batch: batch)
        dh = FeatureMajorBatch(rows: m, batch: batch)
        packedW = .allocate(capacity: max(1, m / 4 * n * 4))
    }
    deinit { x.deallocate(); h.deallocate(); z.deallocate(); dh.deallocate(); packedW.deallocate() }
}

/// H = W X + c (c: the hidden bias, if any; ReLU'd when `hiddenReLU`), then Z = Wᵀ H + b (pre-activation) into `buf.z`.
@inline(__always)
func forwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, m: Int,
                 hiddenReLU: Bool = false, hiddenBias: UnsafePointer<Float>? = nil) {
    let quadW = QuadCoefficients(W, rStride: n, cStride: 1, outRows: m, inner: n) { buf.packedW }
    buf.quadW = quadW
    combineRows(into: buf.h, outRows: m, from: buf.x, inner: n, coef: W, rStride: n, cStride: 1, bias: hiddenBias,
                scratch: buf.scratch, quadCoef: quadW, wide: buf.wide)
    if hiddenReLU {
        for k in 0..<m {
            let r = buf.h.row(k)
            for j in 0..<buf.h.vectors { r[j] = r[j].replacing(with: 0, where: r[j] .< 0) }
        }
    }
    combineRows(into: buf.z, outRows: n, from: buf.h, inner: m, coef: W, rStride: 1, cStride: n, bias: bias,
                scratch: buf.scratch, denseInputs: true, wide: buf.wide)
}

/// Replaces Z by dL/dZ for the objective mean over batch and features of I (x̂ − x)² (scaled by `gradScale`)
/// and returns Σ over samples and features of I (x̂ − x)². The target x is the input `buf.x` unless `target` is
/// given (adversarial training: the input is perturbed, the target stays clean). With `total` false the sum is not
/// formed (0 is returned): it is one long chain of additions in a fixed order, and a training step that does not
/// record its loss need not wait for it; the gradient is the same.
@inline(__always)
func lossAndOutputGradient(_ buf: StepBuffers, importance: UnsafePointer<Float>, n: Int, relu: Bool,
                           gradScale: Float, target: FeatureMajorBatch? = nil, total wanted: Bool = true) -> Float {
    var total = SIMD8<Float>.zero
    let nv = buf.x.vectors
    let clean = target ?? buf.x
    for i in 0..<n {
        let zr = buf.z.row(i), xr = clean.row(i)
        let imp = importance[i]
        let g = gradScale * imp
        var j = 0
        if !wanted && buf.wide {
            // The gradient alone, sixteen samples at a time (the same operations on each entry).
            let z16 = buf.z.row(i, as: SIMD16<Float>.self), x16 = clean.row(i, as: SIMD16<Float>.self)
            for k in 0..<(nv / 2) {
                let z = z16[k]
                let y = relu ? z.replacing(with: 0, where: z .< 0) : z
                let d = (y - x16[k]) * g
                z16[k] = relu ? d.replacing(with: 0, where: z .<= 0) : d
            }
            j = nv / 2 * 2
        }
        while j < nv {
            let z = zr[j]
            let y = relu ? z.replacing(with: 0, where: z .< 0) : z
            let diff = y - xr[j]
            if wanted { total = total.addingProduct(diff * diff, imp) }
            let d = diff * g
            zr[j] = relu ? d.replacing(with: 0, where: z .<= 0) : d
            j += 1
        }
    }
    return laneSum(total)
}

/// dH = W dZ (zero where a ReLU hidden unit is off), ∇W = H dZᵀ + dH Xᵀ, ∇b = Σ dZ (dZ is in `buf.z`), and
/// ∇c = Σ dH when `gradC` is given (the hidden bias). Follows forwardPass with the same W (it reuses W's packing).
@inline(__always)
func backwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, n: Int, m: Int,
                  gradW: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>, hiddenReLU: Bool = false,
                  l1Gradient: Float = 0, gradC: UnsafeMutablePointer<Float>? = nil) {
    precondition(buf.quadW != nil, "backwardPass runs after forwardPass")
    combineRows(into: buf.dh, outRows: m, from: buf.z, inner: n, coef: W, rStride: n, cStride: 1, bias: nil,
                scratch: buf.scratch, quadCoef: buf.quadW, wide: buf.wide)
    if l1Gradient != 0 {
        // d/dh of λ|h|: λ·sign(h) (0 at h = 0), before the ReLU mask.
        let g = SIMD8<Float>(repeating: l1Gradient)
        for k in 0..<m {
            let h = buf.h.row(k), d = buf.dh.row(k)
            for j in 0..<buf.h.vectors {
                let s = SIMD8<Float>.zero.replacing(with: 1, where: h[j] .> 0).replacing(with: -1, where: h[j] .< 0)
                d[j] = d[j].addingProduct(s, g)
            }
        }
    }
    if hiddenReLU {
        for k in 0..<m {
            let h = buf.h.row(k), d = buf.dh.row(k)
            for j in 0..<buf.h.vectors { d[j] = d[j].replacing(with: 0, where: h[j] .<= 0) }
        }
    }
    pairedRowDots(buf.h, buf.dh, rowsA: m, buf.z, buf.x, rowsB: n, into: gradW, scratch: buf.scratch, wide: buf.wide)
    rowSums(buf.z, rows: n, into: gradB)
    if let gradC { rowSums(buf.dh, rows: m, into: gradC) }
}

/// out[r] = Σ over samples of rows[r], in a fixed order.
@inline(__always)
func rowSums(_ rows: FeatureMajorBatch, rows count: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<count {
        let row = rows.row(r)
        var s = SIMD8<Float>.zero
        for j in 0..<rows.vectors { s += row[j] }
        out[r] = laneSum(s)
    }
}
