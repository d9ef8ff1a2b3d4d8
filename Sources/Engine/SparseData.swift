// The paper's synthetic data: x_i = 0 with probability S_i, else U[0,1], independently per feature,
// fresh for every batch. One 64-bit draw per entry: the top 24 bits decide presence, the next 24 the value.

/// Fills `x` (batch × n, row-major) with a fresh batch of sparse features.
@inline(__always)
func sampleSparseBatch(_ x: UnsafeMutablePointer<Float>, batch: Int, density: UnsafePointer<Float>, n: Int,
                       rng: inout Xoshiro) {
    for s in 0..<batch {
        let row = x + s * n
        for i in 0..<n {
            let r = rng.next()
            let present = Float(r >> 40) * 0x1p-24 < density[i]
            row[i] = present ? Float((r >> 16) & 0xFF_FFFF) * 0x1p-24 : 0
        }
    }
}

/// A batch of sparse features as an array (batch × n, row-major), for evaluation and tests.
public func sparseBatch(batch: Int, density: [Float], rng: inout Xoshiro) -> [Float] {
    let n = density.count
    var x = [Float](repeating: 0, count: batch * n)
    x.withUnsafeMutableBufferPointer { xp in
        density.withUnsafeBufferPointer { dp in
            sampleSparseBatch(xp.baseAddress!, batch: batch, density: dp.baseAddress!, n: n, rng: &rng)
        }
    }
    return x
}
