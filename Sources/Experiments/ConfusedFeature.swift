// McGrath's comment on the paper (§13, catalogue C13.3): without a bias, on dense features (S = 0) of equal
// importance, two features in one dimension settle in a "confused feature" solution, W ≈ ±[1/√2, 1/√2],
// with loss 1/12, better than dropping one feature or an antipodal pair (1/3 each without a bias).
// Run alone: `paper run confused`.

import Engine
import Foundation
import Plot
import Report

public struct ConfusedConfig: Codable, Sendable {
    /// Models trained from independent seeds (n = 2 equal-importance dense features in m = 1, no bias); each is
    /// drawn as a dot on the landscape.
    public var restarts = 4
    /// Optimiser recipe (the official notebook's).
    public var recipe = TrainingRecipe.notebook
    /// Samples for each trained model's loss (one shared evaluation batch).
    public var evalSamples = 1 << 20
    /// Cells per axis of the loss landscape over W = [w₁, w₂], and samples per cell.
    public var landscapeGrid = 61
    /// Samples for the loss in each cell of the landscape.
    public var landscapeSamples = 8192
    /// Root seed; every instance's seed derives from it.
    public var seed: UInt64 = 13_03
    public init() {}
}

public struct ConfusedResults: Codable, Sendable {
    public var models: [ToyModel]
    public var losses: [LossEstimate]
    /// Row-major landscape: rows w₂ from +1.5 down to −1.5, columns w₁ from −1.5 to +1.5.
    public var landscape: [Double]
}

public struct ConfusedFeature: Experiment {
    public var config = ConfusedConfig()
    public init() {}
    public var id: String { "confused" }
    public var title: String { "The 'confused feature' solution without bias (McGrath)" }
    public var section: String { "§4 Superposition as a phase change" }
    public var version: Int { 1 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["ConfusedFeature.swift"] }
    public var independentSeeds: Int { 5 }
    static let extent = 1.5

    public func validate() throws {
        try Check.atLeast(config.restarts, 1, "restarts")
        try Check.atLeast(config.landscapeGrid, 2, "landscapeGrid")
        try config.recipe.validate()
    }

    public func run(_ ctx: RunContext) throws -> ConfusedResults {
        let c = config
        let specs = (0..<c.restarts).map { k in
            ToyModelSpec(n: 2, m: 1, activation: .relu, importance: [1, 1], density: 1, seed: deriveSeed(c.seed, UInt64(k)), bias: false)
        }
        let models = try Trainer.train(specs, recipe: c.recipe, threads: ctx.threads).map(\.model)
        let losses = models.map { Evaluation.loss($0, importance: [1, 1], density: [1, 1], samples: c.evalSamples, seed: deriveSeed(c.seed, 99)) }
        let g = c.landscapeGrid
        let cells = Slots<Double>(count: g * g)
        parallelFor(g * g, threads: ctx.threads) { k in
            let w2 = Self.extent - 2 * Self.extent * Double(k / g) / Double(g - 1)
            let w1 = -Self.extent + 2 * Self.extent * Double(k % g) / Double(g - 1)
            let m = ToyModel(n: 2, m: 1, activation: .relu, W: [Float(w1), Float(w2)], b: [0, 0])
            cells[k] = Evaluation.loss(m, importance: [1, 1], density: [1, 1], samples: c.landscapeSamples, seed: deriveSeed(c.seed, 7)).mean
        }
        return ConfusedResults(models: models, losses: losses, landscape: cells.values.map { $0! })
    }

