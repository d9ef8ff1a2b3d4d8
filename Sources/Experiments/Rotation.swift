// A toy model with its hidden space rotated by a random orthogonal matrix: W → OW. Used where the paper says a
// non-privileged basis does not matter (§2's C2.4, §5's basis independence of D*, C5.6).

import Engine

/// `model` with W replaced by OW, O an m × m orthogonal matrix from Gram–Schmidt on Gaussian rows drawn from `seed`.
func rotatedByRandomOrthogonal(_ model: ToyModel, seed: UInt64) -> ToyModel {
    let n = model.n, m = model.m
    var rng = Xoshiro(seed: seed)
    var o = [[Double]]()
    while o.count < m {
        var v = (0..<m).map { _ in rng.normal() }
        for u in o { let d = zip(u, v).map(*).reduce(0, +); v = zip(v, u).map { $0 - d * $1 } }
        let len = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        o.append(v.map { $0 / len })
    }
    var rotated = model
    for r in 0..<m { for i in 0..<n { rotated.W[r * n + i] = Float((0..<m).map { o[r][$0] * Double(model.W[$0 * n + i]) }.reduce(0, +)) } }
    return rotated
}
