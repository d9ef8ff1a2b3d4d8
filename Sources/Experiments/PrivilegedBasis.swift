// Paper §8, Superposition in a Privileged Basis: the ReLU hidden-layer model h = ReLU(Wx), x̂ = ReLU(Wᵀh + b),
// n = 10 features of importance 0.75^i in m = 5 neurons, best of many restarts per sparsity. Its neurons form a
// privileged basis, so W can be read directly: which neurons are monosemantic, which store several features.
// Run alone: `paper run privileged`.

import Engine
import Foundation
import Plot
import Report

public struct PrivilegedConfig: Codable, Sendable {
    /// Paper: n = 10, m = 5, I = 0.75^i.
    public var n = 10
    /// Hidden neurons m.
    public var m = 5
    /// Importance decay: feature i has importance I_i = importanceDecay^i.
    public var importanceDecay = 0.75
    /// One density per regime the paper names (all monosemantic; three features in two neurons; five in three;
    /// six in four; eight in five; features as pairs of neurons).
    public var densities: [Float] = [0.75, 0.35, 0.15, 0.12, 0.06, 0.02]
    /// The paper keeps the best of 1000 models per sparsity; we keep the best of this many.
    public var restarts = 32
    /// Density at which the linear-hidden model (no privileged basis) is trained for comparison.
    public var comparisonDensity: Float = 0.35
    /// Optimiser recipe of every model here (the official notebook's: AdamW lr 1e-3, batch 1024, 10,000 steps).
    public var recipe = TrainingRecipe.notebook
    /// Samples per evaluation batch; the restarts at one density share a batch and are ranked by its loss.
    public var evalSamples = 16_384
    /// C8.12: the same model with a trained hidden bias, h = ReLU(Wx + c), best of `hiddenBiasRestarts` at each of
    /// these densities (one dense, one sparse regime of the sweep).
    public var hiddenBiasDensities: [Float] = [0.35, 0.06]
    /// Restarts per hidden-bias density (C8.12); the lowest loss is kept.
    public var hiddenBiasRestarts = 8
    /// Root seed; every instance's seed derives from it.
    public var seed: UInt64 = 8_01
    public init() {}
    public var importance: [Float] { (0..<n).map { Float(pow(importanceDecay, Double($0))) } }
}

/// The best model at one density, with every restart's loss and every restart's neuron counts.
public struct PrivilegedRun: Codable, Sendable {
    public var density: Float
    public var model: ToyModel
    /// Every restart's evaluation loss, in restart order (not sorted, unlike `signatures`).
    public var losses: [Double]
    /// Neuron signatures (represented features, monosemantic, polysemantic) of every restart, lowest loss first.
    public var signatures: [NeuronSignature]
    /// The five lowest-loss restarts' signatures.
    public var topSignatures: ArraySlice<NeuronSignature> { signatures.prefix(5) }
}


/// The best model with a hidden bias at one density, and how often each neuron's pre-activation Wx + c is positive.
public struct HiddenBiasRun: Codable, Sendable {
    public var density: Float
    public var model: ToyModel
    public var loss: Double
    /// Per neuron, the fraction of evaluation samples with Wx + c > 0 (1: the neuron acts linearly).
    public var positiveFraction: [Double]
}

public struct PrivilegedResults: Codable, Sendable {
    public var runs: [PrivilegedRun]
    public var hiddenBias: [HiddenBiasRun]
    /// The linear-hidden model at the comparison density (best of the same number of restarts).
    public var linearHidden: ToyModel
}

public struct PrivilegedBasis: Experiment {
    public var config = PrivilegedConfig()
    public init() {}
    public var id: String { "privileged" }
    public var title: String { "Neurons of the ReLU hidden-layer model over sparsity" }
    public var section: String { "§8 Superposition in a privileged basis" }
    public var version: Int { 2 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["PrivilegedBasis.swift", "Measures.swift"] }
    /// Five seeds: with three, several of its claims split 2 to 1.
    public var independentSeeds: Int { 5 }

