// Paper §10, the strategic picture: an L1 penalty λ‖h‖₁ on the hidden activations removes superposition, at a
// cost in loss. The paper does not say which model it penalised, so both: the §8 model (h = ReLU(Wx)) and the §3
// model (h = Wx, x̂ = ReLU(WᵀWx + b)), n = 10, m = 5, I = 0.75^i, at 1−S = 0.06, trained with growing λ.
// Run alone: `paper run l1`.

import Engine
import Foundation
import Plot
import Report

public struct L1Config: Codable, Sendable {
    /// Features n and hidden dimensions m of the penalised models.
    public var n = 10, m = 5
    /// Importance decay: feature i has importance I_i = decay^i.
    public var decay = 0.75
    /// Feature density 1−S of every model, in the λ sweep and the fine-tuning.
    public var density: Float = 0.06
    /// λ values (the paper gives none); the penalty is added per sample beside the importance-weighted error.
    public var lambdas: [Float] = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 1]
    /// Restarts per hidden layer and λ; the best by its trained objective (loss plus λ E‖h‖₁) is kept.
    public var restarts = 8
    /// The hidden layers penalised: the §8 model's ReLU and the §3 model's linear one.
    public var hiddenLayers: [HiddenActivation] = [.relu, .linear]
    /// Optimiser recipe of the λ sweep (the official notebook's).
    public var recipe = TrainingRecipe.notebook
    /// Samples for each model's reconstruction loss (one shared batch for the sweep, one for the fine-tuning).
    public var evalSamples = 65_536
    /// C10.3: small penalties fine-tuned from the λ = 0 optimum (λ = 0 itself as the control), each on the same data
    /// stream and evaluated on the same samples, so that the loss change against the superposition removed shows.
    public var warmLambdas: [Float] = [0, 0.001, 0.003, 0.01, 0.03]
    /// Fine-tuning recipe of the C10.3 arms (`warmLambdas`): AdamW lr 3e-4, batch 1024, 5,000 steps from the
    /// λ = 0 optimum.
    public var warmRecipe = TrainingRecipe(steps: 5_000, batch: 1024, lr: 3e-4, logEvery: 1_000)
    /// Root seed; every instance's seed derives from it.
    public var seed: UInt64 = 10_01
    public init() {}
}

public struct L1Point: Codable, Sendable {
    public var hidden: HiddenActivation
    public var lambda: Float
    public var model: ToyModel
    /// The reconstruction loss alone (paper convention), without the penalty.
    public var loss: LossEstimate
    /// Mean superposition measure over represented features, and their number.
    public var superposition: Double
    public var represented: Int
    public var polysemantic: Int
}

/// One fine-tuned point of the warm-started sweep: the reconstruction loss on shared samples and the superposition
/// measured on what passes the hidden layer.
public struct L1WarmPoint: Codable, Sendable {
    public var hidden: HiddenActivation
    public var lambda: Float
    public var loss: LossEstimate
    public var superposition: Double
}

public struct L1Results: Codable, Sendable {
    public var points: [L1Point]
    public var warm: [L1WarmPoint]
    /// The points of one hidden layer, in λ order.
    public func series(_ hidden: HiddenActivation) -> [L1Point] { points.filter { $0.hidden == hidden } }
}

public struct L1Regularisation: Experiment {
    public var config = L1Config()
    public init() {}
    public var id: String { "l1" }
    public var title: String { "An L1 penalty on the hidden layer against superposition" }
    public var section: String { "§10 The strategic picture of superposition" }
    public var version: Int { 3 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["L1Regularisation.swift", "Measures.swift"] }
    public var independentSeeds: Int { 5 }

    public func validate() throws {
        try Check.compresses(n: config.n, m: config.m, id)
        try Check.atLeast(config.restarts, 1, "restarts")
        try Check.densities([config.density])
        guard !config.hiddenLayers.isEmpty, config.hiddenLayers.first == .relu else {
            throw EngineError.invalidConfig("l1: the first hidden layer must be the §8 model's ReLU (the claims' reference)")
        }
        guard config.warmLambdas.first == 0, config.warmLambdas.count >= 3 else {
            throw EngineError.invalidConfig("warmLambdas must start with 0 (the control) and hold at least two penalties, got \(config.warmLambdas)")
        }
        try config.warmRecipe.validate()
        guard config.lambdas.first == 0 else { throw EngineError.invalidConfig("the first λ must be 0 (the reference), got \(config.lambdas.first ?? -1)") }
        try config.recipe.validate()
    }

