// The gradients that GradientTests and LargeModelTests leave out, each against a plain Double reference written here
// and that reference against central finite differences (Double, step 1e-6; tolerance 1e-6·max(|g|, 1): truncation
// ~1e-12, rounding ~1e-16·L/1e-6 ≈ 1e-9 for these losses): the large sparse model's L1 penalty
// (LargeState.lossAndGradient), the frozen modes' scale gradient (LargeTrainer.scaleGradient, also bit for bit on 1, 2
// and 3 threads), the signed weight decay's rule (LargeTrainer.signedDecay), the absolute-value model's backward pass
// (absLossAndGradients) and the product MLP (ProductMLP.lossAndGradient). Float32 engine against Double reference: 1e-4 of the
// largest gradient entry (sums of a few hundred Float terms in another order).
import Foundation
import Testing
@testable import Engine

/// (f(x + h e_j) − f(x − h e_j)) / 2h.
private func centralDifference(_ f: ([Double]) -> Double, _ x: [Double], _ j: Int, h: Double = 1e-6) -> Double {
    var up = x, down = x
    up[j] += h; down[j] -= h
    return (f(up) - f(down)) / (2 * h)
}

@Test func largeModelL1PenaltyGradientMatchesPlainReferenceAndFiniteDifferences() {
    let n = 24, m = 5, B = 16
    let l1: Float = 0.3
    var (state, batch) = randomLargeState(n: n, m: m, batch: B, probability: 0.2, seed: 13)
    let plainLoss = state.lossAndGradient(batch, l1: 0, threads: 2)
    let plainGw = state.gw, plainGb = state.gb
    let loss = state.lossAndGradient(batch, l1: l1, threads: 2)
    let w = state.w.map(Double.init), b = state.b.map(Double.init)
    let ref = denseReference(w: w, b: b, n: n, m: m, batch: batch, l1: Double(l1))
    // The penalty adds exactly (λ/n)·sign(W) to gW (one Float addition: 1e-6) and nothing to gb.
    let c = Double(l1) / Double(n)
    for i in 0..<(n * m) {
        let added = Double(state.gw[i]) - Double(plainGw[i])
        #expect(abs(added - (w[i] > 0 ? c : -c)) <= 1e-6, "penalty gradient at W[\(i)]: \(added)")
    }
    #expect(state.gb == plainGb)
    let penalty = c * w.map(abs).reduce(0, +)
    #expect(abs(Double(loss) - Double(plainLoss) - penalty) <= 1e-5 * ref.loss)
    // Engine against the reference: loss to 1e-5 relative, gradients to 1e-4 of the largest entry.
    #expect(abs(Double(loss) - ref.loss) <= 1e-5 * ref.loss)
    let scale = ref.gw.map(abs).max()!
    for i in 0..<(n * m) { #expect(abs(Double(state.gw[i]) - ref.gw[i]) <= 1e-4 * scale, "gW[\(i)]") }
    for j in 0..<n { #expect(abs(Double(state.gb[j]) - ref.gb[j]) <= 1e-4 * scale, "gb[\(j)]") }
    // The reference (penalty included) against central differences, every weight and bias.
    let p = w + b, g = ref.gw + ref.gb
    func total(_ p: [Double]) -> Double {
        denseReference(w: Array(p[0..<(n * m)]), b: Array(p[(n * m)...]), n: n, m: m, batch: batch, l1: Double(l1)).loss
    }
    for j in p.indices {
        let fd = centralDifference(total, p, j)
        #expect(abs(fd - g[j]) <= 1e-6 * max(abs(g[j]), 1), "parameter \(j): fd \(fd) vs \(g[j])")
    }
}

@Test func frozenScaleGradientMatchesFiniteDifferencesOfTheScalesOnAnyThreadCount() {
    // 130 rows: three blocks of LargeTrainer.blockRows (64), so 2 and 3 threads really split the rows.
    let n = 130, m = 8, B = 32
    let l1: Float = 0.1
    let dirs = LargeTrainer.randomDirections(n: n, m: m, seed: 21)
    var rng = Xoshiro(seed: 23)
    let s = (0..<n).map { _ in Float(0.5 + rng.normal() * 0.5) }
    var state = LargeState(n: n, m: m, batch: B)
    for i in 0..<n { for k in 0..<m { state.w[i * m + k] = s[i] * dirs[i * m + k] } }
    state.b = (0..<n).map { _ in Float(rng.normal() * 0.1) }
    let sampler = ActiveSampler(probabilities: Array(repeating: 0.05, count: n), valueScale: 1)
    var batch = ActiveBatch()
    sampler.fill(&batch, count: B, rng: &rng)
    _ = state.lossAndGradient(batch, l1: l1, threads: 2)
    let gs = LargeTrainer.scaleGradient(directions: dirs, weightGradient: state.gw, n: n, m: m, threads: 1)
    for threads in [2, 3] {
        let other = LargeTrainer.scaleGradient(directions: dirs, weightGradient: state.gw, n: n, m: m, threads: threads)
        #expect(other.map(\.bitPattern) == gs.map(\.bitPattern), "\(threads) threads")
    }
    // The function itself: d_i · gW_i of the engine's gW (m Float products summed: 1e-6 of the largest Σ|d·gW|).
    let d = dirs.map(Double.init)
    let magnitude = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + abs(d[i * m + $1] * Double(state.gw[i * m + $1])) } }.max()!
    for i in 0..<n {
        let dot = (0..<m).reduce(0.0) { $0 + d[i * m + $1] * Double(state.gw[i * m + $1]) }
        #expect(abs(Double(gs[i]) - dot) <= 1e-6 * magnitude, "row \(i): \(gs[i]) vs d·gW \(dot)")
    }
    // The chain rule in Double, against the engine (1e-4 of the largest entry) and against central differences in s.
    let b = state.b.map(Double.init)
    func weights(_ s: [Double]) -> [Double] { (0..<(n * m)).map { s[$0 / m] * d[$0] } }
    func loss(_ s: [Double]) -> Double { denseReference(w: weights(s), b: b, n: n, m: m, batch: batch, l1: Double(l1)).loss }
    let sd = s.map(Double.init)
    let ref = denseReference(w: weights(sd), b: b, n: n, m: m, batch: batch, l1: Double(l1))
    let gsRef = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + d[i * m + $1] * ref.gw[i * m + $1] } }
    let scale = gsRef.map(abs).max()!
    for i in 0..<n {
        #expect(abs(Double(gs[i]) - gsRef[i]) <= 1e-4 * scale, "gs[\(i)]: \(gs[i]) vs \(gsRef[i])")
        let fd = centralDifference(loss, sd, i)
        #expect(abs(fd - gsRef[i]) <= 1e-6 * max(abs(gsRef[i]), 1), "s[\(i)]: fd \(fd) vs \(gsRef[i])")
    }
}