    public func validate() throws {
        let c = config
        try Check.compresses(n: c.n, m: c.m, id)
        try Check.atLeast(c.restarts, 5, "restarts")
        try Check.densities(c.densities + [c.comparisonDensity] + c.hiddenBiasDensities)
        try Check.atLeast(c.hiddenBiasRestarts, 1, "hiddenBiasRestarts")
        try c.recipe.validate()
    }

    public func run(_ ctx: RunContext) throws -> PrivilegedResults {
        let c = config
        let groups = c.densities.map { ($0, HiddenActivation.relu) } + [(c.comparisonDensity, HiddenActivation.linear)]
        var specs: [ToyModelSpec] = []
        for (g, (d, hidden)) in groups.enumerated() {
            for r in 0..<c.restarts {
                specs.append(ToyModelSpec(n: c.n, m: c.m, activation: .relu, importance: c.importance, density: d,
                                          seed: deriveSeed(c.seed, UInt64(g), UInt64(r)), hidden: hidden))
            }
        }
        let plain = specs.count
        for (g, d) in c.hiddenBiasDensities.enumerated() {
            for r in 0..<c.hiddenBiasRestarts {
                specs.append(ToyModelSpec(n: c.n, m: c.m, activation: .relu, importance: c.importance, density: d,
                                          seed: deriveSeed(c.seed, 50, UInt64(g), UInt64(r)), hidden: .relu, hiddenBias: true))
            }
        }
        let all = try Trainer.train(specs, recipe: c.recipe, threads: ctx.threads)
        let trained = Array(all[..<plain]), biased = Array(all[plain...])
        let losses = Evaluation.losses(trained, samples: c.evalSamples, threads: ctx.threads) { i in
            deriveSeed(c.seed, 99, UInt64(i / c.restarts))
        }
        let biasedLosses = Evaluation.losses(biased, samples: c.evalSamples, threads: ctx.threads) { i in
            deriveSeed(c.seed, 98, UInt64(i / c.hiddenBiasRestarts))
        }
        let hiddenBias = c.hiddenBiasDensities.indices.map { g -> HiddenBiasRun in
            let range = (g * c.hiddenBiasRestarts)..<((g + 1) * c.hiddenBiasRestarts)
            let best = range.min { (biasedLosses[$0].mean, $0) < (biasedLosses[$1].mean, $1) }!
            let model = biased[best].model
            let x = sparseBatch(batch: c.evalSamples, density: Array(repeating: c.hiddenBiasDensities[g], count: c.n),
                                seed: deriveSeed(c.seed, 97, UInt64(g)))
            let samples = x.count / c.n
            let positive = (0..<c.m).map { k -> Double in
                var count = 0
                for sample in 0..<samples {
                    var pre = model.c![k]
                    for i in 0..<c.n { pre += model.w(k, i) * x[sample * c.n + i] }
                    if pre > 0 { count += 1 }
                }
                return Double(count) / Double(samples)
            }
            return HiddenBiasRun(density: c.hiddenBiasDensities[g], model: model, loss: biasedLosses[best].mean, positiveFraction: positive)
        }
        func group(_ g: Int) -> (models: [ToyModel], losses: [Double]) {
            let range = (g * c.restarts)..<((g + 1) * c.restarts)
            return (range.map { trained[$0].model }, range.map { losses[$0].mean })
        }
        let runs = c.densities.indices.map { g -> PrivilegedRun in
            let (models, ls) = group(g)
            let order = ls.indices.sorted { (ls[$0], $0) < (ls[$1], $1) }
            return PrivilegedRun(density: c.densities[g], model: models[order[0]], losses: ls,
                                 signatures: order.map { NeuronSignature.of(models[$0]) })
        }
        let (lin, linLosses) = group(c.densities.count)
        return PrivilegedResults(runs: runs, hiddenBias: hiddenBias,
                                 linearHidden: lin[linLosses.indices.min { linLosses[$0] < linLosses[$1] }!])
    }

