// The geometry of many feature directions in few dimensions (beyond the paper): pairwise interference statistics
// (cosine histograms, per-vector maxima, mean cos², the paper's feature dimensionality), the frame operator's
// eigenvalues, unit-norm tight frames, and the exact law of the cosine between independent random unit vectors.

import COpenBLAS
import Foundation

/// Interference statistics of the rows of W (n×m) among the represented features.
public struct InterferenceStats: Codable, Sendable {
    /// Number of represented features (the rows the statistics use).
    public var represented: Int
    /// Histogram of cos(W_i, W_j) over pairs i < j, `bins` equal bins on [−1, 1].
    public var histogram: [Int]
    /// Mean of cos² over pairs i ≠ j.
    public var meanCos2: Double
    /// Largest |cos| over all pairs.
    public var maxAbsCos: Double
    /// Median over features of each feature's largest |cos| with another.
    public var medianVectorMax: Double
    /// Quantiles of |cos| over pairs at 0.5, 0.9, 0.99, 0.999 (from a 4000-bin histogram of |cos|).
    public var absQuantiles: [Double]
    /// The paper's D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² for every feature (0 for a zero row).
    public var dimensionality: [Double]

    public init(represented: Int, histogram: [Int], meanCos2: Double, maxAbsCos: Double, medianVectorMax: Double,
                absQuantiles: [Double], dimensionality: [Double]) {
        self.represented = represented; self.histogram = histogram; self.meanCos2 = meanCos2; self.maxAbsCos = maxAbsCos
        self.medianVectorMax = medianVectorMax; self.absQuantiles = absQuantiles; self.dimensionality = dimensionality
    }
}

public enum FrameGeometry {
    /// Interference statistics of W's rows; pairs are counted among rows with `represented[i]`; D_i uses all rows.
    public static func interference(_ w: [Float], n: Int, m: Int, represented: [Bool], bins: Int = 200,
                                    threads: Int) -> InterferenceStats {
        precondition(m % 8 == 0 && w.count == n * m)
        let norms = (0..<n).map { i -> Float in
            var s: Float = 0
            for k in 0..<m { s += w[i * m + k] * w[i * m + k] }
            return s.squareRoot()
        }
        let fine = 4000
        struct Row { var hist: [Int32]; var fine: [Int32]; var sumCos2: Double; var maxAbs: Float; var sumProj2: Double }
        let slots = Slots<Row>(count: n)
        let rowsPer = 32
        w.withUnsafeBufferPointer { wp in
            let wb = ReadBox(wp)
            parallelFor((n + rowsPer - 1) / rowsPer, threads: threads) { blk in
                for i in (blk * rowsPer)..<min(n, (blk + 1) * rowsPer) {
                    var row = Row(hist: .init(repeating: 0, count: bins), fine: .init(repeating: 0, count: fine),
                                  sumCos2: 0, maxAbs: 0, sumProj2: 0)
                    let ni = norms[i]
                    if ni > 0 {
                        let base = wb.p
                        for j in 0..<n where j != i && norms[j] > 0 {
                            var acc = SIMD8<Float>.zero
                            var k = 0
                            while k < m {
                                let a = UnsafeRawPointer(base + i * m + k).loadUnaligned(as: SIMD8<Float>.self)
                                let b = UnsafeRawPointer(base + j * m + k).loadUnaligned(as: SIMD8<Float>.self)
                                acc = acc.addingProduct(a, b)
                                k += 8
                            }
                            let g = laneSum(acc)   // the engine's fixed pairwise order (Kernels.swift), not `sum()`, which promises none
                            row.sumProj2 += Double(g * g) / Double(ni * ni)
                            guard represented[i] && represented[j] else { continue }
                            let c = g / (ni * norms[j])
                            row.sumCos2 += Double(c * c)
                            row.maxAbs = max(row.maxAbs, abs(c))
                            if j > i { row.hist[min(bins - 1, max(0, Int((c + 1) / 2 * Float(bins))))] += 1 }
                            row.fine[min(fine - 1, Int(abs(c) * Float(fine)))] += 1
                        }
                    }
                    slots[i] = row
                }
            }
        }
        var hist = [Int](repeating: 0, count: bins), fineHist = [Int](repeating: 0, count: fine)
        var sum2 = 0.0, maxAbs = 0.0, vectorMax: [Double] = [], dims = [Double](repeating: 0, count: n)
        let rep = represented.filter { $0 }.count
        for i in 0..<n {
            let r = slots[i]!
            if norms[i] > 0 { dims[i] = Double(norms[i] * norms[i]) / (Double(norms[i] * norms[i]) + r.sumProj2) }
            guard represented[i] else { continue }
            for k in 0..<bins { hist[k] += Int(r.hist[k]) }
            for k in 0..<fine { fineHist[k] += Int(r.fine[k]) }
            sum2 += r.sumCos2
            maxAbs = max(maxAbs, Double(r.maxAbs))
            vectorMax.append(Double(r.maxAbs))
        }
        let pairs = Double(rep) * Double(rep - 1)
        let total = fineHist.reduce(0, +)
        let quantiles = [0.5, 0.9, 0.99, 0.999].map { q -> Double in
            var seen = 0
            for k in 0..<fine {
                seen += fineHist[k]
                if Double(seen) >= q * Double(total) { return (Double(k) + 1) / Double(fine) }
            }
            return 1
        }
        return InterferenceStats(represented: rep, histogram: hist, meanCos2: pairs > 0 ? sum2 / pairs : 0,
                                 maxAbsCos: maxAbs, medianVectorMax: median(vectorMax),
                                 absQuantiles: quantiles, dimensionality: dims)
    }

