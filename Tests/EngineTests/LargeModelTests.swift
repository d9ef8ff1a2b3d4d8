// The large sparse model (beyond the paper): its gradient against a dense Double reference and finite differences,
// independence of the thread count, the sampler's frequencies, and the frame geometry against exact facts.

import Foundation
import Testing
@testable import Engine

/// Dense reference: loss (mean over samples of Σ_j (x̂_j − x_j)², plus λ·mean_i ‖W_i‖₁ = (λ/n)·Σ_ik |W_ik|) and its
/// (sub)gradient, in Double.
func denseReference(w: [Double], b: [Double], n: Int, m: Int, batch: ActiveBatch, l1: Double = 0)
    -> (loss: Double, gw: [Double], gb: [Double]) {
    var gw = [Double](repeating: 0, count: n * m), gb = [Double](repeating: 0, count: n), loss = 0.0
    let B = Double(batch.count)
    for s in 0..<batch.count {
        var x = [Double](repeating: 0, count: n)
        for e in batch.start[s]..<batch.start[s + 1] { x[Int(batch.index[e])] = Double(batch.value[e]) }
        var h = [Double](repeating: 0, count: m)
        for i in 0..<n { for k in 0..<m { h[k] += x[i] * w[i * m + k] } }
        var dh = [Double](repeating: 0, count: m)
        for j in 0..<n {
            var out = b[j]
            for k in 0..<m { out += w[j * m + k] * h[k] }
            let err = max(out, 0) - x[j]
            loss += err * err / B
            guard out > 0 else { continue }
            let d = 2 * err / B
            gb[j] += d
            for k in 0..<m { gw[j * m + k] += d * h[k]; dh[k] += d * w[j * m + k] }
        }
        for i in 0..<n { for k in 0..<m { gw[i * m + k] += x[i] * dh[k] } }
    }
    let c = l1 / Double(n)
    for i in 0..<(n * m) where c != 0 {
        loss += c * abs(w[i])
        gw[i] += w[i] > 0 ? c : (w[i] < 0 ? -c : 0)
    }
    return (loss, gw, gb)
}

/// A large model with random W (std 0.5) and b (std 0.1), and a batch of B samples at feature probability p.
func randomLargeState(n: Int, m: Int, batch B: Int, probability p: Float, seed: UInt64) -> (LargeState, ActiveBatch) {
    var state = LargeState(n: n, m: m, batch: B)
    var rng = Xoshiro(seed: seed)
    state.w = (0..<(n * m)).map { _ in Float(rng.normal() * 0.5) }
    state.b = (0..<n).map { _ in Float(rng.normal() * 0.1) }
    var batch = ActiveBatch()
    ActiveSampler(probabilities: Array(repeating: p, count: n), valueScale: 1).fill(&batch, count: B, rng: &rng)
    return (state, batch)
}