    // MARK: Figures

    public func figures(_ r: PrivilegedResults) -> [FigureOutput] {
        let col = 150.0, left = 20.0, top = 64.0, hm = 120.0, stackH = 170.0
        let columns: [(String, ToyModel)] = [("Linear hidden, " + densityLabel(config.comparisonDensity), r.linearHidden)]
            + r.runs.map { ("ReLU hidden, " + densityLabel($0.density), $0.model) }
        let width = left + Double(columns.count) * col + 30
        let colors = importanceColors(config.n)
        let drawing = Drawing(width: width, height: top + hm * Double(config.m) / Double(config.n) + 40 + stackH + 60) { c in
            c.text("A privileged basis: the neurons of h = ReLU(Wx), n = \(config.n) features in m = \(config.m) neurons",
                   at: Point(left, 20), size: 12.5, bold: true)
            importanceLegend(c, n: config.n, importance: config.importance, at: Point(left, 40))
            for (k, (title, model)) in columns.enumerated() {
                let wmax = max(1e-9, model.W.map { abs(Double($0)) }.max() ?? 1)
                let x = left + Double(k) * col
                c.text(title, at: Point(x + hm / 2, top + 4), size: 9.5, anchor: .middle, bold: true)
                // Raw W: neurons as rows, features as columns.
                let hmH = hm * Double(model.m) / Double(model.n)
                c.heatmap(model.W.map { Double($0) / wmax }, rows: model.m, cols: model.n, in: Rect(x, top + 12, hm, hmH),
                          map: .blueWhiteRed, range: -1, 1)
                c.text("W (scaled to its largest |w|)", at: Point(x + hm / 2, top + 12 + hmH + 12), size: 8.5, anchor: .middle, color: .axis)
                // Stack plot: one column per neuron, one block per weight, positive up, negative down.
                // Positive stacks get the upper 60 % of the space, negative ones the lower 40 %, on one scale.
                let base = top + hmH + 40 + stackH * 0.6
                let pos = (0..<model.m).map { k in (0..<model.n).reduce(0.0) { $0 + max(0, Double(model.w(k, $1))) } }.max()!
                let neg = (0..<model.m).map { k in (0..<model.n).reduce(0.0) { $0 + max(0, -Double(model.w(k, $1))) } }.max()!
                let scale = min(stackH * 0.58 / max(pos, 1e-9), stackH * 0.36 / max(neg, 1e-9))
                let bw = hm / Double(model.m)
                for neuron in 0..<model.m {
                    var up = base, down = base
                    for i in 0..<model.n {
                        let v = Double(model.w(neuron, i)) * scale
                        guard abs(v) > 0.3 else { continue }
                        let rx = x + Double(neuron) * bw + bw * 0.12
                        if v > 0 { up -= v; c.fill(Rect(rx, up, bw * 0.76, v), colors[i]) }
                        else { c.fill(Rect(rx, down, bw * 0.76, -v), colors[i].withAlpha(0.45)); down -= v }
                    }
                    // A linear hidden layer has no privileged basis: its neurons are not labelled mono- or polysemantic.
                    guard k > 0 else { continue }
                    let kind = NeuronSignature.features(of: model, neuron: neuron).count
                    c.text(kind == 1 ? "m" : kind == 0 ? "·" : "p", at: Point(x + (Double(neuron) + 0.5) * bw, base + stackH * 0.4 + 10),
                           size: 8.5, anchor: .middle, color: .axis)
                }
                c.line(Point(x, base), Point(x + hm, base), .axis, width: 0.6)
                let sig = NeuronSignature.of(model)
                c.text(k == 0 ? "no privileged basis" : "\(sig.represented) features · \(sig.monosemantic) mono, \(sig.polysemantic) poly",
                       at: Point(x + hm / 2, base + stackH * 0.4 + 24), size: 8.5, anchor: .middle)
            }
        }
        return [FigureOutput(name: "privileged-basis",
                             caption: "Left: a linear hidden layer's W mixes features across neurons (only WᵀW is meaningful). Then the "
                                + "ReLU hidden layer over sparsity: W, and each neuron as a stack of its weights (one block per feature, "
                                + "coloured by importance; negative weights below the axis, faded). Below each neuron: m = monosemantic, "
                                + "p = polysemantic, · = stores no feature, by the rule in the text (not drawn for the linear layer, whose "
                                + "neurons are an arbitrary basis).",
                             drawing: drawing)]
    }