    public func run(_ ctx: RunContext) throws -> L1Results {
        let c = config
        let imp = (0..<c.n).map { Float(pow(c.decay, Double($0))) }
        var specs: [ToyModelSpec] = []
        let arms = c.hiddenLayers.flatMap { hidden in c.lambdas.map { (hidden, $0) } }
        for (k, arm) in arms.enumerated() {
            for r in 0..<c.restarts {
                // The ReLU arm keeps the seeds it always had; the linear arm's follow on.
                specs.append(ToyModelSpec(n: c.n, m: c.m, activation: .relu, importance: imp, density: c.density,
                                          seed: deriveSeed(c.seed, UInt64(k), UInt64(r)), hidden: arm.0, l1: arm.1))
            }
        }
        let trained = try Trainer.train(specs, recipe: c.recipe, threads: ctx.threads)
        let losses = Evaluation.losses(trained, samples: c.evalSamples, threads: ctx.threads) { _ in deriveSeed(c.seed, 99) }
        // The best restart by the objective it was trained on: reconstruction plus λ E‖h‖₁ (per sample).
        let x = sparseBatch(batch: 4096, density: Array(repeating: c.density, count: c.n), seed: deriveSeed(c.seed, 98))
        func meanL1(_ m: ToyModel, _ hidden: HiddenActivation) -> Double {
            var total = 0.0
            for s in 0..<4096 {
                for k in 0..<m.m {
                    var h: Float = 0
                    for i in 0..<m.n { h += m.w(k, i) * x[s * m.n + i] }
                    total += Double(hidden == .relu ? max(h, 0) : abs(h))
                }
            }
            return total / 4096
        }
        let points = arms.indices.map { k -> L1Point in
            let range = (k * c.restarts)..<((k + 1) * c.restarts)
            let objective = range.map { losses[$0].mean + Double(arms[k].1) * meanL1(trained[$0].model, arms[k].0) }
            let best = range.lowerBound + objective.indices.min { objective[$0] < objective[$1] }!
            let m = trained[best].model
            let norms = m.featureNorms, sup = m.superposition
            let rep = (0..<m.n).filter { norms[$0] > 0.5 }
            return L1Point(hidden: arms[k].0, lambda: arms[k].1, model: m, loss: losses[best],
                           superposition: rep.isEmpty ? 0 : rep.map { sup[$0] }.reduce(0, +) / Double(rep.count),
                           represented: rep.count, polysemantic: NeuronSignature.of(m).polysemantic)
        }
        // C10.3: from each hidden layer's λ = 0 optimum, fine-tune at each small λ on one data stream.
        let warmArms = c.hiddenLayers.flatMap { hidden in c.warmLambdas.map { (hidden, $0) } }
        let warmSpecs = warmArms.map { arm in
            ToyModelSpec(n: c.n, m: c.m, activation: .relu, importance: imp, density: c.density, seed: deriveSeed(c.seed, 50),
                         hidden: arm.0, l1: arm.1)
        }
        let starts = warmArms.map { arm in points.first { $0.hidden == arm.0 && $0.lambda == 0 }!.model }
        let tuned = try Trainer.train(warmSpecs, recipe: c.warmRecipe, threads: ctx.threads, initial: starts)
        let warmLosses = Evaluation.losses(tuned, samples: c.evalSamples, threads: ctx.threads) { _ in deriveSeed(c.seed, 51) }
        let warm = warmArms.indices.map { k in
            L1WarmPoint(hidden: warmArms[k].0, lambda: warmArms[k].1, loss: warmLosses[k],
                        superposition: Self.passing(tuned[k].model, warmArms[k].0).superposition)
        }
        return L1Results(points: points, warm: warm)
    }

