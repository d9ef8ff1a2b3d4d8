// The training arithmetic on feature-major batches, eight samples per SIMD vector, with fused multiply-adds
// (exactly rounded, so every x86-64 machine gives the same bits) and a fixed summation order everywhere:
//   forward   H = W X (m rows), Z = Wᵀ H + b (n rows), x̂ = act(Z)
//   loss      Σ_i I_i (x̂_i − x_i)², and dL/dZ
//   backward  dH = W dZ, ∇W = H dZᵀ + dH Xᵀ, ∇b = Σ_samples dZ

/// The lanes of a vector summed in a fixed pairwise order.
@inline(__always)
func laneSum(_ v: SIMD8<Float>) -> Float {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// out[r] = bias[r] (or 0) + Σ_c coef[r·rStride + c·cStride] · rows[c], for r in 0..<outRows.
/// Two output rows and four sample vectors at a time, accumulating over c in registers.
@inline(__always)
func combineRows(into out: FeatureMajorBatch, outRows: Int, from rows: FeatureMajorBatch, inner: Int,
                 coef: UnsafePointer<Float>, rStride: Int, cStride: Int, bias: UnsafePointer<Float>?) {
    let nv = rows.vectors
    var r = 0
    while r < outRows {
        let pair = r + 1 < outRows
        let c0 = coef + r * rStride, c1 = coef + (pair ? r + 1 : r) * rStride
        let b0 = SIMD8<Float>(repeating: bias?[r] ?? 0)
        let b1 = SIMD8<Float>(repeating: pair ? (bias?[r + 1] ?? 0) : 0)
        let o0 = out.row(r), o1 = out.row(pair ? r + 1 : r)
        var j = 0
        while j + 4 <= nv {
            var a0 = b0, a1 = b0, a2 = b0, a3 = b0
            var d0 = b1, d1 = b1, d2 = b1, d3 = b1
            for c in 0..<inner {
                let x = rows.row(c) + j
                let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
                let w0 = c0[c * cStride], w1 = c1[c * cStride]
                a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0)
                a2 = a2.addingProduct(x2, w0); a3 = a3.addingProduct(x3, w0)
                d0 = d0.addingProduct(x0, w1); d1 = d1.addingProduct(x1, w1)
                d2 = d2.addingProduct(x2, w1); d3 = d3.addingProduct(x3, w1)
            }
            o0[j] = a0; o0[j + 1] = a1; o0[j + 2] = a2; o0[j + 3] = a3
            if pair { o1[j] = d0; o1[j + 1] = d1; o1[j + 2] = d2; o1[j + 3] = d3 }
            j += 4
        }
        while j < nv {
            var a = b0, d = b1
            for c in 0..<inner {
                let x = rows.row(c)[j]
                a = a.addingProduct(x, c0[c * cStride]); d = d.addingProduct(x, c1[c * cStride])
            }
            o0[j] = a
            if pair { o1[j] = d }
            j += 1
        }
        r += pair ? 2 : 1
    }
}

/// g[r·n + c] = Σ_samples (a[r]·b[c] + a2[r]·b2[c]), with lane sums in a fixed order.
@inline(__always)
func pairedRowDots(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int,
                   _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch, rowsB: Int, into g: UnsafeMutablePointer<Float>) {
    let nv = a.vectors
    for r in 0..<rowsA {
        let ar = a.row(r), a2r = a2.row(r)
        var c = 0
        while c + 2 <= rowsB {
            let b0 = b.row(c), b1 = b.row(c + 1), e0 = b2.row(c), e1 = b2.row(c + 1)
            var s0 = SIMD8<Float>.zero, s1 = SIMD8<Float>.zero
            for j in 0..<nv {
                let h = ar[j], dh = a2r[j]
                s0 = s0.addingProduct(h, b0[j]).addingProduct(dh, e0[j])
                s1 = s1.addingProduct(h, b1[j]).addingProduct(dh, e1[j])
            }
            g[r * rowsB + c] = laneSum(s0); g[r * rowsB + c + 1] = laneSum(s1)
            c += 2
        }
        if c < rowsB {
            let b0 = b.row(c), e0 = b2.row(c)
            var s0 = SIMD8<Float>.zero
            for j in 0..<nv { s0 = s0.addingProduct(ar[j], b0[j]).addingProduct(a2r[j], e0[j]) }
            g[r * rowsB + c] = laneSum(s0)
        }
    }
}

/// The buffers of one instance's training step, for a fixed (n, m, batch).
final class StepBuffers {
    let x, h, z, dh: FeatureMajorBatch
    init(n: Int, m: Int, batch: Int) {
        x = FeatureMajorBatch(rows: n, batch: batch)
        h = FeatureMajorBatch(rows: m, batch: batch)
        z = FeatureMajorBatch(rows: n, batch: batch)
        dh = FeatureMajorBatch(rows: m, batch: batch)
    }
    deinit { x.deallocate(); h.deallocate(); z.deallocate(); dh.deallocate() }
}

/// H = W X, then Z = Wᵀ H + b (pre-activation) into `buf.z`.
@inline(__always)
func forwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, m: Int) {
    combineRows(into: buf.h, outRows: m, from: buf.x, inner: n, coef: W, rStride: n, cStride: 1, bias: nil)
    combineRows(into: buf.z, outRows: n, from: buf.h, inner: m, coef: W, rStride: 1, cStride: n, bias: bias)
}

/// Replaces Z by dL/dZ for the objective mean over batch and features of I (x̂ − x)² (scaled by `gradScale`)
/// and returns Σ over samples and features of I (x̂ − x)².
@inline(__always)
func lossAndOutputGradient(_ buf: StepBuffers, importance: UnsafePointer<Float>, n: Int, relu: Bool,
                           gradScale: Float) -> Float {
    var total = SIMD8<Float>.zero
    let nv = buf.x.vectors
    for i in 0..<n {
        let zr = buf.z.row(i), xr = buf.x.row(i)
        let imp = importance[i]
        let g = gradScale * imp
        for j in 0..<nv {
            let z = zr[j]
            let y = relu ? z.replacing(with: 0, where: z .< 0) : z
            let diff = y - xr[j]
            total = total.addingProduct(diff * diff, imp)
            let d = diff * g
            zr[j] = relu ? d.replacing(with: 0, where: z .<= 0) : d
        }
    }
    return laneSum(total)
}

/// dH = W dZ, ∇W = H dZᵀ + dH Xᵀ, ∇b = Σ dZ (dZ is in `buf.z`).
@inline(__always)
func backwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, n: Int, m: Int,
                  gradW: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>) {
    combineRows(into: buf.dh, outRows: m, from: buf.z, inner: n, coef: W, rStride: n, cStride: 1, bias: nil)
    pairedRowDots(buf.h, buf.dh, rowsA: m, buf.z, buf.x, rowsB: n, into: gradW)
    let nv = buf.x.vectors
    for i in 0..<n {
        let zr = buf.z.row(i)
        var s = SIMD8<Float>.zero
        for j in 0..<nv { s += zr[j] }
        gradB[i] = laneSum(s)
    }
}
