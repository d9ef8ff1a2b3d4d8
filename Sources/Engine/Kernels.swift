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
/// Four output rows and four sample vectors at a time (16 accumulators in registers), summing over c in order,
/// so every output is the same chain of fused multiply-adds whatever the blocking.
@inline(__always)
func combineRows(into out: FeatureMajorBatch, outRows: Int, from rows: FeatureMajorBatch, inner: Int,
                 coef: UnsafePointer<Float>, rStride: Int, cStride: Int, bias: UnsafePointer<Float>?) {
    let nv = rows.vectors
    var r = 0
    while r + 4 <= outRows {
        let c0 = coef + r * rStride, c1 = c0 + rStride, c2 = c1 + rStride, c3 = c2 + rStride
        let b0 = SIMD8<Float>(repeating: bias?[r] ?? 0), b1 = SIMD8<Float>(repeating: bias?[r + 1] ?? 0)
        let b2 = SIMD8<Float>(repeating: bias?[r + 2] ?? 0), b3 = SIMD8<Float>(repeating: bias?[r + 3] ?? 0)
        let o0 = out.row(r), o1 = out.row(r + 1), o2 = out.row(r + 2), o3 = out.row(r + 3)
        var j = 0
        while j + 4 <= nv {
            var a0 = b0, a1 = b0, a2 = b0, a3 = b0
            var d0 = b1, d1 = b1, d2 = b1, d3 = b1
            var e0 = b2, e1 = b2, e2 = b2, e3 = b2
            var f0 = b3, f1 = b3, f2 = b3, f3 = b3
            for c in 0..<inner {
                let x = rows.row(c) + j
                let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
                let w0 = c0[c * cStride], w1 = c1[c * cStride], w2 = c2[c * cStride], w3 = c3[c * cStride]
                a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0); a2 = a2.addingProduct(x2, w0); a3 = a3.addingProduct(x3, w0)
                d0 = d0.addingProduct(x0, w1); d1 = d1.addingProduct(x1, w1); d2 = d2.addingProduct(x2, w1); d3 = d3.addingProduct(x3, w1)
                e0 = e0.addingProduct(x0, w2); e1 = e1.addingProduct(x1, w2); e2 = e2.addingProduct(x2, w2); e3 = e3.addingProduct(x3, w2)
                f0 = f0.addingProduct(x0, w3); f1 = f1.addingProduct(x1, w3); f2 = f2.addingProduct(x2, w3); f3 = f3.addingProduct(x3, w3)
            }
            o0[j] = a0; o0[j + 1] = a1; o0[j + 2] = a2; o0[j + 3] = a3
            o1[j] = d0; o1[j + 1] = d1; o1[j + 2] = d2; o1[j + 3] = d3
            o2[j] = e0; o2[j + 1] = e1; o2[j + 2] = e2; o2[j + 3] = e3
            o3[j] = f0; o3[j + 1] = f1; o3[j + 2] = f2; o3[j + 3] = f3
            j += 4
        }
        while j < nv {
            var a = b0, d = b1, e = b2, f = b3
            for c in 0..<inner {
                let x = rows.row(c)[j]
                a = a.addingProduct(x, c0[c * cStride]); d = d.addingProduct(x, c1[c * cStride])
                e = e.addingProduct(x, c2[c * cStride]); f = f.addingProduct(x, c3[c * cStride])
            }
            o0[j] = a; o1[j] = d; o2[j] = e; o3[j] = f
            j += 1
        }
        r += 4
    }
    if r + 2 <= outRows {
        let c0 = coef + r * rStride, c1 = c0 + rStride
        let b0 = SIMD8<Float>(repeating: bias?[r] ?? 0), b1 = SIMD8<Float>(repeating: bias?[r + 1] ?? 0)
        let o0 = out.row(r), o1 = out.row(r + 1)
        var j = 0
        while j + 4 <= nv {
            var a0 = b0, a1 = b0, a2 = b0, a3 = b0
            var d0 = b1, d1 = b1, d2 = b1, d3 = b1
            for c in 0..<inner {
                let x = rows.row(c) + j
                let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
                let w0 = c0[c * cStride], w1 = c1[c * cStride]
                a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0); a2 = a2.addingProduct(x2, w0); a3 = a3.addingProduct(x3, w0)
                d0 = d0.addingProduct(x0, w1); d1 = d1.addingProduct(x1, w1); d2 = d2.addingProduct(x2, w1); d3 = d3.addingProduct(x3, w1)
            }
            o0[j] = a0; o0[j + 1] = a1; o0[j + 2] = a2; o0[j + 3] = a3
            o1[j] = d0; o1[j + 1] = d1; o1[j + 2] = d2; o1[j + 3] = d3
            j += 4
        }
        while j < nv {
            var a = b0, d = b1
            for c in 0..<inner {
                let x = rows.row(c)[j]
                a = a.addingProduct(x, c0[c * cStride]); d = d.addingProduct(x, c1[c * cStride])
            }
            o0[j] = a; o1[j] = d
            j += 1
        }
        r += 2
    }
    while r < outRows {
        let c0 = coef + r * rStride
        let b0 = SIMD8<Float>(repeating: bias?[r] ?? 0)
        let o0 = out.row(r)
        var j = 0
        while j + 4 <= nv {
            var a0 = b0, a1 = b0, a2 = b0, a3 = b0
            for c in 0..<inner {
                let x = rows.row(c) + j
                let w0 = c0[c * cStride]
                a0 = a0.addingProduct(x[0], w0); a1 = a1.addingProduct(x[1], w0)
                a2 = a2.addingProduct(x[2], w0); a3 = a3.addingProduct(x[3], w0)
            }
            o0[j] = a0; o0[j + 1] = a1; o0[j + 2] = a2; o0[j + 3] = a3
            j += 4
        }
        while j < nv {
            var a = b0
            for c in 0..<inner { a = a.addingProduct(rows.row(c)[j], c0[c * cStride]) }
            o0[j] = a
            j += 1
        }
        r += 1
    }
}