    public func figures(_ r: L1Results) -> [FigureOutput] {
        let size = 200.0, left = 60.0, top = 60.0, gap = 80.0
        let styles: [HiddenActivation: (Color, String)] = [.relu: (Color(hex: "#2255bb"), "h = ReLU(Wx) (§8)"),
                                                           .linear: (Color(hex: "#d35400"), "h = Wx (§3)")]
        let drawing = Drawing(width: left + 3 * size + 2 * gap + 20, height: top + size + 86) { c in
            c.text("An L1 penalty on the hidden activations: superposition, features and loss against λ (n = \(config.n), m = \(config.m), 1−S = \(formatNumber(Double(config.density))))",
                   at: Point(16, 20), size: 12, bold: true)
            let panels: [(String, (L1Point) -> Double)] = [("mean superposition of represented features", { $0.superposition }),
                                                           ("features represented (‖W_i‖ > 0.5)", { Double($0.represented) }),
                                                           ("reconstruction loss", { $0.loss.mean })]
            for (k, p) in panels.enumerated() {
                let frame = Rect(left + Double(k) * (size + gap), top, size, size)
                let axes = Axes(frame: frame, x: (-0.3, Double(config.lambdas.count) - 0.7), y: (0, r.points.map(p.1).max()! * 1.15 + 1e-9))
                axes.draw(on: c, xLabel: "λ", yLabel: "", xTicks: [])
                for (i, l) in config.lambdas.enumerated() {
                    c.text(formatNumber(Double(l)), at: Point(axes.x(Double(i)), frame.maxY + 14), size: 8, anchor: .middle, color: .axis)
                }
                for hidden in config.hiddenLayers {
                    let color = styles[hidden]!.0
                    let pts = r.series(hidden).enumerated().map { axes.point(Double($0.offset), p.1($0.element)) }
                    c.polyline(pts, color, width: 1.4)
                    for q in pts { c.circle(q, radius: 3, fill: color, stroke: .white, width: 0.6) }
                }
                c.text(p.0, at: Point(frame.center.x, frame.y - 8), size: 10, anchor: .middle, bold: true)
            }
            for (i, hidden) in config.hiddenLayers.enumerated() {
                c.text(styles[hidden]!.1, at: Point(left + Double(i) * 160, top + size + 62), size: 10, color: styles[hidden]!.0)
            }
        }
        return [FigureOutput(name: "l1-penalty", caption: "Growing the L1 penalty on the hidden activations of the §8 model (blue) and "
                                + "of the §3 model with a linear hidden layer (orange), best restart by the penalised objective: "
                                + "the superposition measure, the number of represented features and the reconstruction loss.", drawing: drawing)]
    }

    /// The mean superposition of represented features and their number, measured on what passes the hidden layer:
    /// the positive part of W for a ReLU hidden layer (a feature's response alone is ReLU(W_i)), W itself for a
    /// linear one.
    static func passing(_ m: ToyModel, _ hidden: HiddenActivation) -> (superposition: Double, represented: Int) {
        var p = m
        if hidden == .relu { p.W = m.W.map { max($0, 0) } }
        let norms = p.featureNorms, sup = p.superposition
        let rep = (0..<p.n).filter { norms[$0] > 0.5 }
        return (rep.isEmpty ? 0 : rep.map { sup[$0] }.reduce(0, +) / Double(rep.count), rep.count)
    }

