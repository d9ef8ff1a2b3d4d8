// Beyond the paper, E3: a preferred basis by an L1 penalty on W. E1's model at n = 1024, m = 64 trained with
// λ·mean_i ‖W_i‖₁ over a log sweep of λ from 0. Do the feature vectors become sparse (participation ratio, support,
// kurtosis), at what cost in loss, and do they still interfere as little as random sparse codes with the same number
// of non-zeros? Run alone: `paper run sparsebasis`.

import Engine
import Foundation
import Plot
import Report

public struct SparseBasisConfig: Codable, Sendable {
    /// Features n and hidden dimensions m (E1's n = 1024, m = 64); m must be a multiple of 8 below n.
    public var n = 1024, m = 64
    /// E1's data: two active features per sample, values U[0, 1).
    public var activePerSample: Float = 2
    /// λ of λ·mean_i ‖W_i‖₁; a Gaussian row of norm 1 has ‖W_i‖₁ ≈ √(2m/π) ≈ 6.4 at m = 64, so λ = 0.1 weighs about
    /// as much as the whole reconstruction loss of the zero model (2/3).
    public var lambdas: [Float] = [0, 0.001, 0.003, 0.01, 0.03, 0.1]
    /// E1's optimiser as it was set for n = 1024 (Adam lr 3e-3, 150 warm-up steps then cosine, batch 512) at 3000 steps.
    public var recipe = LargeRecipe(steps: 3000, batch: 512, lr: 3e-3, warmup: 150, logEvery: 100)
    /// ‖W_i‖ above this counts as represented; the sparsity statistics are taken over represented rows.
    public var representedNorm: Float = 0.5
    /// An entry counts in the support when |w_ij| ≥ this fraction of its row's largest |w|.
    public var supportFraction: Float = 0.01
    /// Samples for each model's evaluated loss (one shared batch).
    public var evalSamples = 16_384
    /// Root seed; every λ's model is trained from it (the same start), and the other seeds derive from it.
    public var seed: UInt64 = 20_03
    public init() {}
}

/// The random reference: n random s-sparse sign codes (±1/√s on s random coordinates).
public struct SparseCodes: Codable, Sendable {
    public var s: Int
    public var stats: InterferenceStats
    /// Fraction of exactly orthogonal pairs, and e^{−s²/m}.
    public var orthogonalFraction: Double, predictedOrthogonal: Double
}

public struct SparseBasisPoint: Codable, Sendable {
    public var lambda: Float
    /// Reconstruction loss per sample (without the penalty).
    public var loss: Double, lossStderr: Double
    public var represented: Int
    /// Medians over represented features.
    public var participation: Double, support: Double
    /// Pooled kurtosis E[w⁴]/E[w²]² of the represented rows' entries (3 for Gaussian entries).
    public var kurtosis: Double
    public var stats: InterferenceStats
    public var codes: SparseCodes
    /// Histogram of the participation ratios of represented rows, 32 bins on [0, m].
    public var participationHistogram: [Int]
}

public struct SparseBasisResults: Codable, Sendable {
    /// The participation ratio of the random start (median), ≈ m/3 for Gaussian rows.
    public var initialParticipation: Double
    public var points: [SparseBasisPoint]
}

public struct SparseBasis: Experiment {
    public var config = SparseBasisConfig()
    public init() {}
    public var id: String { "sparsebasis" }
    public var title: String { "A preferred basis by L1 on W: sparse feature vectors in superposition" }
    public var section: String { "Beyond the paper: E3, a preferred basis" }
    public var version: Int { 1 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["SparseBasis.swift"] }
    public var exactClaims: Set<String> { ["B16"] }

