// The paper's synthetic data: x_i = 0 with probability S_i, else U[0,1] (U[−1,1] for §9's signed features),
// independently per feature and sample, fresh for every batch. Batches are feature-major (row i holds feature i
// for every sample), eight samples per SIMD vector. Each sample-feature entry takes one 64-bit draw: its top 24
// bits decide presence (present iff below round(density · 2²⁴)), the next 24 bits give the value k · 2⁻²⁴.

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

/// Float(bits) for bits < 2²⁴, exactly, in a few vector instructions: each 12-bit half h becomes the float
/// 2²³ + h by setting the exponent bits (exact: h < 2²³), minus 2²³; then hi·4096 + lo, exact because the result
/// has at most 24 significant bits. (The standard library's SIMD8<Float>(SIMD8<Int32>) stays a call inside the
/// training loop; the exponent is added with &+, not |, as the bits are disjoint and | invites LLVM to scalarise.)
@inline(__always)
func exactFloat24(_ bits: SIMD8<UInt32>) -> SIMD8<Float> {
    let magic = SIMD8<UInt32>(repeating: 0x4B00_0000), bias = SIMD8<Float>(repeating: 8_388_608)
    let hi = unsafeBitCast(magic &+ (bits &>> 12), to: SIMD8<Float>.self) - bias
    let lo = unsafeBitCast(magic &+ (bits & 0xFFF), to: SIMD8<Float>.self) - bias
    return hi * 4096 + lo
}

/// Fills `x` with a fresh batch: for each feature, for each group of eight samples, one draw of the 8 streams.
@inline(__always)
func sampleSparseBatch(_ x: FeatureMajorBatch, thresholds: UnsafePointer<UInt32>, rng: inout Xoshiro8,
                       signed: Bool = false) {
    // v = k·2⁻²⁴ (unsigned) or k·2⁻²³ − 1 (signed, = 2u − 1): the products are exact, so this is the same value
    // as computing 2u − 1 step by step; one multiply and one add chosen outside the loop, since a select between
    // the two inside it makes LLVM scalarise half the lanes.
    let mul = SIMD8<Float>(repeating: signed ? 0x1p-23 : 0x1p-24), add = SIMD8<Float>(repeating: signed ? -1 : 0)
    for i in 0..<x.rows {
        let row = x.row(i)
        let t = SIMD8<UInt32>(repeating: thresholds[i])
        for j in 0..<x.vectors {
            // The 32-bit halves of each 64-bit draw: presence = bits 40…63, value = bits 16…39.
            let halves = unsafeBitCast(rng.next(), to: SIMD16<UInt32>.self)
            let lo = halves.evenHalf, hi = halves.oddHalf
            let presence = hi &>> 8
            // (+ of disjoint bits, not |: with | LLVM sees a funnel shift and scalarises it.)
            let bits = (lo &>> 16) &+ ((hi & 0xFF) &<< 16)
            // Signed features (paper §9): U[−1, 1] as 2u − 1, exact in Float for u = k·2⁻²⁴.
            let v = exactFloat24(bits) * mul + add
            row[j] = v.replacing(with: 0, where: presence .>= t)
        }
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