/// The signed decay's documented rule in Double: factor ≥ 0 multiplies W by 1 − factor; factor < 0 adds
/// factor·(1 − 1/‖w_i‖)·w_i to every non-zero row (the row's norm moves toward 1).
private func signedDecayReference(_ w: [Double], n: Int, m: Int, factor: Double) -> [Double] {
    var out = w
    for i in 0..<n {
        if factor >= 0 {
            for k in 0..<m { out[i * m + k] = (1 - factor) * w[i * m + k] }
            continue
        }
        let norm = (0..<m).reduce(0.0) { $0 + w[i * m + $1] * w[i * m + $1] }.squareRoot()
        guard norm > 0 else { continue }
        for k in 0..<m { out[i * m + k] = w[i * m + k] + factor * (1 - 1 / norm) * w[i * m + k] }
    }
    return out
}

@Test func signedDecayShrinksForPositiveFactorsAndPullsRowNormsTowardOneForNegative() {
    let n = 5, m = 4
    var rng = Xoshiro(seed: 17)
    var w = (0..<(n * m)).map { _ in Float(rng.normal() * 0.4) }
    // Row 0 of norm 2, row 1 of norm 0.3, row 2 zero; rows 3 and 4 as drawn.
    for (row, target) in [(0, 2.0), (1, 0.3)] {
        let norm = (0..<m).reduce(0.0) { $0 + Double(w[row * m + $1]) * Double(w[row * m + $1]) }.squareRoot()
        for k in 0..<m { w[row * m + k] = Float(Double(w[row * m + k]) * target / norm) }
    }
    for k in 0..<m { w[2 * m + k] = 0 }
    func norms(_ v: [Float]) -> [Double] {
        (0..<n).map { i in (0..<m).reduce(0.0) { $0 + Double(v[i * m + $1]) * Double(v[i * m + $1]) }.squareRoot() }
    }
    let before = norms(w)
    for factor: Float in [0, 0.05, -0.05, -0.3] {
        var got = w
        LargeTrainer.signedDecay(&got, n: n, m: m, factor: factor)
        if factor == 0 { #expect(got == w, "factor 0 changes nothing"); continue }
        let want = signedDecayReference(w.map(Double.init), n: n, m: m, factor: Double(factor))
        // A few Float roundings of entries below 2: 1e-6 relative (absolute below 1).
        for j in 0..<(n * m) {
            #expect(abs(Double(got[j]) - want[j]) <= 1e-6 * max(1, abs(want[j])), "factor \(factor), w[\(j)]: \(got[j]) vs \(want[j])")
        }
        #expect(got[(2 * m)..<(3 * m)].allSatisfy { $0 == 0 }, "the zero row stays zero (factor \(factor))")
        let after = norms(got)
        if factor > 0 {
            for i in 0..<n { #expect(abs(after[i] - (1 - Double(factor)) * before[i]) <= 1e-6, "factor \(factor), row \(i)") }
        } else {
            // ‖w‖ + factor·(‖w‖ − 1): shorter above 1, longer below, never past 1 for |factor| < 1.
            #expect(after[0] < before[0] && after[0] > 1, "factor \(factor): norm 2 → \(after[0])")
            #expect(after[1] > before[1] && after[1] < 1, "factor \(factor): norm 0.3 → \(after[1])")
            for i in [0, 1, 3, 4] { #expect(abs(after[i] - 1) < abs(before[i] - 1), "factor \(factor), row \(i)") }
        }
    }
}

/// The product MLP's loss on one batch in Double (SiLU): mean over samples and outputs of (ŷ − a⊙b)², z = [a; b],
/// ŷ = W₂ SiLU(W₁z + c₁) + c₂, with its gradient, in ProductMLP.train's layout [W₁ (h×2d), c₁ (h), W₂ (d×h), c₂ (d)].
private func productMLPReference(_ p: [Double], d: Int, h: Int, batch: [[Double]]) -> (loss: Double, grad: [Double]) {
    let inDim = 2 * d, o2 = h * inDim, o3 = o2 + h, o4 = o3 + d * h
    let scale = Double(batch.count * d)
    var loss = 0.0, g = [Double](repeating: 0, count: p.count)
    for z in batch {
        let pre = (0..<h).map { u in (0..<inDim).reduce(p[o2 + u]) { $0 + p[u * inDim + $1] * z[$1] } }
        let sig = pre.map { 1 / (1 + exp(-$0)) }
        let hid = (0..<h).map { pre[$0] * sig[$0] }
        var dhid = [Double](repeating: 0, count: h)
        for k in 0..<d {
            let y = (0..<h).reduce(p[o4 + k]) { $0 + p[o3 + k * h + $1] * hid[$1] }
            let e = y - z[k] * z[d + k]
            loss += e * e / scale
            let de = 2 * e / scale
            g[o4 + k] += de
            for u in 0..<h { g[o3 + k * h + u] += de * hid[u]; dhid[u] += de * p[o3 + k * h + u] }
        }
        for u in 0..<h {
            let dp = dhid[u] * (sig[u] + pre[u] * sig[u] * (1 - sig[u]))
            g[o2 + u] += dp
            for i in 0..<inDim { g[u * inDim + i] += dp * z[i] }
        }
    }
    return (loss, g)
}

@Test func productMLPGradientMatchesPlainReferenceAndFiniteDifferences() {
    // ProductMLP.lossAndGradient, the gradient each step of ProductMLP.train takes, on one batch of 8 (SiLU).
    let d = 2, h = 6, B = 8
    var rng = Xoshiro(seed: 5)
    let params = (0..<(h * 2 * d + h + d * h + d)).map { _ in Float(rng.normal() * 0.5) }
    let inputs = (0..<(B * 2 * d)).map { _ in Float(rng.normal()) }
    var g = [Float](repeating: .nan, count: params.count)
    let loss = ProductMLP.lossAndGradient(params, inputs: inputs, d: d, hidden: h, activation: .silu, into: &g)
    let batch = (0..<B).map { s in (0..<(2 * d)).map { Double(inputs[s * 2 * d + $0]) } }
    let p = params.map(Double.init)
    let ref = productMLPReference(p, d: d, h: h, batch: batch)
    #expect(abs(Double(loss) - ref.loss) <= 1e-5 * ref.loss, "loss \(loss) against \(ref.loss)")
    let scale = ref.grad.map(abs).max()!
    #expect(scale > 1e-3, "a gradient too small to test")
    for j in p.indices {
        #expect(abs(Double(g[j]) - ref.grad[j]) <= 1e-4 * scale, "entry \(j): \(g[j]) against \(ref.grad[j])")
        let fd = centralDifference({ productMLPReference($0, d: d, h: h, batch: batch).loss }, p, j)
        #expect(abs(fd - ref.grad[j]) <= 1e-6 * max(abs(ref.grad[j]), 1), "finite difference at \(j)")
    }
}

/// The absolute-value model in Double: h = ReLU(W₁x), y = ReLU(W₂h + b); sum = Σ_s Σ_i I_i (y_i − |x_i|)², and the
/// gradients of sum/(B·n) (what absLossAndGradients gives with gradScale = 2/(B·n)).
private func absModelReference(W1: [Double], W2: [Double], b: [Double], importance: [Float], x: [Float], n: Int, m: Int)
    -> (sum: Double, g1: [Double], g2: [Double], gb: [Double]) {
    let B = x.count / n, norm = Double(B * n)
    var sum = 0.0
    var g1 = [Double](repeating: 0, count: m * n), g2 = [Double](repeating: 0, count: n * m), gb = [Double](repeating: 0, count: n)
    for s in 0..<B {
        let xs = (0..<n).map { Double(x[s * n + $0]) }
        let h = (0..<m).map { k in max(0, (0..<n).reduce(0.0) { $0 + W1[k * n + $1] * xs[$1] }) }
        var dh = [Double](repeating: 0, count: m)
        for i in 0..<n {
            let z = (0..<m).reduce(b[i]) { $0 + W2[i * m + $1] * h[$1] }
            let diff = max(z, 0) - abs(xs[i])
            sum += Double(importance[i]) * diff * diff
            guard z > 0 else { continue }
            let dz = 2 * Double(importance[i]) * diff / norm
            gb[i] += dz
            for k in 0..<m { g2[i * m + k] += dz * h[k]; dh[k] += dz * W2[i * m + k] }
        }
        for k in 0..<m where h[k] > 0 { for i in 0..<n { g1[k * n + i] += dh[k] * xs[i] } }
    }
    return (sum, g1, g2, gb)
}

@Test func absModelGradientsMatchPlainReferenceAndFiniteDifferences() {
    let n = 7, m = 3, B = 16
    var rng = Xoshiro(seed: 29)
    let W1 = (0..<(m * n)).map { _ in Float(rng.normal() * 0.6) }
    let W2 = (0..<(n * m)).map { _ in Float(rng.normal() * 0.6) }
    let b = (0..<n).map { _ in Float(rng.normal() * 0.1) }
    let imp = (0..<n).map { Float(pow(0.85, Double($0))) }
    // Signed sparse features: present with probability 1/2, then uniform in [−1, 1).
    let x = (0..<(B * n)).map { _ -> Float in rng.unitFloat() < 0.5 ? 2 * rng.unitFloat() - 1 : 0 }
    let buf = StepBuffers(n: n, m: m, batch: B)
    for s in 0..<B { for i in 0..<n { buf.x.row(i)[s / 8][s % 8] = x[s * n + i] } }
    var g1 = [Float](repeating: 0, count: m * n), g2 = [Float](repeating: 0, count: n * m), gb = [Float](repeating: 0, count: n)
    let sum = absLossAndGradients(buf, W1: W1, W2: W2, b: b, importance: imp, n: n, m: m, gradScale: 2 / Float(B * n),
                                  g1: &g1, g2: &g2, gb: &gb)
    let mn = m * n
    let p = W1.map(Double.init) + W2.map(Double.init) + b.map(Double.init)
    func reference(_ p: [Double]) -> (sum: Double, g1: [Double], g2: [Double], gb: [Double]) {
        absModelReference(W1: Array(p[0..<mn]), W2: Array(p[mn..<(2 * mn)]), b: Array(p[(2 * mn)...]), importance: imp,
                          x: x, n: n, m: m)
    }
    let ref = reference(p)
    let want = ref.g1 + ref.g2 + ref.gb, got = (g1 + g2 + gb).map(Double.init)
    // Engine against the reference: the summed loss to 1e-5 relative, gradients to 1e-4 of the largest entry.
    #expect(abs(Double(sum) - ref.sum) <= 1e-5 * ref.sum, "loss \(sum) vs \(ref.sum)")
    let scale = want.map(abs).max()!
    for j in want.indices { #expect(abs(got[j] - want[j]) <= 1e-4 * scale, "parameter \(j): \(got[j]) vs \(want[j])") }
    #expect(ref.g1.contains { abs($0) > 1e-3 * scale } && ref.g2.contains { abs($0) > 1e-3 * scale },
            "both layers get a gradient")
    // The reference against central differences of sum/(B·n), every parameter.
    func objective(_ p: [Double]) -> Double { reference(p).sum / Double(B * n) }
    for j in p.indices {
        let fd = centralDifference(objective, p, j)
        #expect(abs(fd - want[j]) <= 1e-6 * max(abs(want[j]), 1), "parameter \(j): fd \(fd) vs \(want[j])")
    }
}