    public func figures(_ r: ConfusedResults) -> [FigureOutput] {
        let g = config.landscapeGrid
        let drawing = Drawing(width: 420, height: 380) { c in
            c.text("The 'confused feature' minimum (no bias, S = 0)", at: Point(16, 20), size: 11.5, bold: true)
            let frame = Rect(70, 44, 270, 270)
            let lo = r.landscape.min()!, hi = r.landscape.max()!
            // Log colour scale above the minimum: the basins are shallow against the landscape's range.
            let eps = 1e-3
            let t = r.landscape.map { (log($0 - lo + eps) - log(eps)) / (log(hi - lo + eps) - log(eps)) }
            c.heatmap(t, rows: g, cols: g, in: frame, map: .viridis, range: 0, 1)
            let axes = Axes(frame: frame, x: (-Self.extent, Self.extent), y: (-Self.extent, Self.extent))
            axes.draw(on: c, xLabel: "w₁", yLabel: "w₂", grid: false, xTicks: [-1, 0, 1], yTicks: [-1, 0, 1])
            let s = 1 / 2.0.squareRoot()
            for (x, y) in [(s, s), (-s, -s)] {
                c.circle(axes.point(x, y), radius: 7, fill: nil, stroke: .white, width: 1.5)
            }
            for m in r.models {
                c.circle(axes.point(Double(m.W[0]), Double(m.W[1])), radius: 3.5, fill: Color(hex: "#dd4444"), stroke: .white, width: 0.8)
            }
            c.text("dark: low loss (log scale) · rings: ±(1/√2, 1/√2) · dots: trained models", at: Point(40, 362), size: 9, color: .axis)
        }
        return [FigureOutput(name: "confused-feature",
                             caption: "The loss of W = [w₁, w₂] (n = 2, m = 1, no bias, S = 0, equal importance): its minima are at "
                                + "±(1/√2, 1/√2), both features sharing one direction with the same sign. " + restartsSummary(r),
                             drawing: drawing)]
    }

    /// Where the restarts ended, in words, from the results.
    func restartsSummary(_ r: ConfusedResults) -> String {
        let s = 1 / 2.0.squareRoot()
        let confused = r.models.indices.filter { k in
            let w = r.models[k].W.map(Double.init)
            return w[0] * w[1] > 0 && abs(abs(w[0]) - s) <= 0.05 && abs(abs(w[1]) - s) <= 0.05
        }
        let others = r.models.indices.filter { !confused.contains($0) }.map { k in
            "(\(f2(Double(r.models[k].W[0]))), \(f2(Double(r.models[k].W[1])))) with loss \(formatNumber(r.losses[k].mean))"
        }
        return "\(confused.count) of our \(r.models.count) restarts end there" + (others.isEmpty ? "." : "; the others at " + others.joined(separator: ", ") + ".")
    }

    public func claims(_ r: ConfusedResults) -> [Claim] {
        let best = Evaluation.best(r.losses)
        let m = r.models[best]
        let w = m.W.map(Double.init)
        let s = 1 / 2.0.squareRoot()
        let ok = w[0] * w[1] > 0 && abs(abs(w[0]) - s) <= 0.05 && abs(abs(w[1]) - s) <= 0.05
        return [
            .rule("C13.3", section: section, "Without bias, at S = 0 with equal importance, both features share the direction: W ≈ ±[1/√2, 1/√2]",
                  paper: "W = ±[0.707, 0.707]", ours: "W = [\(f3(w[0])), \(f3(w[1]))] (best of \(r.models.count))",
                  rule: "same sign, each |w_i| within 0.05 of 1/√2", reason: "the tolerance of C1.1 on norms", holds: ok),
            .within("C13.3-loss", section: section, "The confused-feature solution's loss is 1/12 (against 1/3 for dropping a feature or an antipodal pair)",
                    paper: round6(1.0 / 12), ours: r.losses[best].mean, se: r.losses[best].standardError, tolerance: round6(0.01 / 12),
                    reason: "1 %: the evaluation's standard error is \(formatNumber(r.losses[best].standardError)) over \(r.losses[best].samples) samples"),
        ]
    }
}

extension ConfusedConfig: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension ConfusedFeature {
    public var smoke: ConfusedFeature {
        var e = self
        e.config.recipe = smokeRecipe; e.config.restarts = 2; e.config.landscapeGrid = 9
        e.config.landscapeSamples = 256; e.config.evalSamples = 1024
        return e
    }
}
