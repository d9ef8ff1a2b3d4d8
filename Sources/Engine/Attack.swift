// The paper's analytic attack (§7) as a training-time perturbation: for feature i the direction is row i of WᵀW,
// normalised; adversarial training adds it, scaled to a fraction of the batch's mean input norm, to each input
// for one random feature, and keeps the clean input as the target. Used by Trainer when a spec sets `attack`.

/// The attack's unit directions, n×n row-major: row i is (WᵀW)_i / ‖(WᵀW)_i‖, or zeros when W does not
/// represent feature i at all. W is m×n row-major. Sums in a fixed order (k, then j).
public func attackDirections(W: UnsafePointer<Float>, n: Int, m: Int) -> [Float] {
    var d = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
        var norm2: Float = 0
        for j in 0..<n {
            var g: Float = 0
            for k in 0..<m { g += W[k * n + i] * W[k * n + j] }
            d[i * n + j] = g
            norm2 += g * g
        }
        let inv: Float = norm2 > 0 ? 1 / norm2.squareRoot() : 0
        for j in 0..<n { d[i * n + j] *= inv }
    }
    return d
}

/// Copies the clean batch `x` into `clean`, then perturbs each sample of `x` along the attack direction of one
/// feature drawn uniformly from `rng`, with length `strength` × the batch's mean input L2 norm.
func applyAttack(_ x: FeatureMajorBatch, clean: FeatureMajorBatch, W: UnsafePointer<Float>, n: Int, m: Int,
                 strength: Float, rng: inout Xoshiro) {
    for r in 0..<n { clean.row(r).update(from: x.row(r), count: x.vectors) }
    let directions = attackDirections(W: W, n: n, m: m)
    var norms = 0.0
    for s in 0..<x.batch {
        var q: Float = 0
        for r in 0..<n { let v = x.value(r, s); q += v * v }
        norms += Double(q.squareRoot())
    }
    let length = strength * Float(norms / Double(x.batch))
    for s in 0..<x.batch {
        let i = Int(rng.next() % UInt64(n))
        for r in 0..<n {
            let p = UnsafeMutableRawPointer(x.row(r)).assumingMemoryBound(to: Float.self)
            p[s] += length * directions[i * n + r]
        }
    }
}
