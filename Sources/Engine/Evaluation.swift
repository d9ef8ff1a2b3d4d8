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
    /// The loss of `model` on `samples` inputs (rounded up to a multiple of 8) drawn from `density` with the
    /// training data's generator seeded with `seed`. Uses the training kernels; sums per sample in Double.
    public static func loss(_ model: ToyModel, importance: [Float], density: [Float],
                            samples: Int, seed: UInt64, sets: [FeatureSet]? = nil) -> LossEstimate {
        let n = model.n, m = model.m, relu = model.activation == .relu
        let total = (max(samples, 1) + 7) / 8 * 8
        var rng = Xoshiro8(seed: seed)
        let thresholds = samplingThresholds(density: density, sets: sets)
        var choiceRng = Xoshiro8(seed: deriveSeed(seed, 2))
        var sum = 0.0, sumSq = 0.0, done = 0
        var buffers: [Int: StepBuffers] = [:]
        model.W.withUnsafeBufferPointer { W in
            model.b.withUnsafeBufferPointer { bias in
                thresholds.withUnsafeBufferPointer { thr in
                    while done < total {
                        let b = min(4096, total - done)
                        let buf = buffers[b] ?? StepBuffers(n: n, m: m, batch: b)
                        buffers[b] = buf
                        sampleSparseBatch(buf.x, thresholds: thr.baseAddress!, rng: &rng)
                        if let sets, !sets.isEmpty { applyFeatureSets(buf.x, sets, choice: &choiceRng) }
                        (model.c ?? []).withUnsafeBufferPointer { c in
                            forwardPass(buf, W: W.baseAddress!, bias: bias.baseAddress!, n: n, m: m, hiddenReLU: model.hidden == .relu,
                                        hiddenBias: model.c == nil ? nil : c.baseAddress)
                        }
                        for j in 0..<buf.x.vectors {
                            var l = SIMD8<Float>.zero
                            for i in 0..<n {
                                let z = buf.z.row(i)[j]
                                let y = relu ? z.replacing(with: 0, where: z .< 0) : z
                                let d = y - buf.x.row(i)[j]
                                l = l.addingProduct(d * d, importance[i])
                            }
                            for lane in 0..<8 { let v = Double(l[lane]); sum += v; sumSq += v * v }
                        }
                        done += b
                    }
                }
            }
        }
        let mean = sum / Double(total)
        let variance = max(0, sumSq / Double(total) - mean * mean)
        return LossEstimate(mean: mean, standardError: (variance / Double(max(1, total - 1))).squareRoot(),
                            samples: total)
    }

    /// The index of the lowest-loss model among restarts evaluated on one shared batch (ties: first).
    public static func best(_ losses: [LossEstimate]) -> Int {
        var best = 0
        for (i, l) in losses.enumerated() where l.mean < losses[best].mean { best = i }
        return best
    }
}

extension Evaluation {
    /// Every trained model's loss on its own importance and density: `samples` inputs drawn with `seed(i)` for
    /// model i (restarts that share a seed share their evaluation batch), on `threads` threads.
    public static func losses(_ trained: [TrainedModel], samples: Int, threads: Int, seed: (Int) -> UInt64) -> [LossEstimate] {
        let seeds = trained.indices.map(seed)
        let out = Slots<LossEstimate>(count: trained.count)
        parallelFor(trained.count, threads: threads) { i in
            out[i] = loss(trained[i].model, importance: trained[i].spec.importance, density: trained[i].spec.density,
                          samples: samples, seed: seeds[i], sets: trained[i].spec.sets)
        }
        return out.values.map { $0! }
    }
}