@Test func largeModelGradientMatchesDenseReferenceAndFiniteDifferences() {
    let n = 70, m = 8, B = 16
    var (state, batch) = randomLargeState(n: n, m: m, batch: B, probability: 0.1, seed: 5)
    let loss = state.lossAndGradient(batch, l1: 0, threads: 2)
    let ref = denseReference(w: state.w.map(Double.init), b: state.b.map(Double.init), n: n, m: m, batch: batch)
    #expect(abs(Double(loss) - ref.loss) <= 1e-5 * ref.loss)
    let scale = ref.gw.map(abs).max()!
    for i in 0..<(n * m) { #expect(abs(Double(state.gw[i]) - ref.gw[i]) <= 1e-5 * scale, "gW[\(i)]") }
    for j in 0..<n { #expect(abs(Double(state.gb[j]) - ref.gb[j]) <= 1e-5 * scale, "gb[\(j)]") }
    // Central differences of the Double reference at a few weights (tolerance: the O(h²) truncation error).
    var w = state.w.map(Double.init)
    for i in [0, 17, 101, 333, 559] {
        let h = 1e-6, keep = w[i]
        w[i] = keep + h
        let up = denseReference(w: w, b: state.b.map(Double.init), n: n, m: m, batch: batch).loss
        w[i] = keep - h
        let down = denseReference(w: w, b: state.b.map(Double.init), n: n, m: m, batch: batch).loss
        w[i] = keep
        #expect(abs((up - down) / (2 * h) - ref.gw[i]) <= 1e-6 + 1e-4 * abs(ref.gw[i]), "finite difference at \(i)")
    }
}

@Test func largeModelTrainingIsIndependentOfThreadCount() throws {
    let n = 300, m = 16
    let spec = LargeModelSpec(n: n, m: m, probabilities: Array(repeating: 2 / Float(n), count: n), seed: 9)
    let recipe = LargeRecipe(steps: 40, batch: 64, lr: 3e-3, warmup: 5, logEvery: 10)
    let one = try LargeTrainer.train(spec, recipe: recipe, threads: 1)
    // 2, 3 and 8 threads (8: more threads than the 300 features have row blocks of 64).
    for threads in [2, 3, 8] {
        let other = try LargeTrainer.train(spec, recipe: recipe, threads: threads)
        #expect(one.w == other.w && one.b == other.b && one.lossCurve == other.lossCurve, "\(threads) threads")
    }
    #expect(one.lossCurve.last! < one.lossCurve.first!)
}

@Test func frozenModesTrainOnlyScalesAndBiases() throws {
    let n = 64, m = 8
    var spec = LargeModelSpec(n: n, m: m, probabilities: Array(repeating: 0.05, count: n), mode: .frozenRandom, seed: 3)
    let recipe = LargeRecipe(steps: 30, batch: 32, lr: 1e-2, warmup: 3)
    for mode in [DirectionMode.frozenRandom, .frozenTightFrame] {
        spec.mode = mode
        let model = try LargeTrainer.train(spec, recipe: recipe, threads: 2)
        let dirs = LargeTrainer.initialDirections(spec)
        for i in 0..<n {
            let row = Array(model.row(i)), d = Array(dirs[(i * m)..<((i + 1) * m)])
            let dot = zip(row, d).map { Double($0 * $1) }.reduce(0, +)
            let norm = row.map { Double($0 * $0) }.reduce(0, +).squareRoot()
            #expect(norm == 0 || abs(abs(dot) / norm - 1) < 1e-5, "row \(i) left its direction in \(mode)")
        }
    }
}

@Test func samplerDrawsEachFeatureAtItsProbability() {
    let n = 200
    let p = (0..<n).map { Float(0.5 / pow(Double($0 + 1), 0.8)) }
    let sampler = ActiveSampler(probabilities: p, valueScale: 2)
    var rng = Xoshiro(seed: 11), batch = ActiveBatch()
    let samples = 40_000
    sampler.fill(&batch, count: samples, rng: &rng)
    var counts = [Int](repeating: 0, count: n)
    for i in batch.index { counts[Int(i)] += 1 }
    for i in [0, 1, 5, 31, 32, 100, 199] {
        let expect = Double(p[i]) * Double(samples), sd = (expect * (1 - Double(p[i]))).squareRoot()
        #expect(abs(Double(counts[i]) - expect) <= 5 * sd, "feature \(i): \(counts[i]) against \(expect)")   // 5σ
    }
    #expect(batch.value.allSatisfy { $0 >= 0 && $0 < 2 })
}

@Test func randomCosineLawMatchesMomentsAndMonteCarlo() {
    let m = 32, law = RandomCosineLaw(m: m)
    // ∫f = 1 and ∫c²f = 1/m, by the midpoint rule.
    var mass = 0.0, second = 0.0
    let k = 20_000
    for i in 0..<k {
        let c = -1 + (Double(i) + 0.5) * 2 / Double(k)
        mass += law.density(c) * 2 / Double(k); second += c * c * law.density(c) * 2 / Double(k)
    }
    #expect(abs(mass - 1) < 1e-6 && abs(second - 1 / Double(m)) < 1e-6)
    // Monte Carlo tail P(|c| > 0.3) from 20,000 random pairs, within 4 standard errors.
    let d = LargeTrainer.randomDirections(n: 40_000, m: m, seed: 2)
    var over = 0
    for p in 0..<20_000 {
        var c: Float = 0
        for q in 0..<m { c += d[2 * p * m + q] * d[(2 * p + 1) * m + q] }
        if abs(c) > 0.3 { over += 1 }
    }
    let t = law.tail(0.3), se = (t * (1 - t) / 20_000).squareRoot()
    #expect(abs(Double(over) / 20_000 - t) < 4 * se)
}

@Test func unitTightFrameMeetsTheWelchBoundWithEquality() {
    let n = 96, m = 16
    let v = FrameGeometry.unitTightFrame(LargeTrainer.randomDirections(n: n, m: m, seed: 4), n: n, m: m)
    let eig = FrameGeometry.symmetricEigenvalues(FrameGeometry.frameOperator(v, n: n, m: m, rows: Array(0..<n)), k: m)
    #expect(eig.allSatisfy { abs($0 - Double(n) / Double(m)) < 1e-3 })
    let stats = FrameGeometry.interference(v, n: n, m: m, represented: Array(repeating: true, count: n), threads: 2)
    // The same statistics, bit for bit, on 1, 3 and 8 threads.
    for threads in [1, 3, 8] {
        let other = FrameGeometry.interference(v, n: n, m: m, represented: Array(repeating: true, count: n), threads: threads)
        #expect(other.meanCos2.bitPattern == stats.meanCos2.bitPattern && other.maxAbsCos.bitPattern == stats.maxAbsCos.bitPattern
                && other.histogram == stats.histogram
                && other.dimensionality.map(\.bitPattern) == stats.dimensionality.map(\.bitPattern), "\(threads) threads")
    }
    #expect(abs(stats.meanCos2 - welchBounds(n: n, m: m).meanCos2) < 1e-5)
    #expect(stats.histogram.reduce(0, +) == n * (n - 1) / 2)
    // D_i of a unit-norm tight frame is exactly m/n for every feature.
    #expect(stats.dimensionality.allSatisfy { abs($0 - Double(m) / Double(n)) < 1e-4 })
}

@Test func productGadgetErrorFallsAsLambdaSquaredAndReluGivesMin() {
    for act in [Activation.gelu, .silu] {
        let e1 = abs(productGadget(0.7, -0.4, lambda: 0.1, act) - 0.7 * -0.4)
        let e2 = abs(productGadget(0.7, -0.4, lambda: 0.05, act) - 0.7 * -0.4)
        #expect(abs(e1 / e2 - 4) < 0.1, "\(act): error ratio \(e1 / e2) on halving λ")
    }
    #expect(abs(productGadget(0.7, -0.4, lambda: 0.3, .relu) - 2 * -0.4) < 1e-12)
}

@Test func productMLPLearnsToMultiply() {
    let mlp = ProductMLP.train(d: 2, hidden: 16, activation: .silu, steps: 600, batch: 64, lr: 1e-2, warmup: 30,
                               evalSamples: 2000, seed: 3)
    // The best affine predictor of a⊙b from (a, b) has relative error 1; a working backward pass gets far below.
    #expect(mlp.relativeError < 0.3, "relative error \(mlp.relativeError)")
}

@Test func theInterferenceDotProductSumsItsLanesInTheStatedOrder() {
    // Lanes whose sum depends on the order (2^25 + 1 is not a Float): halves folded onto each other give 2, lane pairs
    // (laneSum's stated order) 8, and lane after lane 7.
    let big: Float = 33_554_432
    let v = SIMD8<Float>(-1, big, 2, 3, 1, 2, -big, -1)
    let halves = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
    let pairwise = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
    let sequential = v.indices.reduce(Float(0)) { $0 + v[$1] }
    #expect(laneSum(v).bitPattern == pairwise.bitPattern)
    #expect(halves == 2 && pairwise == 8 && sequential == 7)
}

/// h_s = Σ_a x_a W_a in plain loops (products and sums separate, the sample's list in order), row-major B × m.
func hiddenReference(w: [Float], m: Int, x: ActiveBatch) -> [Float] {
    var h = [Float](repeating: 0, count: x.count * m)
    for s in 0..<x.count { for e in x.start[s]..<x.start[s + 1] { for k in 0..<m { h[s * m + k] += x.value[e] * w[Int(x.index[e]) * m + k] } } }
    return h
}

/// Σ (x̂_a − x_a)² over sample s's active features in list order, x̂_a = max(b_a + W_a·h_s, 0) with the dot product's
/// products and sums separate, in Double.
func activeLossReference(w: [Float], b: [Float], h: [Float], m: Int, x: ActiveBatch, sample s: Int) -> Double {
    var loss = 0.0
    for e in x.start[s]..<x.start[s + 1] {
        let a = Int(x.index[e])
        var out = b[a]
        for k in 0..<m { out += w[a * m + k] * h[s * m + k] }
        let err = max(out, 0) - x.value[e]
        loss += Double(err * err)
    }
    return loss
}

/// The shapes of the large model's bit-for-bit tests (n, m, B, probability): m = 8 and 24 take the narrow paths, 64
/// and 256 the register-blocked ones, 216 = 128 + 64 + 16 + 8 all of them in turn; B = 45 leaves partial tiles and
/// slabs; n = 150 a partial row block; p = 0.3 makes many features active at once (repeated rows across samples);
/// n = 300 five row blocks (the last partial) with B = 300, a partial last tile.
let largeReferenceShapes: [(n: Int, m: Int, B: Int, p: Float)] = [(150, 8, 45, 0.05), (130, 24, 64, 0.3), (200, 64, 45, 0.02),
                                                                   (90, 256, 70, 0.04), (80, 216, 40, 0.05), (300, 16, 300, 0.01)]

/// A random state and batch for each of `largeReferenceShapes` (seeded by n + m + `seed`), its biases lowered by
/// 0.05 so that a share of the outputs is negative.
func largeReferenceCases(seed: UInt64 = 0) -> [(n: Int, m: Int, state: LargeState, batch: ActiveBatch)] {
    largeReferenceShapes.map { n, m, B, p in
        var (state, batch) = randomLargeState(n: n, m: m, batch: B, probability: p, seed: UInt64(n + m) + seed)
        state.b = state.b.map { $0 - 0.05 }
        return (n, m, state, batch)
    }
}

/// The large model's gradient in plain loops, in the order the engine states: each gW_j and gb_j sums its positive
/// inactive outputs in sample order, then the active rows add theirs in sample order; each dh_s sums its positive
/// inactive outputs in row order, then its active features in list order. Float products and sums are separate
/// (no fused multiply-add), except the pre-activation of the positives, a fused chain over k from b_j.
func largeGradientReference(w: [Float], b: [Float], n: Int, m: Int, x: ActiveBatch) -> (gw: [Float], gb: [Float]) {
    let B = x.count, scale = 2 / Float(B)
    let h = hiddenReference(w: w, m: m, x: x)
    func active(_ s: Int, _ j: Int) -> Bool { (x.start[s]..<x.start[s + 1]).contains { Int(x.index[$0]) == j } }
    func fusedOut(_ j: Int, _ s: Int) -> Float {
        var acc = b[j]
        for k in 0..<m { acc = acc.addingProduct(w[j * m + k], h[s * m + k]) }
        return acc
    }
    var gw = [Float](repeating: 0, count: n * m), gb = [Float](repeating: 0, count: n)
    var dh = [Float](repeating: 0, count: B * m)
    for j in 0..<n {
        for s in 0..<B where !active(s, j) {
            let out = fusedOut(j, s)
            guard out > 0 else { continue }
            let d = scale * out
            gb[j] += d
            for k in 0..<m { gw[j * m + k] += d * h[s * m + k] }
        }
    }
    var activeD = [Float](repeating: 0, count: x.index.count)
    for s in 0..<B {
        for j in 0..<n where !active(s, j) {
            let out = fusedOut(j, s)
            guard out > 0 else { continue }
            for k in 0..<m { dh[s * m + k] += (scale * out) * w[j * m + k] }
        }
        for e in x.start[s]..<x.start[s + 1] {
            let a = Int(x.index[e])
            var out = b[a]
            for k in 0..<m { out += w[a * m + k] * h[s * m + k] }
            guard out > 0 else { continue }
            activeD[e] = scale * (out - x.value[e])
            for k in 0..<m { dh[s * m + k] += activeD[e] * w[a * m + k] }
        }
    }
    for s in 0..<B {
        for e in x.start[s]..<x.start[s + 1] {
            let a = Int(x.index[e]), d = activeD[e]
            if d != 0 { gb[a] += d; for k in 0..<m { gw[a * m + k] += d * h[s * m + k] } }
            for k in 0..<m { gw[a * m + k] += x.value[e] * dh[s * m + k] }
        }
    }
    return (gw, gb)
}

@Test func largeModelGradientEqualsItsPlainReferenceBitForBit() {
    for case (let n, let m, var state, let batch) in largeReferenceCases() {
        let ref = largeGradientReference(w: state.w, b: state.b, n: n, m: m, x: batch)
        for threads in [1, 3] {
            _ = state.lossAndGradient(batch, l1: 0, threads: threads)
            let gwDiffer = zip(state.gw, ref.gw).filter { $0.bitPattern != $1.bitPattern }.count
            let gbDiffer = zip(state.gb, ref.gb).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(gwDiffer == 0 && gbDiffer == 0,
                    "n = \(n), m = \(m), \(threads) threads: \(gwDiffer) of gW's and \(gbDiffer) of gb's entries differ")
        }
    }
}

/// The large model's loss in plain loops, in the order the engine states: per row block of 64, per group of 4 rows,
/// per tile of 16 samples, the group's rows, each row's samples in increasing order: out² (in Double) of every
/// positive output of an inactive feature; the blocks in order; then each sample's active features (x̂ − x)². (The
/// order decides only the Double sum's last bits, which the Float result rounds away in practice.)
func largeLossReference(w: [Float], b: [Float], n: Int, m: Int, x: ActiveBatch) -> Float {
    let B = x.count
    let h = hiddenReference(w: w, m: m, x: x)
    func active(_ s: Int, _ j: Int) -> Bool { (x.start[s]..<x.start[s + 1]).contains { Int(x.index[$0]) == j } }
    var loss = 0.0
    for block in stride(from: 0, to: n, by: LargeTrainer.blockRows) {
        let end = min(n, block + LargeTrainer.blockRows)
        for group in stride(from: block, to: end, by: 4) {
            for tile in stride(from: 0, to: B, by: 16) {
                for j in group..<min(end, group + 4) {
                    for s in tile..<min(B, tile + 16) where !active(s, j) {
                        var out = b[j]
                        for k in 0..<m { out = out.addingProduct(w[j * m + k], h[s * m + k]) }
                        if out > 0 { loss += Double(out * out) }
                    }
                }
            }
        }
    }
    for s in 0..<B { loss += activeLossReference(w: w, b: b, h: h, m: m, x: x, sample: s) }
    return Float(loss / Double(B))
}

@Test func largeModelLossEqualsItsPlainReferenceBitForBit() {
    for case (let n, let m, var state, let batch) in largeReferenceCases() {
        let ref = largeLossReference(w: state.w, b: state.b, n: n, m: m, x: batch)
        for threads in [1, 3] {
            let loss = state.lossAndGradient(batch, l1: 0, threads: threads)
            #expect(loss.bitPattern == ref.bitPattern, "n = \(n), m = \(m), B = \(batch.count), \(threads) threads: \(loss) against \(ref)")
        }
    }
}

@Test func largeModelPerSampleLossEqualsItsPlainReferenceBitForBit() {
    // Each sample's Double sum (no rounding to Float after it, so its order shows): the positive outputs of inactive
    // features in increasing row order, then the active features in list order.
    for case (let n, let m, var state, let batch) in largeReferenceCases(seed: 1) {
        let B = batch.count
        let h = hiddenReference(w: state.w, m: m, x: batch)
        var expected = [Double](repeating: 0, count: B)
        for s in 0..<B {
            let active = Set(batch.index[batch.start[s]..<batch.start[s + 1]].map(Int.init))
            for j in 0..<n where !active.contains(j) {
                var out = state.b[j]
                for k in 0..<m { out = out.addingProduct(state.w[j * m + k], h[s * m + k]) }
                if out > 0 { expected[s] += Double(out * out) }
            }
            expected[s] += activeLossReference(w: state.w, b: state.b, h: h, m: m, x: batch, sample: s)
        }
        for threads in [1, 3] {
            let got = state.perSampleLoss(batch, threads: threads)
            #expect(zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "n = \(n), m = \(m), \(threads) threads")
        }
    }
}

@Test func largeModelGradientLeavesOnlyZeroRowsUnwrittenWhenNotAllRowsAreAsked() {
    // Every even row's bias far below zero, so that it has no positive output (and, unless active, a gradient of +0
    // throughout): those rows are +0 in the full gradient, flagged as without a gradient (and not written) otherwise;
    // every other row, gb and the loss are the same bits.
    for threads in [1, 2] {
        var (state, batch) = randomLargeState(n: 200, m: 24, batch: 40, probability: 0.005, seed: 21)
        for j in stride(from: 0, to: 200, by: 2) { state.b[j] = -100 }
        let full = state.lossAndGradient(batch, l1: 0, threads: threads)
        let (gw, gb) = (state.gw, state.gb)
        #expect(state.rowHasGradient.allSatisfy { $0 })
        state.gw = state.gw.map { _ in .nan }
        let sparse = state.lossAndGradient(batch, l1: 0, threads: threads, allRows: false)
        let flagged = (0..<200).filter { !state.rowHasGradient[$0] }
        #expect(flagged.count > 50 && flagged.count <= 100, "\(flagged.count) rows flagged")
        #expect(full.bitPattern == sparse.bitPattern && zip(gb, state.gb).allSatisfy { $0.bitPattern == $1.bitPattern })
        for j in 0..<200 {
            let row = (j * 24)..<((j + 1) * 24)
            if state.rowHasGradient[j] {
                #expect(zip(gw[row], state.gw[row]).allSatisfy { $0.bitPattern == $1.bitPattern }, "row \(j)")
            } else {
                #expect(gw[row].allSatisfy { $0.bitPattern == Float(0).bitPattern } && state.gw[row].allSatisfy(\.isNaN), "row \(j)")
            }
        }
    }
}

@Test func largeModelGradientWithNoPositiveOutputIsTheActiveRowsAlone() {
    // Biases far below zero: no output is positive, so gW and gb are zero and the loss is Σ x² (no entry lists at all).
    var (state, batch) = randomLargeState(n: 70, m: 16, batch: 8, probability: 0.05, seed: 2)
    state.b = state.b.map { _ in -100 }
    let loss = state.lossAndGradient(batch, l1: 0, threads: 2)
    #expect(state.gw.allSatisfy { $0 == 0 } && state.gb.allSatisfy { $0 == 0 })
    let expected = batch.value.map { Double($0 * $0) }.reduce(0, +) / Double(batch.count)
    #expect(abs(Double(loss) - expected) <= 1e-6 * expected)
}