    // MARK: Claims

    public func claims(_ r: PrivilegedResults) -> [Claim] {
        let sec = section
        func run(_ d: Float) -> PrivilegedRun? { r.runs.first { $0.density == d } }
        func sig(_ d: Float) -> NeuronSignature? { run(d).map { NeuronSignature.of($0.model) } }
        func text(_ s: NeuronSignature?) -> String {
            s.map { "\($0.represented) features represented, \($0.monosemantic) monosemantic and \($0.polysemantic) polysemantic neurons" } ?? "no run"
        }
        let rule = "neuron k stores feature i when W_ki ≥ 0.2·max(W); a feature is represented when ‖W_i‖ > 0.5"
        let ruleReason = "the paper counts by eye; 0.2 of the largest weight separates the blocks of its stack plots from the small leftovers"
        var out: [Claim] = []
        let s35 = sig(0.35)
        out.append(.rule("C8.1", section: sec, "In the ReLU hidden-layer model, many neurons are simply dedicated to one feature",
                         paper: "monosemantic neurons at moderate sparsity", ours: "1−S = 0.35: " + text(s35),
                         rule: "at least one monosemantic neuron at 1−S = 0.35 (" + rule + ")", reason: ruleReason,
                         holds: (s35?.monosemantic ?? 0) >= 1))
        let regimes: [(String, Float, String, String, (NeuronSignature) -> Bool)] = [
            ("C8.2", 0.75, "Dense regime (1−S ≥ 0.5): every neuron monosemantic, one per represented feature",
             "5 features, 5 monosemantic neurons", { $0.represented == 5 && $0.monosemantic == 5 }),
            ("C8.3", 0.35, "1−S ≈ 0.2–0.5: three features in two neurons, besides three dedicated ones",
             "6 features; 3 monosemantic + 2 polysemantic neurons", { $0.represented == 6 && $0.monosemantic == 3 && $0.polysemantic == 2 }),
            ("C8.4", 0.15, "1−S = 0.15: five features in three neurons", "7 features; 2 monosemantic neurons",
             { $0.represented == 7 && $0.monosemantic == 2 }),
            ("C8.5", 0.12, "1−S = 0.12: six features in four neurons", "7 features; 1 monosemantic neuron",
             { $0.represented == 7 && $0.monosemantic == 1 }),
            ("C8.6", 0.06, "1−S ≈ 0.05–0.08: eight features in five neurons, all polysemantic", "8 features; 0 monosemantic neurons",
             { $0.represented == 8 && $0.monosemantic == 0 }),
        ]
        for (id, d, statement, paper, check) in regimes {
            let s = sig(d)
            out.append(.rule(id, section: sec, statement, paper: paper, ours: "1−S = \(formatNumber(Double(d))): " + text(s),
                             rule: "exactly the paper's counts (" + rule + ")", reason: ruleReason, holds: s.map(check) ?? false))
        }
        // C8.7: every feature is a pair of neurons, all pairs distinct.
        if let sparse = run(0.02) {
            let m = sparse.model
            let pairs = (0..<m.n).map { i in (0..<m.m).filter { k in NeuronSignature.features(of: m, neuron: k).contains(i) } }
            let twos = pairs.filter { $0.count == 2 }
            let distinct = Set(twos.map { $0.map(String.init).joined(separator: "-") }).count
            out.append(.rule("C8.7", section: sec, "1−S ≤ 0.04: each feature corresponds to a pair of neurons, all C(5,2) = 10 pairs used",
                             paper: "10 features, each in exactly 2 neurons, 10 distinct pairs",
                             ours: "1−S = 0.02: \(twos.count) features stored in exactly two neurons, \(distinct) distinct pairs; \(m.featuresRepresented()) represented",
                             rule: "all 10 features in exactly two neurons, 10 distinct pairs (" + rule + ")", reason: ruleReason,
                             holds: twos.count == 10 && distinct == 10))
        }
        let polys = r.runs.map { NeuronSignature.of($0.model).polysemantic }
        let dips = zip(polys, polys.dropFirst()).filter { $0 > $1 }.count
        out.append(.rule("C8.8", section: sec, "Neurons shift from monosemantic to polysemantic as sparsity increases",
                         paper: "the number of polysemantic neurons grows",
                         ours: "polysemantic neurons at 1−S = " + r.runs.map { formatNumber(Double($0.density)) }.joined(separator: ", ") + ": "
                            + polys.map(String.init).joined(separator: ", "),
                         rule: "non-decreasing along the sweep, and more at the sparsest than at the densest", reason: ruleReason,
                         holds: dips == 0 && polys.last! > polys.first!))
        // Agreement counts only where the solution is not trivial: at the dense end every restart stores m features in
        // m monosemantic neurons, so agreement there says nothing.
        let agreeingAll = r.runs.filter { run in !run.topSignatures.isEmpty && run.topSignatures.allSatisfy { $0 == run.topSignatures[0] } }
        let agreeing = agreeingAll.filter { run in run.topSignatures.first.map { $0.polysemantic > 0 || $0.represented > config.m } ?? false }
        out.append(.rule("C8.9", section: sec, "In some sparsity ranges the best solutions of all models share one configuration",
                         paper: "the lowest-loss solutions agree",
                         ours: "the five best restarts share one neuron signature, with superposition, at 1−S = "
                            + (agreeing.isEmpty ? "none" : agreeing.map { formatNumber(Double($0.density)) }.joined(separator: ", "))
                            + "; at any density (the dense, trivial end included): "
                            + (agreeingAll.isEmpty ? "none" : agreeingAll.map { formatNumber(Double($0.density)) }.joined(separator: ", ")),
                         rule: "at some density where the best solution has a polysemantic neuron or more than m features, the five lowest-loss restarts have the same (represented, monosemantic, polysemantic) counts",
                         reason: "equality of these counts is a necessary condition for 'the same configuration up to permutation and sign'; at the dense end the solution is m monosemantic neurons in every restart, where agreement is trivial",
                         holds: !agreeing.isEmpty))
        let spreads = r.runs.map { ($0.losses.max()! - $0.losses.min()!) / $0.losses.min()! }
        out.append(.rule("C8.11", section: sec, "Small ReLU hidden-layer models are hard to optimise (the paper trains 1000 per point)",
                         paper: "final losses vary widely across seeds",
                         ours: "worst restart over best: " + spreads.map { String(format: "+%.0f %%", 100 * $0) }.joined(separator: ", "),
                         rule: "the worst of \(config.restarts) restarts is more than 5 % above the best at most densities",
                         reason: "well-conditioned problems end within the evaluation noise (≈ 1 %) of each other",
                         holds: spreads.filter { $0 > 0.05 }.count * 2 > spreads.count))
        // C8.13: purity of neurons (largest weight's share of the neuron's squared weights), ReLU vs linear hidden layer.
        func purity(_ m: ToyModel) -> Double {
            (0..<m.m).map { k in
                let w = (0..<m.n).map { Double(m.w(k, $0)) * Double(m.w(k, $0)) }
                return w.max()! / max(1e-12, w.reduce(0, +))
            }.reduce(0, +) / Double(m.m)
        }
        if let relu = run(config.comparisonDensity) {
            let pr = purity(relu.model), pl = purity(r.linearHidden)
            out.append(.rule("C8.13", section: sec, "The linear hidden layer's W is only interpretable through WᵀW; the ReLU layer's W maps features to basis-aligned neurons",
                             paper: "ReLU neurons align with features, linear ones do not",
                             ours: "mean neuron purity at 1−S = \(formatNumber(Double(config.comparisonDensity))): ReLU \(f2(pr)), linear \(f2(pl))",
                             rule: "purity (largest squared weight over the neuron's total) higher for ReLU by at least 0.2",
                             reason: "a rotation mixes a neuron's weights; 0.2 is a fifth of the scale", holds: pr >= pl + 0.2))
        }
        // C8.10: how often a restart other than the best ends in the best's configuration, pooled over the densities
        // where that configuration has superposition (at the dense end every restart agrees trivially).
        let nonTrivial = r.runs.filter { run in run.signatures.first.map { $0.polysemantic > 0 || $0.represented > config.m } ?? false }
        let matches = nonTrivial.map { run in run.signatures.dropFirst().filter { $0 == run.signatures[0] }.count }   // per density
        let others = nonTrivial.reduce(0) { $0 + $1.signatures.count - 1 }
        let same = matches.reduce(0, +)
        let share = others > 0 ? Double(same) / Double(others) : 0
        let shareSE = others > 0 ? (share * (1 - share) / Double(others)).squareRoot() : 0
        let similar = others > 0 ? judge(share, se: shareSE, threshold: 0.2, holdsAbove: true) : .fail
        out.append(Claim.rule("C8.10", section: sec, "Typical (not lowest-loss) solutions are often similar to the lowest-loss ones",
                              paper: "qualitative",
                              ours: "\(same) of \(others) restarts other than the best (\(String(format: "%.0f %%", 100 * share)) ± \(String(format: "%.0f %%", 100 * shareSE))) share the best's (represented, monosemantic, polysemantic) counts, at the \(nonTrivial.count) densities where the best has superposition; by density: "
                                + zip(nonTrivial, matches).map { run, k in "\(k) of \(run.signatures.count - 1) at 1−S = \(formatNumber(Double(run.density)))" }.joined(separator: ", "),
                              rule: "at least 1 in 5 of the other restarts have the best's counts, pooled over the densities where the best solution has a polysemantic neuron or more than m features; inconclusive within two standard errors of 1 in 5",
                              reason: "'often' read as at least one in five, as in C5.30; equal counts are C8.9's necessary condition for 'similar'; the restarts are independent, so the error is binomial. Set before the share was first computed",
                              status: similar).withError(shareSE, status: similar))
        let biasText = r.hiddenBias.map { hb in
            "1−S = \(formatNumber(Double(hb.density))): c = (" + hb.model.c!.map { f2(Double($0)) }.joined(separator: ", ")
                + "), Wx + c > 0 on " + hb.positiveFraction.map(pct).joined(separator: ", ") + " of samples; loss \(f3(hb.loss)) vs \(f3(run(hb.density)?.losses.min() ?? .nan)) without c"
        }.joined(separator: "; ")
        let linear = !r.hiddenBias.isEmpty && r.hiddenBias.allSatisfy { hb in hb.model.c!.allSatisfy { $0 > 0 } && hb.positiveFraction.allSatisfy { $0 >= 0.99 } }
        out.append(.rule("C8.12", section: sec, "Given a hidden bias, the model makes every bias positive so that its neurons act linearly",
                         paper: "all hidden biases > 0", ours: biasText,
                         rule: "at every density tried, every c_k > 0 and every neuron's pre-activation Wx + c > 0 on at least 99 % of samples",
                         reason: "the catalogue's test: 'act linearly' means the ReLU (almost) never cuts; best of \(config.hiddenBiasRestarts) restarts",
                         holds: linear))
        return out
    }
}

extension PrivilegedConfig: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension PrivilegedBasis {
    public var smoke: PrivilegedBasis {
        var e = self
        e.config.recipe = smokeRecipe; e.config.restarts = 5; e.config.evalSamples = 512; e.config.hiddenBiasRestarts = 2
        return e
    }
}