    public func validate() throws {
        guard config.n > config.m, config.m % 8 == 0 else { throw EngineError.invalidConfig("sparsebasis: need n > m and m a multiple of 8") }
        guard config.lambdas.first == 0, config.lambdas.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalidConfig("sparsebasis: the first λ must be 0 (the reference) and none negative")
        }
        try config.recipe.validate()
    }

    public func run(_ ctx: RunContext) throws -> SparseBasisResults {
        let c = config, n = c.n, m = c.m
        let p = Array(repeating: c.activePerSample / Float(n), count: n)
        var points: [SparseBasisPoint] = []
        for (k, lambda) in c.lambdas.enumerated() {
            let spec = LargeModelSpec(n: n, m: m, probabilities: p, l1: lambda, seed: c.seed)
            let start = Date()
            let model = try LargeTrainer.train(spec, recipe: c.recipe, threads: ctx.threads)
            let eval = LargeTrainer.evaluate(model, probabilities: p, valueScale: 1, samples: c.evalSamples,
                                             seed: deriveSeed(c.seed, 99), threads: ctx.threads)
            let norms = model.rowNorms
            let rep = norms.map { $0 > Double(c.representedNorm) }
            let rows = (0..<n).filter { rep[$0] }
            let pr = FrameGeometry.participationRatios(model.w, n: n, m: m)
            let support = rows.map { i -> Double in
                let row = model.row(i).map(abs), top = row.max()!
                return Double(row.filter { $0 >= c.supportFraction * top }.count)
            }
            var s2 = 0.0, s4 = 0.0
            for i in rows { for v in model.row(i) { let d = Double(v) * Double(v); s2 += d; s4 += d * d } }
            let entries = Double(rows.count * m)
            let stats = FrameGeometry.interference(model.w, n: n, m: m, represented: rep, threads: ctx.threads)
            let medPR = median(rows.map { pr[$0] })
            var hist = [Int](repeating: 0, count: 32)
            for i in rows { hist[min(31, Int(pr[i] / Double(m) * 32))] += 1 }
            points.append(SparseBasisPoint(lambda: lambda, loss: eval.mean, lossStderr: eval.stderr, represented: rows.count,
                                           participation: medPR, support: median(support),
                                           kurtosis: entries > 0 ? (s4 / entries) / ((s2 / entries) * (s2 / entries)) : 0,
                                           stats: stats, codes: codes(s: max(1, Int(medPR.rounded())), seed: deriveSeed(c.seed, 7, UInt64(k)), threads: ctx.threads),
                                           participationHistogram: hist))
            ctx.log("sparsebasis λ=\(lambda): loss \(formatNumber(eval.mean)), PR \(f2(medPR)), \(rows.count) represented, \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
        let dirs = LargeTrainer.randomDirections(n: n, m: m, seed: deriveSeed(c.seed, 1))
        return SparseBasisResults(initialParticipation: median(FrameGeometry.participationRatios(dirs, n: n, m: m)), points: points)
    }

    /// n random s-sparse sign codes in m dimensions and their interference.
    func codes(s: Int, seed: UInt64, threads: Int) -> SparseCodes {
        let n = config.n, m = config.m, s = min(s, m)
        var rng = Xoshiro(seed: seed)
        var w = [Float](repeating: 0, count: n * m)
        for i in 0..<n {
            var idx = Array(0..<m)
            for a in 0..<s {   // partial Fisher–Yates
                let b = a + Int(rng.next() % UInt64(m - a))
                idx.swapAt(a, b)
                w[i * m + idx[a]] = (rng.next() & 1 == 0 ? 1 : -1) / Float(s).squareRoot()
            }
        }
        let stats = FrameGeometry.interference(w, n: n, m: m, represented: Array(repeating: true, count: n), threads: threads)
        // Exactly orthogonal pairs: cos = 0 falls in the middle bin of the fine |cos| histogram's first bin; count directly.
        var zero = 0, pairs = 0
        for i in 0..<n {
            for j in (i + 1)..<n {
                var d: Float = 0
                for k in 0..<m { d += w[i * m + k] * w[j * m + k] }
                if d == 0 { zero += 1 }
                pairs += 1
            }
        }
        return SparseCodes(s: s, stats: stats, orthogonalFraction: Double(zero) / Double(pairs),
                           predictedOrthogonal: exp(-Double(s * s) / Double(m)))
    }

    /// The largest λ that keeps at least 90 % of the features represented (the point the claims judge).
    func judged(_ r: SparseBasisResults) -> SparseBasisPoint {
        r.points.last { Double($0.represented) >= 0.9 * Double(config.n) } ?? r.points[0]
    }

    public func figures(_ r: SparseBasisResults) -> [FigureOutput] {
        let size = 190.0, gap = 70.0, left = 64.0, top = 60.0
        let xs = r.points.indices.map(Double.init)
        let m = Double(config.m)
        let drawing = Drawing(width: left + 4 * (size + gap), height: top + size + 70) { c in
            c.text("An L1 penalty λ·mean‖W_i‖₁ on W (n = \(config.n), m = \(config.m), two active features per sample): participation "
                   + "ratio, interference and loss against λ", at: Point(16, 20), size: 12, bold: true)
            let panels: [(String, [(Color, [Double])], (Double, Double))] = [
                ("participation ratio (median)", [(Color(hex: "#2255bb"), r.points.map(\.participation))], (0, m / 2)),
                ("mean cos²·m: trained, s-sparse codes", [(Color(hex: "#2255bb"), r.points.map { $0.stats.meanCos2 * m }),
                                                          (Color(hex: "#888888"), r.points.map { $0.codes.stats.meanCos2 * m })], (0, 1.6)),
                ("|cos| 0.999-quantile: trained, codes", [(Color(hex: "#2255bb"), r.points.map { $0.stats.absQuantiles[3] }),
                                                          (Color(hex: "#888888"), r.points.map { $0.codes.stats.absQuantiles[3] })], (0, 1)),
                ("reconstruction loss", [(Color(hex: "#c0392b"), r.points.map(\.loss))], (0, (r.points.map(\.loss).max() ?? 1) * 1.2)),
            ]
            for (k, p) in panels.enumerated() {
                let frame = Rect(left + Double(k) * (size + gap), top, size, size)
                let axes = Axes(frame: frame, x: (-0.3, Double(r.points.count) - 0.7), y: p.2)
                axes.draw(on: c, xLabel: "λ", xTicks: [])
                for (i, pt) in r.points.enumerated() {
                    c.text(formatNumber(Double(pt.lambda)), at: Point(axes.x(Double(i)), frame.maxY + 14), size: 8, anchor: .middle, color: .axis)
                }
                for (color, ys) in p.1 {
                    let pts = zip(xs, ys).map { axes.point($0.0, $0.1) }
                    c.polyline(pts, color, width: 1.4)
                    for q in pts { c.circle(q, radius: 3, fill: color, stroke: .white, width: 0.6) }
                }
                c.text(p.0, at: Point(frame.center.x, frame.y - 8), size: 10, anchor: .middle, bold: true)
            }
        }
        return [FigureOutput(name: "sparse-basis", caption: "E3: growing λ makes the feature vectors sparser (participation ratio; "
                             + "the random start's is ≈ m/3). Blue: the trained model; grey: random sign codes with s = the median "
                             + "participation ratio non-zeros (their E[cos²]·m is 1 for every s). Red: the reconstruction loss.",
                             drawing: drawing)]
    }

    public func claims(_ r: SparseBasisResults) -> [Claim] {
        let sec = section, m = Double(config.m)
        let base = r.points[0], j = judged(r)
        let cost = (j.loss - base.loss) / base.loss
        return [
            .rule("B13", section: sec, "An L1 penalty on W gives feature vectors with most components (near) zero while the features stay represented",
                  paper: "conjecture; a Gaussian row has participation ratio ≈ m/3 = \(f2(m / 3))",
                  ours: "λ = \(formatNumber(Double(j.lambda))): median participation ratio \(f2(j.participation)) (λ = 0: \(f2(base.participation))), "
                    + "support \(formatNumber(j.support)) of \(config.m), kurtosis \(f2(j.kurtosis)), \(j.represented) of \(config.n) represented, loss \(String(format: "%+.1f %%", 100 * cost))",
                  rule: "at the largest λ keeping ≥ 90 % of features represented, the median participation ratio is at most half of λ = 0's",
                  reason: "halving the number of effective non-zeros is the least that 'most components zero' can mean",
                  holds: j.participation <= 0.5 * base.participation),
            .rule("B14", section: sec, "Sparse trained feature vectors still interfere as little as random vectors in mean square (E[cos²]·m = 1 for s-sparse codes of any s)",
                  paper: "random s-sparse codes: 1 (ours \(f3(j.codes.stats.meanCos2 * m)) at s = \(j.codes.s))",
                  ours: "λ = \(formatNumber(Double(j.lambda))): mean cos²·m \(f3(j.stats.meanCos2 * m)) (λ = 0: \(f3(base.stats.meanCos2 * m)))",
                  rule: "mean cos²·m ≤ 1.15 at the judged λ",
                  reason: "15 % above random is still 'randomness keeps interference low'; the Welch floor is \(f3(welchBounds(n: config.n, m: config.m).meanCos2 * m))",
                  holds: j.stats.meanCos2 * m <= 1.15),
            .rule("B15", section: sec, "The worst-case tail of sparse trained vectors is no heavier than that of random s-sparse codes",
                  paper: "random s-sparse codes' 0.999-quantile of |cos| \(f3(j.codes.stats.absQuantiles[3])) (s = \(j.codes.s))",
                  ours: "λ = \(formatNumber(Double(j.lambda))): \(f3(j.stats.absQuantiles[3])); median per-vector max \(f3(j.stats.medianVectorMax)) against \(f3(j.codes.stats.medianVectorMax))",
                  rule: "0.999-quantile of |cos| at most 1.1× the codes'",
                  reason: "10 % covers the histogram's bin width and the codes' sampling spread",
                  holds: j.stats.absQuantiles[3] <= 1.1 * j.codes.stats.absQuantiles[3]),
            .within("B16", section: sec, "Random s-sparse sign codes are exactly orthogonal with probability ≈ e^{−s²/m}",
                    paper: j.codes.predictedOrthogonal, ours: j.codes.orthogonalFraction, tolerance: max(0.02, 0.25 * j.codes.predictedOrthogonal),
                    reason: "e^{−s²/m} is the Poisson approximation of the overlap count; it is good to about 25 % at these s and m"),
        ]
    }
}

extension SparseBasisConfig: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension SparseBasis {
    public var smoke: SparseBasis {
        var e = self
        e.config.n = 128; e.config.m = 16; e.config.lambdas = [0, 0.1]; e.config.evalSamples = 512
        e.config.recipe = LargeRecipe(steps: 60, batch: 64, lr: 3e-3, warmup: 10, logEvery: 20)
        return e
    }
}