/// g[r·n + c] = Σ_samples (a[r]·b[c] + a2[r]·b2[c]), with lane sums in a fixed order. Blocks of 2 rows × 4
/// columns share their loads; each output is the same chain of fused multiply-adds over j whatever the blocking.
@inline(__always)
func pairedRowDots(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int,
                   _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch, rowsB: Int, into g: UnsafeMutablePointer<Float>) {
    let nv = a.vectors
    var r = 0
    while r + 2 <= rowsA {
        let h0 = a.row(r), h1 = a.row(r + 1), dh0 = a2.row(r), dh1 = a2.row(r + 1)
        var c = 0
        while c + 4 <= rowsB {
            let z0 = b.row(c), z1 = b.row(c + 1), z2 = b.row(c + 2), z3 = b.row(c + 3)
            let x0 = b2.row(c), x1 = b2.row(c + 1), x2 = b2.row(c + 2), x3 = b2.row(c + 3)
            var s00 = SIMD8<Float>.zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00
            for j in 0..<nv {
                let p0 = h0[j], p1 = h1[j], q0 = dh0[j], q1 = dh1[j]
                let u0 = z0[j], u1 = z1[j], u2 = z2[j], u3 = z3[j]
                let v0 = x0[j], v1 = x1[j], v2 = x2[j], v3 = x3[j]
                s00 = s00.addingProduct(p0, u0).addingProduct(q0, v0); s01 = s01.addingProduct(p0, u1).addingProduct(q0, v1)
                s02 = s02.addingProduct(p0, u2).addingProduct(q0, v2); s03 = s03.addingProduct(p0, u3).addingProduct(q0, v3)
                s10 = s10.addingProduct(p1, u0).addingProduct(q1, v0); s11 = s11.addingProduct(p1, u1).addingProduct(q1, v1)
                s12 = s12.addingProduct(p1, u2).addingProduct(q1, v2); s13 = s13.addingProduct(p1, u3).addingProduct(q1, v3)
            }
            let g0 = g + r * rowsB + c, g1 = g0 + rowsB
            g0[0] = laneSum(s00); g0[1] = laneSum(s01); g0[2] = laneSum(s02); g0[3] = laneSum(s03)
            g1[0] = laneSum(s10); g1[1] = laneSum(s11); g1[2] = laneSum(s12); g1[3] = laneSum(s13)
            c += 4
        }
        while c < rowsB {
            let z0 = b.row(c), x0 = b2.row(c)
            var s0 = SIMD8<Float>.zero, s1 = s0
            for j in 0..<nv {
                s0 = s0.addingProduct(h0[j], z0[j]).addingProduct(dh0[j], x0[j])
                s1 = s1.addingProduct(h1[j], z0[j]).addingProduct(dh1[j], x0[j])
            }
            g[r * rowsB + c] = laneSum(s0); g[(r + 1) * rowsB + c] = laneSum(s1)
            c += 1
        }
        r += 2
    }
    if r < rowsA {
        let ar = a.row(r), a2r = a2.row(r)
        for c in 0..<rowsB {
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

/// H = W X (ReLU'd when `hiddenReLU`), then Z = Wᵀ H + b (pre-activation) into `buf.z`.
@inline(__always)
func forwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, m: Int,
                 hiddenReLU: Bool = false) {
    combineRows(into: buf.h, outRows: m, from: buf.x, inner: n, coef: W, rStride: n, cStride: 1, bias: nil)
    if hiddenReLU {
        for k in 0..<m {
            let r = buf.h.row(k)
            for j in 0..<buf.h.vectors { r[j] = r[j].replacing(with: 0, where: r[j] .< 0) }
        }
    }
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

/// dH = W dZ (zero where a ReLU hidden unit is off), ∇W = H dZᵀ + dH Xᵀ, ∇b = Σ dZ (dZ is in `buf.z`).
@inline(__always)
func backwardPass(_ buf: StepBuffers, W: UnsafePointer<Float>, n: Int, m: Int,
                  gradW: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>, hiddenReLU: Bool = false,
                  l1Gradient: Float = 0) {
    combineRows(into: buf.dh, outRows: m, from: buf.z, inner: n, coef: W, rStride: n, cStride: 1, bias: nil)
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
    pairedRowDots(buf.h, buf.dh, rowsA: m, buf.z, buf.x, rowsB: n, into: gradW)
    let nv = buf.x.vectors
    for i in 0..<n {
        let zr = buf.z.row(i)
        var s = SIMD8<Float>.zero
        for j in 0..<nv { s += zr[j] }
        gradB[i] = laneSum(s)
    }
}