    public func claims(_ r: L1Results) -> [Claim] {
        let sec = section
        var out: [Claim] = []
        for hidden in config.hiddenLayers {
            let series = r.series(hidden)
            let suffix = hidden == .relu ? "" : "-linear", model = hidden == .relu ? "the §8 model (h = ReLU(Wx))" : "the §3 model (h = Wx)"
            // What can pass the hidden layer: for h = ReLU(Wx) a feature's response alone is ReLU(W_i), so a feature
            // whose weights are all negative reaches no output; measure on the positive part there.
            let path = series.map { p -> (lambda: Float, sup: Double, rep: Int, loss: LossEstimate) in
                let (sup, rep) = Self.passing(p.model, hidden)
                return (p.lambda, sup, rep, p.loss)
            }
            let ref = path[0]
            let removed = path.dropFirst().first { $0.sup <= 0.1 && $0.rep >= 1 }
            let measure = hidden == .relu ? "on the positive part of W (what passes the ReLU)" : "on W"
            let c102Status: ClaimStatus = {
                // "Removes" presumes superposition to remove: λ = 0's model must have it (> 0.1).
                guard ref.sup > 0.1, let p = removed else { return .fail }
                return judge(p.loss.mean - ref.loss.mean, se: (p.loss.standardError * p.loss.standardError + ref.loss.standardError * ref.loss.standardError).squareRoot(),
                             threshold: 0, holdsAbove: true)
            }()
            out.append(.rule("C10.2" + suffix, section: sec, "An L1 penalty on the hidden activations removes superposition, at a higher loss: \(model)",
                  paper: "superposition → 0 while features remain, at a higher loss",
                  ours: "superposition \(f2(ref.sup)) at λ = 0; " + (removed.map { "gone from λ = \(formatNumber(Double($0.lambda))) on (superposition \(f2($0.sup)), \(formatNumber(Double($0.rep))) features, loss \(formatNumber($0.loss.mean)) against \(formatNumber(ref.loss.mean)) at λ = 0)" }
                         ?? "no λ removes it while a feature remains")
                    + "; path λ: superposition/features " + path.map { "\(formatNumber(Double($0.lambda))): \(f2($0.sup))/\($0.rep)" }.joined(separator: ", "),
                  rule: "λ = 0's model is in superposition (> 0.1), some λ > 0 brings the mean superposition of represented features (‖W_i‖ > 0.5) to ≤ 0.1 while at least one is still represented, and at the smallest such λ the loss exceeds λ = 0's by more than two standard errors; measured \(measure)",
                  reason: "0.1 is §3's threshold for 'in superposition'; judged at the smallest λ that removes it, since a larger λ also removes the features themselves",
                  status: c102Status))
            // C10.3: on the warm-started sweep, the loss added against the superposition removed, both relative to
            // the λ = 0 control; second order means log ΔL rises about twice as fast as log ΔS.
            let warm = r.warm.filter { $0.hidden == hidden }
            if let control = warm.first(where: { $0.lambda == 0 }) {
                let moved = warm.filter { $0.lambda > 0 }.map { (lambda: $0.lambda, dS: control.superposition - $0.superposition, dL: $0.loss.mean - control.loss.mean) }
                let usable = moved.filter { $0.dS > 0 && $0.dL > 0 }
                var slope = Double.nan
                if usable.count >= 2 {
                    let xs = usable.map { log($0.dS) }, ys = usable.map { log($0.dL) }
                    let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
                    let sxy = zip(xs, ys).reduce(0.0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = xs.reduce(0.0) { $0 + ($1 - mx) * ($1 - mx) }
                    slope = sxx > 0 ? sxy / sxx : .nan
                }
                out.append(.rule("C10.3" + suffix, section: sec, "Some superposition can be removed at essentially no cost in loss (the loss is flat in it at the optimum): \(model)",
                      paper: "second-order loss change for a small penalty",
                      ours: "log–log slope of ΔL against ΔS \(slope.isFinite ? f2(slope) : "undefined"); "
                        + moved.map { "λ = \(formatNumber(Double($0.lambda))): ΔS \(formatNumber($0.dS)), ΔL \(formatNumber($0.dL))" }.joined(separator: "; "),
                      rule: "fine-tuned from the λ = 0 optimum at λ = \(config.warmLambdas.dropFirst().map { formatNumber(Double($0)) }.joined(separator: ", ")) (λ = 0 as the control, one data stream, shared evaluation samples): the superposition falls at every λ, and the least-squares slope of log ΔL against log ΔS is at least 1.5",
                      reason: "at an optimum the loss is flat, so a penalty that moves the weights by O(λ) removes O(λ) superposition for O(λ²) loss: slope 2; a first-order cost gives slope 1, and 1.5 lies between",
                      holds: usable.count == moved.count && usable.count >= 2 && slope >= 1.5))
            }
        }
        return out + [("C10.1", "Superposition and polysemanticity look like phases with sharp transitions, so a superposition-free regime may exist"),
             ("C10.4", "Mixture-of-experts models should have less superposition"),
             ("C10.5", "Three ways out: no superposition, finding an overcomplete basis, or hybrids"),
             ("C10.6", "Local bases are not enough for safety claims")].map {
            Claim.unchecked($0.0, section: sec, $0.1, paper: "qualitative", reason: "an argument of the paper's discussion, with no measurement named")
        }
    }
}

extension L1Config: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension L1Regularisation {
    public var smoke: L1Regularisation {
        var e = self
        e.config.recipe = smokeRecipe; e.config.restarts = 2; e.config.evalSamples = 512; e.config.lambdas = [0, 0.01, 1]
        e.config.warmRecipe = smokeRecipe
        return e
    }
}
