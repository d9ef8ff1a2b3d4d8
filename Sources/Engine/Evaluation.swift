// Loss of a trained model on a fixed, seeded evaluation batch, and best-of-k selection among restarts.

/// A Monte Carlo estimate of the expected loss with its standard error.
public struct LossEstimate: Codable, Sendable, Equatable {
    /// Mean over samples of Σ_i I_i (x_i − x̂_i)² (the paper's convention).
    public var mean: Double
    /// Standard error of that mean over the samples.
    public var standardError: Double
    public var samples: Int

    public init(mean: Double, standardError: Double, samples: Int) {
        self.mean = mean; self.standardError = standardError; self.samples = samples
    }
}

public enum Evaluation {
    /// The loss of `model` on `samples` inputs drawn from `density` with `Xoshiro(seed)`.
    public static func loss(_ model: ToyModel, importance: [Float], density: [Float],
                            samples: Int, seed: UInt64) -> LossEstimate {
        var rng = Xoshiro(seed: seed)
        let n = model.n, m = model.m, relu = model.activation == .relu
        let chunk = 4096
        var sum = 0.0, sumSq = 0.0, done = 0
        var h = [Float](repeating: 0, count: m)
        while done < samples {
            let b = min(chunk, samples - done)
            let x = sparseBatch(batch: b, density: density, rng: &rng)
            x.withUnsafeBufferPointer { xp in
                model.W.withUnsafeBufferPointer { W in
                    h.withUnsafeMutableBufferPointer { h in
                        for s in 0..<b {
                            let xs = xp.baseAddress! + s * n
                            for k in 0..<m {
                                var acc: Float = 0
                                for i in 0..<n { acc += W[k * n + i] * xs[i] }
                                h[k] = acc
                            }
                            var l = 0.0
                            for i in 0..<n {
                                var z = model.b[i]
                                for k in 0..<m { z += W[k * n + i] * h[k] }
                                let y = relu ? max(z, 0) : z
                                let d = Double(y - xs[i])
                                l += Double(importance[i]) * d * d
                            }
                            sum += l; sumSq += l * l
                        }
                    }
                }
            }
            done += b
        }
        let mean = sum / Double(samples)
        let variance = max(0, sumSq / Double(samples) - mean * mean)
        return LossEstimate(mean: mean, standardError: (variance / Double(max(1, samples - 1))).squareRoot(),
                            samples: samples)
    }

    /// The index of the lowest-loss model among restarts evaluated on one shared batch (ties: first).
    public static func best(_ losses: [LossEstimate]) -> Int {
        var best = 0
        for (i, l) in losses.enumerated() where l.mean < losses[best].mean { best = i }
        return best
    }
}
