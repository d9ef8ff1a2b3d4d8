// The engine's gradients against a plain, obviously correct Double implementation of the same objective, and that
// implementation against central finite differences (small shapes, ReLU and linear models).
import Foundation
import Testing
@testable import Engine

/// The notebook objective, mean over batch and features of I (x̂ − x)², in Double, with its gradient.
private func reference(_ m: ToyModel, importance: [Float], x: [Float]) -> (loss: Double, gW: [Double], gb: [Double]) {
    reference(n: m.n, k: m.m, relu: m.activation == .relu, W: m.W.map(Double.init), b: m.b.map(Double.init), importance: importance,
              x: x, hiddenReLU: m.hidden == .relu)
}

private func reference(n: Int, k: Int, relu: Bool, W: [Double], b: [Double], importance: [Float], x: [Float],
                       hiddenReLU: Bool = false, l1: Double = 0) -> (loss: Double, gW: [Double], gb: [Double]) {
    let B = x.count / n
    func w(_ r: Int, _ i: Int) -> Double { W[r * n + i] }
    var loss = 0.0
    var gW = [Double](repeating: 0, count: k * n), gb = [Double](repeating: 0, count: n)
    for s in 0..<B {
        let xs = (0..<n).map { Double(x[s * n + $0]) }
        let pre = (0..<k).map { r in (0..<n).reduce(0.0) { $0 + w(r, $1) * xs[$1] } }
        let h = pre.map { hiddenReLU ? max($0, 0) : $0 }
        // λ Σ_r |h_r| / (B n), the L1 penalty, and its gradient through h.
        for r in 0..<k where h[r] != 0 {
            loss += l1 * abs(h[r]) / Double(B * n)
            if hiddenReLU && pre[r] <= 0 { continue }
            let g = l1 * (h[r] > 0 ? 1 : -1) / Double(B * n)
            for j in 0..<n { gW[r * n + j] += g * xs[j] }
        }
        for i in 0..<n {
            let z = b[i] + (0..<k).reduce(0.0) { $0 + w($1, i) * h[$1] }
            let active = !relu || z > 0
            let y = active ? z : 0
            let d = y - xs[i]
            loss += Double(importance[i]) * d * d / Double(B * n)
            guard active else { continue }
            let dz = 2 * Double(importance[i]) * d / Double(B * n)
            gb[i] += dz
            for r in 0..<k {
                // z_i = Σ_r W_ri h_r with h_r = Σ_j W_rj x_j: both uses of W.
                gW[r * n + i] += dz * h[r]
                if hiddenReLU && pre[r] <= 0 { continue }
                for j in 0..<n { gW[r * n + j] += dz * w(r, i) * xs[j] }
            }
        }
    }
    return (loss, gW, gb)
}

private func engineGradients(_ m: ToyModel, importance: [Float], x: [Float], l1: Float = 0) -> (gW: [Float], gb: [Float]) {
    let B = x.count / m.n
    let buf = StepBuffers(n: m.n, m: m.m, batch: B)
    for s in 0..<B { for i in 0..<m.n { buf.x.row(i)[s / 8][s % 8] = x[s * m.n + i] } }
    var gW = [Float](repeating: 0, count: m.m * m.n), gb = [Float](repeating: 0, count: m.n)
    let hr = m.hidden == .relu
    m.W.withUnsafeBufferPointer { W in m.b.withUnsafeBufferPointer { b in importance.withUnsafeBufferPointer { imp in
        forwardPass(buf, W: W.baseAddress!, bias: b.baseAddress!, n: m.n, m: m.m, hiddenReLU: hr)
        _ = lossAndOutputGradient(buf, importance: imp.baseAddress!, n: m.n, relu: m.activation == .relu, gradScale: 2 / Float(B * m.n))
        gW.withUnsafeMutableBufferPointer { g in gb.withUnsafeMutableBufferPointer { gbb in
            backwardPass(buf, W: W.baseAddress!, n: m.n, m: m.m, gradW: g.baseAddress!, gradB: gbb.baseAddress!, hiddenReLU: hr,
                         l1Gradient: l1 / Float(B * m.n))
        } }
    } } }
    return (gW, gb)
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