    /// The eigenvalues (ascending) of a symmetric k×k matrix (row-major, Double), by LAPACK's dsyev on one thread.
    public static func symmetricEigenvalues(_ a: [Double], k: Int) -> [Double] { dsyev(a, k: k, vectors: false).values }

    /// The frame operator Σ_i û_i û_iᵀ (m×m, Double) of the unit rows of the selected features.
    public static func frameOperator(_ w: [Float], n: Int, m: Int, rows: [Int]) -> [Double] {
        var s = [Double](repeating: 0, count: m * m)
        for i in rows {
            var u = (0..<m).map { Double(w[i * m + $0]) }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            u = u.map { $0 / norm }
            for a in 0..<m { for b in 0..<m { s[a * m + b] += u[a] * u[b] } }
        }
        return s
    }

    /// A unit-norm tight frame near V (n×m rows): alternately V ← √(n/m)·V·(VᵀV)^(−1/2) and normalise the rows.
    public static func unitTightFrame(_ v: [Float], n: Int, m: Int, iterations: Int = 12) -> [Float] {
        var x = v.map(Double.init)
        for _ in 0..<iterations {
            var s = [Double](repeating: 0, count: m * m)
            for i in 0..<n { for a in 0..<m { let xa = x[i * m + a]; for b in 0..<m { s[a * m + b] += xa * x[i * m + b] } } }
            let (vals, vecs) = symmetricEigen(s, k: m)
            // T = √(n/m) · Q diag(λ^(−1/2)) Qᵀ
            var t = [Double](repeating: 0, count: m * m)
            let c = (Double(n) / Double(m)).squareRoot()
            for a in 0..<m { for b in 0..<m {
                var acc = 0.0
                for e in 0..<m { acc += vecs[e * m + a] * vecs[e * m + b] / vals[e].squareRoot() }
                t[a * m + b] = c * acc
            } }
            for i in 0..<n {
                var row = [Double](repeating: 0, count: m)
                for a in 0..<m { let xa = x[i * m + a]; for b in 0..<m { row[b] += xa * t[a * m + b] } }
                let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for b in 0..<m { x[i * m + b] = row[b] / norm }
            }
        }
        return x.map(Float.init)
    }

    /// Eigenvalues and eigenvectors (row e of the second array is eigenvector e) of a symmetric matrix, by dsyev.
    static func symmetricEigen(_ a: [Double], k: Int) -> ([Double], [Double]) {
        let r = dsyev(a, k: k, vectors: true)
        return (r.values, r.vectors)
    }

    /// LAPACK's dsyev on one OpenBLAS thread (so that the result never depends on the thread count). dsyev returns
    /// eigenvectors as the columns of a column-major matrix, which read row-major are its rows.
    static func dsyev(_ a: [Double], k: Int, vectors: Bool) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == k * k)
        openblas_set_num_threads(1)
        var a = a, w = [Double](repeating: 0, count: k), info: Int32 = 0
        var n = Int32(k), lda = Int32(k), lwork = Int32(-1), query = 0.0
        let job = vectors ? "V" : "N"
        dsyev_(job, "U", &n, &a, &lda, &w, &query, &lwork, &info, 1, 1)
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(job, "U", &n, &a, &lda, &w, &work, &lwork, &info, 1, 1)
        precondition(info == 0, "dsyev failed: info \(info)")
        return (w, a)
    }

    /// Participation ratio (Σ_j w_j²)² / Σ_j w_j⁴ of each row (0 for a zero row).
    public static func participationRatios(_ w: [Float], n: Int, m: Int) -> [Double] {
        (0..<n).map { i in
            var s2 = 0.0, s4 = 0.0
            for k in 0..<m { let v = Double(w[i * m + k]); s2 += v * v; s4 += v * v * v * v }
            return s4 > 0 ? s2 * s2 / s4 : 0
        }
    }
}

/// The exact law of c = cos(u, v) for independent uniform unit vectors in m dimensions: (1+c)/2 ~ Beta((m−1)/2, (m−1)/2).
public struct RandomCosineLaw: Sendable {
    public let m: Int
    let logNorm: Double
    public init(m: Int) {
        self.m = m
        logNorm = lgamma(Double(m) / 2) - 0.5 * log(Double.pi) - lgamma(Double(m - 1) / 2)
    }

    /// The density of c at x ∈ (−1, 1).
    public func density(_ x: Double) -> Double {
        guard abs(x) < 1 else { return 0 }
        return exp(logNorm + Double(m - 3) / 2 * log1p(-x * x))
    }

    /// P(|c| > t), by Simpson's rule on [t, 1] (4096 intervals).
    public func tail(_ t: Double) -> Double {
        guard t < 1 else { return 0 }
        let k = 4096, h = (1 - t) / Double(k)
        var s = density(t) + density(1)
        for i in 1..<k { s += density(t + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return min(1, 2 * s * h / 3)
    }

    /// The median of the largest |c| among `count` independent cosines: P(|c| > t) = 1 − 2^(−1/count), by bisection.
    public func medianMaximum(of count: Double) -> Double {
        let target = -expm1(-log(2) / count)
        var lo = 0.0, hi = 1.0
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if tail(mid) > target { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// The q-quantile of |c|.
    public func absQuantile(_ q: Double) -> Double {
        var lo = 0.0, hi = 1.0
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if tail(mid) > 1 - q { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// The Welch bounds for n unit vectors in m dimensions: on the mean of cos² over pairs and on the largest |cos|.
public func welchBounds(n: Int, m: Int) -> (meanCos2: Double, maxAbsCos: Double) {
    let v = Double(n - m) / (Double(m) * Double(n - 1))
    return (v, v.squareRoot())
}

/// The median of an array (0 when empty).
public func median(_ v: [Double]) -> Double {
    guard !v.isEmpty else { return 0 }
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
