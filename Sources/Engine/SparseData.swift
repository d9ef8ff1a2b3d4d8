// The paper's synthetic data: x_i = 0 with probability S_i, else U[0,1] (U[−1,1] for §9's signed features),
// independently per feature and sample, fresh for every batch. Batches are feature-major (row i holds feature i
// for every sample), eight samples per SIMD vector. Each sample-feature entry takes one 64-bit draw: its top 24
// bits decide presence (present iff below round(density · 2²⁴)), the next 24 bits give the value k · 2⁻²⁴.

import CVector

/// A batch buffer: n rows of `batch` samples, rows `stride` vectors apart. Every row starts on a 64-byte boundary
/// (so it can be read as SIMD16 vectors too), and the stride is an odd number of 64-byte lines (against cache aliasing).
public struct FeatureMajorBatch {
    public let rows: Int
    public let batch: Int
    /// SIMD8 vectors per row of samples.
    public let vectors: Int
    /// SIMD8 vectors between the starts of two rows.
    public let stride: Int
    public let base: UnsafeMutablePointer<SIMD8<Float>>

    public init(rows: Int, batch: Int) {
        precondition(batch % 8 == 0, "the batch must be a multiple of 8")
        self.rows = rows; self.batch = batch
        vectors = batch / 8
        let lines = (vectors + 1) / 2
        stride = 2 * (lines % 2 == 1 ? lines : lines + 1)
        let count = max(1, rows * stride)
        base = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<SIMD8<Float>>.stride, alignment: 64)
            .bindMemory(to: SIMD8<Float>.self, capacity: count)
        base.initialize(repeating: .zero, count: count)
    }

    public func deallocate() { base.deallocate() }
    @inline(__always) public func row(_ r: Int) -> UnsafeMutablePointer<SIMD8<Float>> { base + r * stride }

    /// Row r as vectors of V (SIMD8 or SIMD16 of Float): batch / V.scalarCount of them, 64-byte aligned.
    @inline(__always) func row<V: SIMD>(_ r: Int, as _: V.Type) -> UnsafeMutablePointer<V> where V.Scalar == Float {
        UnsafeMutableRawPointer(base + r * stride).assumingMemoryBound(to: V.self)
    }

    /// Sample s of row r.
    public func value(_ r: Int, _ s: Int) -> Float { row(r)[s / 8][s % 8] }
}

/// The presence threshold of a density on the 24-bit scale.
@inline(__always)
func presenceThreshold(_ density: Float) -> UInt32 { UInt32((Double(density) * 16_777_216).rounded()) }

/// Fills `x` with a fresh batch: for each feature, for each group of eight samples, one draw of the 8 streams.
@inline(__always)
func sampleSparseBatch(_ x: FeatureMajorBatch, thresholds: UnsafePointer<UInt32>, rng: inout Xoshiro8,
                       signed: Bool = false) {
    // v = k·2⁻²⁴ (unsigned) or k·2⁻²³ − 1 (signed, = 2u − 1): the products are exact, so this is the same value
    // as computing 2u − 1 step by step.
    let mul: Float = signed ? 0x1p-23 : 0x1p-24, add: Float = signed ? -1 : 0
    for i in 0..<x.rows {
        let row = x.row(i)
        let t = thresholds[i]
        for j in 0..<x.vectors { row[j] = vector_sparse_entries8(rng.next(), t, mul, add) }
    }
}

/// A batch of sparse features as a sample-major array (batch × n), for tests and small evaluations.
/// With `sets`, correlated and anticorrelated sets are applied as in training.
public func sparseBatch(batch: Int, density: [Float], seed: UInt64, sets: [FeatureSet]? = nil) -> [Float] {
    let n = density.count
    let padded = (batch + 7) / 8 * 8
    let x = FeatureMajorBatch(rows: n, batch: padded)
    defer { x.deallocate() }
    var rng = Xoshiro8(seed: seed), choice = Xoshiro8(seed: deriveSeed(seed, 2))
    let t = samplingThresholds(density: density, sets: sets)
    t.withUnsafeBufferPointer { sampleSparseBatch(x, thresholds: $0.baseAddress!, rng: &rng) }
    if let sets, !sets.isEmpty { applyFeatureSets(x, sets, choice: &choice) }
    var out = [Float](repeating: 0, count: batch * n)
    for s in 0..<batch { for i in 0..<n { out[s * n + i] = x.value(i, s) } }
    return out
}
