// The paper's measures of a trained toy model: feature norms ‖W_i‖, WᵀW, the superposition measure,
// feature dimensionality D_i, dimensions per feature, features represented, angles. Computed in Double.

import Foundation

extension ToyModel {
    /// Feature i's direction W_i (column i of W), m entries.
    public func feature(_ i: Int) -> [Double] { (0..<m).map { Double(w($0, i)) } }

    /// ‖W_i‖ for every feature (paper Q1: ~1 if fully represented, 0 if not).
    public var featureNorms: [Double] { (0..<n).map { i in norm(feature(i)) } }

    /// WᵀW, n×n row-major: entry (i, j) = W_i·W_j.
    public var gram: [Double] {
        let f = (0..<n).map(feature)
        var g = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let d = dot(f[i], f[j]); g[i * n + j] = d; g[j * n + i] = d } }
        return g
    }

    /// Σ_j (Ŵ_i·W_j)² for every feature i, over j ≠ i or over all j; Ŵ_i uses max(‖W_i‖, 1e-6).
    func squaredProjections(includingSelf: Bool) -> [Double] {
        let g = gram, norms = featureNorms
        return (0..<n).map { i in
            let ni = max(norms[i], 1e-6)
            var s = 0.0
            for j in 0..<n where includingSelf || j != i { let c = g[i * n + j] / ni; s += c * c }
            return s
        }
    }

    /// Superposition measure Σ_{j≠i} (Ŵ_i·W_j)² for every feature (paper Q2).
    public var superposition: [Double] { squaredProjections(includingSelf: false) }

    /// Feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)², the sum including j = i (paper Q3).
    public var dimensionality: [Double] {
        zip(featureNorms, squaredProjections(includingSelf: true)).map { norm, s in s > 0 ? norm * norm / s : 0 }
    }

    /// Dimensions per feature m / ‖W‖_F² (paper Q4).
    public var dimensionsPerFeature: Double {
        let f = W.reduce(0.0) { $0 + Double($1) * Double($1) }
        return Double(m) / f
    }

    /// The number of features with ‖W_i‖ > threshold (default 0.5, as the [K] reproduction).
    public func featuresRepresented(threshold: Double = 0.5) -> Int { featureNorms.filter { $0 > threshold }.count }

    /// The angle between W_i and W_j in degrees (0 if either is zero).
    public func angle(_ i: Int, _ j: Int) -> Double {
        let a = feature(i), c = feature(j)
        let d = norm(a) * norm(c)
        guard d > 0 else { return 0 }
        return acos(max(-1, min(1, dot(a, c) / d))) * 180 / Double.pi
    }

    /// The cosine between W_i and W_j (0 if either is zero).
    public func cosine(_ i: Int, _ j: Int) -> Double {
        let a = feature(i), c = feature(j)
        let d = norm(a) * norm(c)
        return d > 0 ? dot(a, c) / d : 0
    }

    /// For m = 2: the feature directions rotated so that the most important represented feature
    /// (the first with ‖W_i‖ > 0.5, else feature 0) points straight up. Rotation only, no flip.
    public func canonicalPlanar() -> [(x: Double, y: Double)] {
        precondition(m == 2, "canonicalPlanar needs m = 2")
        let norms = featureNorms
        let anchor = norms.firstIndex { $0 > 0.5 } ?? 0
        let a = feature(anchor)
        let theta = Double.pi / 2 - atan2(a[1], a[0])
        let c = cos(theta), s = sin(theta)
        return (0..<n).map { i in
            let v = feature(i)
            return (x: c * v[0] - s * v[1], y: s * v[0] + c * v[1])
        }
    }
}

@inline(__always) func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}

@inline(__always) func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
