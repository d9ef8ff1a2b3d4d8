// The engine's gradients against a plain, obviously correct Double implementation of the same objective, and that
// implementation against central finite differences (small shapes, ReLU and linear models).
import Foundation
import Testing
@testable import Engine

/// The notebook objective, mean over batch and features of I (x̂ − x)², in Double, with its gradient.
private func reference(_ m: ToyModel, importance: [Float], x: [Float]) -> (loss: Double, gW: [Double], gb: [Double], gc: [Double]) {
    reference(n: m.n, k: m.m, relu: m.activation == .relu, W: m.W.map(Double.init), b: m.b.map(Double.init), importance: importance,
              x: x, hiddenReLU: m.hidden == .relu)
}

/// `c`: a hidden bias (pre-activation Wx + c); `target`: the clean targets when the input x is perturbed.
private func reference(n: Int, k: Int, relu: Bool, W: [Double], b: [Double], importance: [Float], x: [Float],
                       hiddenReLU: Bool = false, l1: Double = 0, c: [Double]? = nil,
                       target: [Float]? = nil) -> (loss: Double, gW: [Double], gb: [Double], gc: [Double]) {
    let B = x.count / n
    func w(_ r: Int, _ i: Int) -> Double { W[r * n + i] }
    var loss = 0.0
    var gW = [Double](repeating: 0, count: k * n), gb = [Double](repeating: 0, count: n), gc = [Double](repeating: 0, count: k)
    for s in 0..<B {
        let xs = (0..<n).map { Double(x[s * n + $0]) }
        let ts = (0..<n).map { Double((target ?? x)[s * n + $0]) }
        let pre = (0..<k).map { r in (0..<n).reduce(c?[r] ?? 0) { $0 + w(r, $1) * xs[$1] } }
        let h = pre.map { hiddenReLU ? max($0, 0) : $0 }
        // λ Σ_r |h_r| / (B n), the L1 penalty, and its gradient through h.
        for r in 0..<k where h[r] != 0 {
            loss += l1 * abs(h[r]) / Double(B * n)
            if hiddenReLU && pre[r] <= 0 { continue }
            let g = l1 * (h[r] > 0 ? 1 : -1) / Double(B * n)
            for j in 0..<n { gW[r * n + j] += g * xs[j] }
            gc[r] += g
        }
        for i in 0..<n {
            let z = b[i] + (0..<k).reduce(0.0) { $0 + w($1, i) * h[$1] }
            let active = !relu || z > 0
            let y = active ? z : 0
            let d = y - ts[i]
            loss += Double(importance[i]) * d * d / Double(B * n)
            guard active else { continue }
            let dz = 2 * Double(importance[i]) * d / Double(B * n)
            gb[i] += dz
            for r in 0..<k {
                // z_i = Σ_r W_ri h_r with h_r = Σ_j W_rj x_j: both uses of W.
                gW[r * n + i] += dz * h[r]
                if hiddenReLU && pre[r] <= 0 { continue }
                for j in 0..<n { gW[r * n + j] += dz * w(r, i) * xs[j] }
                gc[r] += dz * w(r, i)
            }
        }
    }
    return (loss, gW, gb, gc)
}

/// The engine's kernels on one batch: the model's hidden bias if it has one, and `target` as the clean targets.
private func engineGradients(_ m: ToyModel, importance: [Float], x: [Float], l1: Float = 0,
                             target: [Float]? = nil) -> (gW: [Float], gb: [Float], gc: [Float]) {
    let B = x.count / m.n
    let buf = StepBuffers(n: m.n, m: m.m, batch: B)
    let clean = target.map { _ in FeatureMajorBatch(rows: m.n, batch: B) }
    defer { clean?.deallocate() }
    for s in 0..<B {
        for i in 0..<m.n {
            buf.x.row(i)[s / 8][s % 8] = x[s * m.n + i]
            if let clean, let target { clean.row(i)[s / 8][s % 8] = target[s * m.n + i] }
        }
    }
    var gW = [Float](repeating: 0, count: m.m * m.n), gb = [Float](repeating: 0, count: m.n), gc = [Float](repeating: 0, count: m.m)
    let hr = m.hidden == .relu
    let c = m.c ?? []
    m.W.withUnsafeBufferPointer { W in m.b.withUnsafeBufferPointer { b in importance.withUnsafeBufferPointer { imp in c.withUnsafeBufferPointer { cb in
        forwardPass(buf, W: W.baseAddress!, bias: b.baseAddress!, n: m.n, m: m.m, hiddenReLU: hr, hiddenBias: m.c == nil ? nil : cb.baseAddress)
        _ = lossAndOutputGradient(buf, importance: imp.baseAddress!, n: m.n, relu: m.activation == .relu, gradScale: 2 / Float(B * m.n),
                                  target: clean)
        gW.withUnsafeMutableBufferPointer { g in gb.withUnsafeMutableBufferPointer { gbb in gc.withUnsafeMutableBufferPointer { gcc in
            backwardPass(buf, W: W.baseAddress!, n: m.n, m: m.m, gradW: g.baseAddress!, gradB: gbb.baseAddress!, hiddenReLU: hr,
                         l1Gradient: l1 / Float(B * m.n), gradC: m.c == nil ? nil : gcc.baseAddress)
        } } }
    } } } }
    return (gW, gb, gc)
}

@Test(arguments: [(OutputActivation.relu, HiddenActivation.linear), (.linear, .linear), (.relu, .relu)], [(5, 2), (7, 3), (12, 5)])
func engineGradientsMatchThePlainReference(_ acts: (OutputActivation, HiddenActivation), _ shape: (Int, Int)) {
    let (n, k) = shape
    var rng = Xoshiro(seed: UInt64(n * 10 + k))
    var model = ToyModel.xavierNormal(n: n, m: k, activation: acts.0, hidden: acts.1, rng: &rng)
    model.b = (0..<n).map { _ in Float(rng.normal() * 0.1) }
    let imp = (0..<n).map { Float(pow(0.9, Double($0))) }
    let x = sparseBatch(batch: 32, density: Array(repeating: 0.5, count: n), seed: 3)
    let ref = reference(model, importance: imp, x: x)
    let eng = engineGradients(model, importance: imp, x: x)
    let scale = max(ref.gW.map(abs).max()!, 1e-6)
    // Float32 with a different summation order: agreement to 1e-4 of the largest gradient entry.
    for j in ref.gW.indices { #expect(abs(Double(eng.gW[j]) - ref.gW[j]) <= 1e-4 * scale, "gW[\(j)]") }
    for i in ref.gb.indices { #expect(abs(Double(eng.gb[i]) - ref.gb[i]) <= 1e-4 * scale, "gb[\(i)]") }
}

@Test func thePlainReferenceMatchesFiniteDifferences() {
    var rng = Xoshiro(seed: 77)
    var model = ToyModel.xavierNormal(n: 6, m: 2, activation: .relu, rng: &rng)
    model.b = (0..<6).map { _ in Float(rng.normal() * 0.1) }
    let imp: [Float] = [1, 0.9, 0.8, 0.7, 0.6, 0.5]
    let x = sparseBatch(batch: 16, density: Array(repeating: 0.6, count: 6), seed: 4)
    let ref = reference(model, importance: imp, x: x)
    let W = model.W.map(Double.init), b = model.b.map(Double.init)
    let h = 1e-6
    func loss(_ W: [Double], _ b: [Double]) -> Double { reference(n: 6, k: 2, relu: true, W: W, b: b, importance: imp, x: x).loss }
    for j in W.indices {
        var p = W, q = W
        p[j] += h; q[j] -= h
        let fd = (loss(p, b) - loss(q, b)) / (2 * h)
        // Central differences in Double with h = 1e-6: truncation ~1e-12, rounding ~1e-10.
        #expect(abs(fd - ref.gW[j]) <= 1e-6 * max(abs(ref.gW[j]), 1), "W[\(j)]: fd \(fd) vs \(ref.gW[j])")
    }
    for i in b.indices {
        var p = b, q = b
        p[i] += h; q[i] -= h
        #expect(abs((loss(W, p) - loss(W, q)) / (2 * h) - ref.gb[i]) <= 1e-6, "b[\(i)]")
    }
}

@Test(arguments: [HiddenActivation.linear, .relu])
func theL1PenaltyGradientMatchesThePlainReference(_ hidden: HiddenActivation) {
    var rng = Xoshiro(seed: 31)
    var model = ToyModel.xavierNormal(n: 8, m: 3, activation: .relu, hidden: hidden, rng: &rng)
    model.b = (0..<8).map { _ in Float(rng.normal() * 0.1) }
    let imp = (0..<8).map { Float(pow(0.9, Double($0))) }
    let x = sparseBatch(batch: 32, density: Array(repeating: 0.5, count: 8), seed: 6)
    let ref = reference(n: 8, k: 3, relu: true, W: model.W.map(Double.init), b: model.b.map(Double.init), importance: imp, x: x,
                        hiddenReLU: hidden == .relu, l1: 0.3)
    let plain = reference(model, importance: imp, x: x)
    let eng = engineGradients(model, importance: imp, x: x, l1: 0.3)
    let scale = max(ref.gW.map(abs).max()!, 1e-6)
    #expect(zip(ref.gW, plain.gW).contains { abs($0 - $1) > 1e-3 * scale }, "the penalty must change the gradient")
    for j in ref.gW.indices { #expect(abs(Double(eng.gW[j]) - ref.gW[j]) <= 1e-4 * scale, "gW[\(j)]") }
}

@Test(arguments: [HiddenActivation.linear, .relu])
func theHiddenBiasGradientMatchesThePlainReferenceAndFiniteDifferences(_ hidden: HiddenActivation) {
    var rng = Xoshiro(seed: 41)
    var model = ToyModel.xavierNormal(n: 7, m: 3, activation: .relu, hidden: hidden, rng: &rng)
    model.b = (0..<7).map { _ in Float(rng.normal() * 0.1) }
    model.c = (0..<3).map { _ in Float(rng.normal() * 0.2) }
    let imp = (0..<7).map { Float(pow(0.8, Double($0))) }
    let x = sparseBatch(batch: 32, density: Array(repeating: 0.5, count: 7), seed: 8)
    let W = model.W.map(Double.init), b = model.b.map(Double.init), c = model.c!.map(Double.init)
    func ref(_ c: [Double]) -> (loss: Double, gW: [Double], gb: [Double], gc: [Double]) {
        reference(n: 7, k: 3, relu: true, W: W, b: b, importance: imp, x: x, hiddenReLU: hidden == .relu, c: c)
    }
    let r = ref(c), eng = engineGradients(model, importance: imp, x: x)
    let scale = max(r.gW.map(abs).max()!, 1e-6)
    for j in r.gW.indices { #expect(abs(Double(eng.gW[j]) - r.gW[j]) <= 1e-4 * scale, "gW[\(j)]") }
    for k in r.gc.indices {
        #expect(abs(Double(eng.gc[k]) - r.gc[k]) <= 1e-4 * scale, "gc[\(k)]")
        var p = c, q = c
        p[k] += 1e-6; q[k] -= 1e-6
        let fd = (ref(p).loss - ref(q).loss) / 2e-6
        // As for W: Double central differences, truncation ~1e-12, rounding ~1e-10.
        #expect(abs(fd - r.gc[k]) <= 1e-6 * max(abs(r.gc[k]), 1), "c[\(k)]: fd \(fd) vs \(r.gc[k])")
    }
    #expect(r.gc.contains { abs($0) > 1e-4 }, "the hidden bias must get a gradient")
}

@Test func aPerturbedInputWithACleanTargetMatchesThePlainReference() {
    var rng = Xoshiro(seed: 43)
    var model = ToyModel.xavierNormal(n: 9, m: 3, activation: .relu, rng: &rng)
    model.b = (0..<9).map { _ in Float(rng.normal() * 0.1) }
    let imp = (0..<9).map { Float(pow(0.9, Double($0))) }
    let clean = sparseBatch(batch: 32, density: Array(repeating: 0.4, count: 9), seed: 9)
    let input = clean.map { $0 + Float(rng.normal() * 0.1) }
    let r = reference(n: 9, k: 3, relu: true, W: model.W.map(Double.init), b: model.b.map(Double.init), importance: imp,
                      x: input, target: clean)
    let same = reference(n: 9, k: 3, relu: true, W: model.W.map(Double.init), b: model.b.map(Double.init), importance: imp, x: input)
    let eng = engineGradients(model, importance: imp, x: input, target: clean)
    let scale = max(r.gW.map(abs).max()!, 1e-6)
    #expect(zip(r.gW, same.gW).contains { abs($0 - $1) > 1e-3 * scale }, "the clean target must change the gradient")
    for j in r.gW.indices { #expect(abs(Double(eng.gW[j]) - r.gW[j]) <= 1e-4 * scale, "gW[\(j)]") }
    for i in r.gb.indices { #expect(abs(Double(eng.gb[i]) - r.gb[i]) <= 1e-4 * scale, "gb[\(i)]") }
}

@Test func theAttackMovesEverySampleByTheStatedLengthAlongAWTWRow() {
    var rng = Xoshiro(seed: 47)
    let n = 6, m = 2, B = 64
    let model = ToyModel.xavierNormal(n: n, m: m, activation: .relu, rng: &rng)
    let x = FeatureMajorBatch(rows: n, batch: B), clean = FeatureMajorBatch(rows: n, batch: B)
    defer { x.deallocate(); clean.deallocate() }
    let values = sparseBatch(batch: B, density: Array(repeating: 0.5, count: n), seed: 10)
    for s in 0..<B { for i in 0..<n { x.row(i)[s / 8][s % 8] = values[s * n + i] } }
    var attackRng = Xoshiro(seed: 1)
    model.W.withUnsafeBufferPointer { applyAttack(x, clean: clean, W: $0.baseAddress!, n: n, m: m, strength: 0.5, rng: &attackRng) }
    var meanNorm = 0.0
    for s in 0..<B {
        var q = 0.0
        for i in 0..<n { q += Double(values[s * n + i]) * Double(values[s * n + i]) }
        meanNorm += q.squareRoot() / Double(B)
    }
    let gram: [Double] = model.gram
    for s in 0..<B {
        let delta = (0..<n).map { Double(x.value($0, s)) - Double(values[s * n + $0]) }
        #expect((0..<n).allSatisfy { clean.value($0, s) == values[s * n + $0] }, "the clean copy is the input")
        let len = delta.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(abs(len - 0.5 * meanNorm) <= 1e-5, "sample \(s): length \(len)")
        // Parallel to some row of WᵀW: |cos| = 1 for one i.
        var best = -1.0
        for i in 0..<n {
            var dot = 0.0, norm = 0.0
            for j in 0..<n { dot += gram[i * n + j] * delta[j]; norm += gram[i * n + j] * gram[i * n + j] }
            best = max(best, dot / max(1e-12, norm.squareRoot() * len))
        }
        #expect(best > 1 - 1e-5, "sample \(s): cos \(best)")
    }
}
