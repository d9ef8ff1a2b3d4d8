// Paper §5.1–§5.2, The Geometry of Superposition: uniform superposition and feature dimensionality.
// n = 400 features of equal importance in m = 30 dimensions over a sweep of sparsity, with the same at n = 200 (n does
// not matter while n ≫ m) and at m = 60 (doubling m doubles the features). Measures dimensions per feature
// D* = m/‖W‖_F², every feature's dimensionality D_i, the pairwise interference W_i·W_j, and the tegum factors.
// A second registry entry, uniform-notebook, runs the official notebook's own configuration (n = 200, m = 20, its 20
// densities, batch 1024, its initialisation) and judges the same claims on it, with IDs ending in "-O".
// Run alone: `paper run uniform` (or `paper run uniform-notebook`).

import Engine
import Foundation
import Plot
import Report

/// Settings of the uniform-superposition sweeps, with their sources.
public struct UniformConfig: Codable, Sendable {
    /// Paper Fig 5.1: n = 400, m = 30, I = 1.
    public var n = 400
    /// Hidden dimensions m of the main sweep (Fig 5.1: 30).
    public var m = 30
    /// 1/(1−S), geometric from 1 to 30 (the paper's range is not stated; [K] sweeps 1…10, [O] 1…20).
    public var inverseDensities: [Double] = (0..<40).map { pow(30, Double($0) / 39) }
    /// The n-independence sweep (C5.3): n = 200 at every other sparsity.
    public var smallerN = 200
    /// The m-doubling sweep (C5.4): m = 60 at every other sparsity.
    public var largerM = 60
    /// The n- and m-check sweeps (C5.3, C5.4) use every `checkEvery`-th value of `inverseDensities`; 0: no check sweeps.
    public var checkEvery = 2
    /// [K]'s recipe for Fig 5.1: AdamW lr 1e-3 constant, batch 128, 10,000 steps ([K] also clips the gradient
    /// norm at 2; we do not).
    public var recipe = TrainingRecipe(steps: 10_000, batch: 128, logEvery: 1_000)
    /// Histogram bins of W_i·W_j over [−1.5, 1.5].
    public var interferenceBins = 60
    /// W's initial draw. false: Xavier-normal per model, std √(2/(n+m)) (the engine's). true: the official notebook's
    /// xavier_normal_ on its (instances, n, m) tensor, whose fan counts the instances: std √(2/(n·m + k·m)) with k the
    /// number of sweep points, the same for every model of the main sweep (the check sweeps keep the engine's).
    public var notebookInit = false
    /// Root seed; every instance's seed derives from it.
    public var seed: UInt64 = 5_01

    public init() {}

    /// The official notebook's feature-dimensionality cells ([O], [A2]): n = 200, m = 20, 20 instances with
    /// 1−S = 20^(−t) for t = linspace(0, 1, 20), I = 1, its default recipe (AdamW lr 1e-3 constant, wd 0.01, batch 1024,
    /// 10,000 steps) and its initialisation; no check sweeps.
    public static let notebook: UniformConfig = {
        var c = UniformConfig()
        c.n = 200; c.m = 20
        c.inverseDensities = (0..<20).map { pow(20, Double($0) / 19) }
        c.checkEvery = 0
        c.recipe = TrainingRecipe(logEvery: 1_000)
        c.notebookInit = true
        c.seed = 5_02
        return c
    }()

    /// The initial standard deviation of W for the main sweep's models.
    public var initialStd: Double {
        notebookInit ? (2.0 / Double(n * m + inverseDensities.count * m)).squareRoot() : (2.0 / Double(n + m)).squareRoot()
    }
}

/// One trained model of a sweep, reduced to what the figures and claims use.
public struct UniformPoint: Codable, Sendable {
    public var n, m: Int
    public var inverseDensity: Double
    /// m/‖W‖_F².
    public var dimsPerFeature: Double
    public var frobenius2: Double
    /// Features with ‖W_i‖ > 0.5.
    public var represented: Int
    /// D_i and ‖W_i‖ of every feature.
    public var dims: [Float]
    public var norms: [Float]
    /// For each feature, the smallest cosine with any other feature (−1 for an antipodal partner).
    public var partnerCos: [Float]
    /// Counts of W_i·W_j over pairs of represented features, bins over [−1.5, 1.5].
    public var interference: [Int]
    /// Connected components of the feature geometry graph (represented features, linked when |W_i·W_j| > 0.05),
    /// and their sizes, largest first.
    public var factorSizes: [Int]
    /// Mean bias of the represented features.
    public var meanBias: Double
    /// |ΔD*| when W is replaced by OW for a random orthogonal O (basis independence, C5.6).
    public var rotationChange: Double
    /// The feature geometry graph as the reproduction draws it: nodes are features with D_i > 0.2, edges the pairs
    /// with |W_i·W_j| > 0.05, weighted by |W_i·W_j| (empty when more than 150 nodes).
    public var graphNodes: [Int]
    public var graphEdges: [GraphEdge]
}

public struct GraphEdge: Codable, Sendable {
    public var a, b: Int
    public var weight: Float
}

public struct UniformResults: Codable, Sendable {
    public var main: [UniformPoint]
    public var smallerN: [UniformPoint]
    public var largerM: [UniformPoint]
}

public struct UniformSuperposition: Experiment {
    public let id: String
    public var config: UniformConfig
    /// Appended to every claim ID ("-O" for the notebook's configuration), so both entries' claims stand side by side.
    public let claimSuffix: String
    public init(id: String = "uniform", config: UniformConfig = UniformConfig(), claimSuffix: String = "") {
        self.id = id; self.config = config; self.claimSuffix = claimSuffix
    }

    public var title: String {
        "Uniform superposition: dimensions per feature and feature dimensionality" + (claimSuffix.isEmpty ? "" : ", the official notebook's configuration")
    }
    public var section: String { "§5 The geometry of superposition" }
    public var version: Int { 2 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["UniformSuperposition.swift", "Rotation.swift"] }
    public var exactClaims: Set<String> { claimSuffix.isEmpty ? ["C5.6", "C5.19"] : [] }

    public func validate() throws {
        let c = config
        try Check.compresses(n: c.n, m: c.m, id)
        if c.checkEvery > 0 {
            try Check.compresses(n: c.smallerN, m: c.m, id)
            try Check.compresses(n: c.n, m: c.largerM, id)
        }
        try Check.atLeast(c.inverseDensities.count, 2, "inverseDensities count")
        try Check.densities(c.inverseDensities.map { 1 / $0 })
        try Check.atLeast(c.checkEvery, 0, "checkEvery")
        try Check.atLeast(c.interferenceBins, 2, "interferenceBins")
        try c.recipe.validate()
    }

    var checkDensities: [Double] {
        config.checkEvery > 0 ? stride(from: 0, to: config.inverseDensities.count, by: config.checkEvery).map { config.inverseDensities[$0] } : []
    }

    public func run(_ ctx: RunContext) throws -> UniformResults {
        let c = config
        let sweeps: [(n: Int, m: Int, inv: [Double])] = [(c.n, c.m, c.inverseDensities), (c.smallerN, c.m, checkDensities),
                                                          (c.n, c.largerM, checkDensities)]
        var specs: [ToyModelSpec] = []
        for (s, sweep) in sweeps.enumerated() {
            for (k, inv) in sweep.inv.enumerated() {
                specs.append(ToyModelSpec(n: sweep.n, m: sweep.m, activation: .relu, importance: Array(repeating: 1, count: sweep.n),
                                          density: Float(1 / inv), seed: deriveSeed(c.seed, UInt64(s), UInt64(k))))
            }
        }
        let trained = try Trainer.train(specs, recipe: c.recipe, threads: ctx.threads, initial: initialModels(specs))
        let points = Slots<UniformPoint>(count: trained.count)
        parallelFor(trained.count, threads: ctx.threads) { i in
            points[i] = summarise(trained[i].model, inverseDensity: Double(1 / trained[i].spec.density[0]),
                                  seed: deriveSeed(c.seed, 7, UInt64(i)))
        }
        let all = points.values.map { $0! }
        let a = c.inverseDensities.count, b = checkDensities.count
        return UniformResults(main: Array(all[0..<a]), smallerN: Array(all[a..<(a + b)]), largerM: Array(all[(a + b)...]))
    }

    /// With `notebookInit`, the main sweep's initial models (the first `inverseDensities.count` specs): W normal with
    /// `initialStd`, drawn per model from its own stream, and b = 0; nil otherwise (the engine's own draw).
    func initialModels(_ specs: [ToyModelSpec]) -> [ToyModel?]? {
        let c = config
        guard c.notebookInit else { return nil }
        return specs.enumerated().map { i, spec in
            guard i < c.inverseDensities.count else { return nil }
            var rng = Xoshiro(seed: deriveSeed(c.seed, 11, UInt64(i)))
            let W = (0..<(spec.m * spec.n)).map { _ in Float(rng.normal() * c.initialStd) }
            return ToyModel(n: spec.n, m: spec.m, activation: .relu, W: W, b: Array(repeating: 0, count: spec.n))
        }
    }

    func summarise(_ model: ToyModel, inverseDensity: Double, seed: UInt64) -> UniformPoint {
        let n = model.n, m = model.m
        let norms = model.featureNorms
        let gram = model.gram
        let rep = (0..<n).filter { norms[$0] > 0.5 }
        var partner = [Float](repeating: 1, count: n)
        for i in 0..<n where norms[i] > 1e-6 {
            var best = 1.0
            for j in 0..<n where j != i && norms[j] > 1e-6 { best = min(best, gram[i * n + j] / (norms[i] * norms[j])) }
            partner[i] = Float(best)
        }
        var hist = [Int](repeating: 0, count: config.interferenceBins)
        for (a, i) in rep.enumerated() {
            for j in rep[(a + 1)...] {
                let v = gram[i * n + j]
                let k = Int(((v + 1.5) / 3 * Double(hist.count)).rounded(.down))
                hist[min(hist.count - 1, max(0, k))] += 1
            }
        }
        // Tegum factors: connected components among represented features, linked by |W_i·W_j| > 0.05.
        var links: [(Int, Int)] = []
        for (a, i) in rep.enumerated() { for j in rep[(a + 1)...] where abs(gram[i * n + j]) > 0.05 { links.append((i, j)) } }
        // Basis independence: D* of OW for a random orthogonal O.
        let rotated = rotatedByRandomOrthogonal(model, seed: seed)
        let frob = model.W.reduce(0.0) { $0 + Double($1) * Double($1) }
        let dims = model.dimensionality
        var nodes = (0..<n).filter { dims[$0] > 0.2 }
        if nodes.count > 150 { nodes = [] }
        var edges: [GraphEdge] = []
        for (a, i) in nodes.enumerated() {
            for j in nodes[(a + 1)...] where abs(gram[i * n + j]) > 0.05 { edges.append(GraphEdge(a: i, b: j, weight: Float(abs(gram[i * n + j])))) }
        }
        return UniformPoint(n: n, m: m, inverseDensity: inverseDensity, dimsPerFeature: model.dimensionsPerFeature, frobenius2: frob,
                            represented: rep.count, dims: model.dimensionality.map(Float.init), norms: norms.map(Float.init),
                            partnerCos: partner, interference: hist, factorSizes: Self.components(rep, links).map(\.count),
                            meanBias: rep.isEmpty ? 0 : rep.map { Double(model.b[$0]) }.reduce(0, +) / Double(rep.count),
                            rotationChange: abs(rotated.dimensionsPerFeature - model.dimensionsPerFeature),
                            graphNodes: nodes, graphEdges: edges)
    }

    // MARK: Figures

    static let fractions: [(Double, String)] = [(1, "1"), (3.0 / 4, "3/4"), (2.0 / 3, "2/3"), (1.0 / 2, "1/2"), (2.0 / 5, "2/5"),
                                                (3.0 / 8, "3/8")]

    /// The paper-size entry draws all four figures; the notebook's entry the first two, named after its id.
    public func figures(_ r: UniformResults) -> [FigureOutput] {
        guard claimSuffix.isEmpty else {
            return [dimsFigure(r), dimensionalityFigure(r)].map { f in var f = f; f.name = "\(id)-\(f.name)"; return f }
        }
        return [dimsFigure(r), dimensionalityFigure(r), interferenceFigure(r), graphFigure(r)]
    }

    /// Names the recipe in figure titles: empty for the paper-size sweep.
    var recipeNote: String { claimSuffix.isEmpty ? "" : "; [O]'s set-up" }

    func dimsFigure(_ r: UniformResults) -> FigureOutput {
        let c = config
        let xr = (1.0, c.inverseDensities.max()! * 1.05)
        let drawing = Drawing(width: 700, height: 380) { cv in
            cv.text("Dimensions per feature, m/‖W‖²_F, over sparsity (I = 1\(recipeNote))", at: Point(16, 20), size: 12.5, bold: true)
            let axes = Axes(frame: Rect(70, 46, 380, 270), x: xr, y: (0, 1.1), xLog: true)
            axes.draw(on: cv, xLabel: "1/(1−S)", yLabel: "m / ‖W‖²_F", xTicks: [1, 2, 5, 10, 20], yTicks: [0, 0.25, 0.5, 0.75, 1])
            for v in [1.0, 0.5] {
                cv.line(axes.point(xr.0, v), axes.point(xr.1, v), Color(hex: "#999999"), width: 0.8, dash: [4, 3])
            }
            let series: [(String, [UniformPoint], Color)] = [
                ("n = \(c.n), m = \(c.m)", r.main, Color(hex: "#2255bb")),
                ("n = \(c.smallerN), m = \(c.m)", r.smallerN, Color(hex: "#dd7722")),
                ("n = \(c.n), m = \(c.largerM)", r.largerM, Color(hex: "#33997a")),
            ].filter { !$0.1.isEmpty }
            for (k, s) in series.enumerated() {
                let pts = s.1.map { axes.point($0.inverseDensity, $0.dimsPerFeature) }
                cv.polyline(pts, s.2, width: k == 0 ? 1.6 : 1.1)
                for p in pts { cv.circle(p, radius: k == 0 ? 2.8 : 2.2, fill: s.2, stroke: .white, width: 0.5) }
                let ly = 70.0 + Double(k) * 18
                cv.line(Point(470, ly), Point(492, ly), s.2, width: 1.6)
                cv.circle(Point(481, ly), radius: 2.8, fill: s.2)
                cv.text(s.0, at: Point(498, ly), size: 10, middle: true)
            }
            cv.text("dashed: the sticky values 1 and 1/2", at: Point(470, 70 + Double(series.count) * 18), size: 9, color: .axis, middle: true)
        }
        return FigureOutput(name: "dims-per-feature",
                            caption: "Dimensions per feature against 1/(1−S) for n = \(c.n), m = \(c.m) (blue)"
                                + (r.smallerN.isEmpty && r.largerM.isEmpty ? ", trained with the official notebook's configuration, recipe and initialisation. "
                                   : ", with n = \(c.smallerN) (orange: n does not matter while n ≫ m) and m = \(c.largerM) (green: twice the dimensions "
                                   + "hold twice the features, so the curve is the same). ")
                                + "The dashed lines mark the values the paper calls sticky, 1 (no superposition) and 1/2 (antipodal pairs).",
                            drawing: drawing)
    }

    func dimensionalityFigure(_ r: UniformResults) -> FigureOutput {
        let c = config
        let xr = (0.95, c.inverseDensities.max()! * 1.05)
        let drawing = Drawing(width: 760, height: 380) { cv in
            cv.text("Feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)², n = \(c.n), m = \(c.m)\(recipeNote.isEmpty ? "" : ", [O]'s set-up")", at: Point(16, 20), size: 12.5, bold: true)
            let axes = Axes(frame: Rect(70, 46, 420, 270), x: xr, y: (0, 1.05), xLog: true)
            axes.draw(on: cv, xLabel: "1/(1−S)", yLabel: "dimensionality", xTicks: [1, 2, 5, 10, 20], yTicks: [0, 0.25, 0.5, 0.75, 1])
            // Labels in two columns, alternating, since neighbouring fractions (2/5, 3/8) lie closer than a line of text.
            for (k, (v, label)) in Self.fractions.enumerated() {
                cv.line(axes.point(xr.0, v), axes.point(xr.1, v), Color(hex: "#bb88cc"), width: 0.7)
                cv.text(label, at: Point(axes.frame.maxX + 4 + Double(k % 2) * 28, axes.y(v)), size: 8.5, color: Color(hex: "#884499"), middle: true)
            }
            let step = log(c.inverseDensities.count > 1 ? c.inverseDensities[1] / c.inverseDensities[0] : 1.1)
            for p in r.main {
                for (i, d) in p.dims.enumerated() where p.norms[i] > 0.5 {
                    // Deterministic jitter of ±30 % of the gap to the next sparsity.
                    let jitter = (Double(i % 13) / 12 - 0.5) * 0.6 * step
                    cv.circle(axes.point(p.inverseDensity * exp(jitter), Double(d)), radius: 1.1, fill: Color(0, 0, 0, 0.35))
                }
            }
            let line = r.main.map { axes.point($0.inverseDensity, $0.dimsPerFeature) }
            cv.polyline(line, Color(hex: "#2255bb"), width: 1.4)
            // Histogram of all D_i of represented features, sideways.
            let hist = Rect(560, 46, 170, 270)
            let bins = 105
            var counts = [Int](repeating: 0, count: bins)
            for p in r.main { for (i, d) in p.dims.enumerated() where p.norms[i] > 0.5 { counts[min(bins - 1, Int(Double(d) * 100))] += 1 } }
            let top = Double(counts.max() ?? 1)
            let y = Scale(domain: (0, 1.05), range: (hist.maxY, hist.y))
            for (k, n) in counts.enumerated() where n > 0 {
                let y0 = y(Double(k + 1) / 100), y1 = y(Double(k) / 100)
                cv.fill(Rect(hist.x, y0, hist.width * Double(n) / top, y1 - y0), Color(hex: "#444444"))
            }
            for (v, _) in Self.fractions { cv.line(Point(hist.x, y(v)), Point(hist.maxX, y(v)), Color(hex: "#bb88cc"), width: 0.6) }
            cv.stroke(hist, .axis, width: 0.8)
            cv.text("D_i of represented features (bins of 0.01)", at: Point(hist.center.x, hist.maxY + 18), size: 9.5, anchor: .middle)
            cv.text("max \(Int(top))", at: Point(hist.maxX, hist.y - 6), size: 8.5, anchor: .end, color: .axis)
        }
        return FigureOutput(name: "feature-dimensionality",
                            caption: "Every represented feature's dimensionality (dots, ‖W_i‖ > 0.5) over the sweep, with m/‖W‖²_F (blue line) and "
                                + "the fractions of the paper's polytopes (purple); right: the histogram of all of them.",
                            drawing: drawing)
    }

    /// The sweep points shown in the interference figure: the densest with at least two represented features
    /// (on denser features, ‖W_i‖ spreads below 0.5), then three spread over the rest.
    func interferenceIndices(_ points: [UniformPoint]) -> [Int] {
        let first = points.firstIndex { $0.represented >= 2 } ?? 0
        let last = points.count - 1
        return [first, first + (last - first) / 4, first + (last - first) / 2, last]
    }

    func interferenceFigure(_ r: UniformResults) -> FigureOutput {
        let idx = interferenceIndices(r.main)
        let w = 170.0, gap = 30.0
        let drawing = Drawing(width: 70 + Double(idx.count) * (w + gap), height: 300) { cv in
            cv.text("Interference W_i·W_j between represented features (log count), n = \(config.n), m = \(config.m)",
                    at: Point(16, 20), size: 12.5, bold: true)
            let maxCount = idx.map { r.main[$0].interference.max() ?? 1 }.max() ?? 1
            for (k, i) in idx.enumerated() {
                let p = r.main[i]
                let axes = Axes(frame: Rect(60 + Double(k) * (w + gap), 56, w, 180), x: (-1.5, 1.5), y: (1, Double(maxCount) * 1.5), yLog: true)
                axes.draw(on: cv, xLabel: "W_i·W_j", yLabel: k == 0 ? "pairs" : "", xTicks: [-1, 0, 1], yTicks: [1, 10, 100, 1000, 10000].filter { $0 <= Double(maxCount) * 1.5 })
                let bw = 3.0 / Double(p.interference.count)
                for (b, n) in p.interference.enumerated() where n > 0 {
                    let x0 = axes.x(-1.5 + Double(b) * bw), x1 = axes.x(-1.5 + Double(b + 1) * bw)
                    let y0 = axes.y(Double(n) + 1)
                    cv.fill(Rect(x0, y0, x1 - x0, axes.frame.maxY - y0), Color(hex: "#2255bb"))
                }
                cv.text("1/(1−S) = \(formatNumber((p.inverseDensity * 10).rounded() / 10)), \(p.represented) features",
                        at: Point(axes.frame.center.x, 48), size: 9.5, anchor: .middle, bold: true)
            }
        }
        return FigureOutput(name: "interference",
                            caption: "The distribution of W_i·W_j over pairs of represented features (‖W_i‖ > 0.5) at four sparsities "
                                + "of the main sweep, counts on a log scale; each panel names its density and how many features are represented. "
                                + "Biases are not drawn.",
                            drawing: drawing)
    }

    /// Four sweep points for the graphs: spread over the points whose graph has at least 4 nodes and holds at least
    /// 80 % of the represented features (at high sparsity most D_i fall below the cut, and a graph of the few left
    /// would show the cut, not the geometry).
    func graphIndices(_ points: [UniformPoint]) -> [Int] {
        let ok = points.indices.filter {
            points[$0].graphNodes.count >= 4 && Double(points[$0].graphNodes.count) >= 0.8 * Double(points[$0].represented)
        }
        guard ok.count > 4 else { return ok }
        return (0..<4).map { ok[$0 * (ok.count - 1) / 3] }
    }

    /// Connected components of a graph, largest first (ties: smallest feature first), each sorted.
    static func components(_ nodes: [Int], _ edges: [(Int, Int)]) -> [[Int]] {
        var parent = [Int: Int]()
        for v in nodes { parent[v] = v }
        func find(_ x: Int) -> Int { var x = x; while parent[x]! != x { x = parent[x]! }; return x }
        for (a, b) in edges { let ra = find(a), rb = find(b); if ra != rb { parent[max(ra, rb)] = min(ra, rb) } }
        var groups: [Int: [Int]] = [:]
        for v in nodes { groups[find(v), default: []].append(v) }
        return groups.values.map { $0.sorted() }.sorted { $0.count != $1.count ? $0.count > $1.count : $0[0] < $1[0] }
    }

    func graphFigure(_ r: UniformResults) -> FigureOutput {
        let idx = graphIndices(r.main)
        let w = 230.0
        let drawing = Drawing(width: max(760, 90 + Double(max(1, idx.count)) * (w + 20)), height: 330) { cv in
            cv.text("Feature geometry graphs: features with D_i > 0.2, linked when |W_i·W_j| > 0.05 (n = \(config.n), m = \(config.m))",
                    at: Point(16, 20), size: 12.5, bold: true)
            for (k, i) in idx.enumerated() {
                let p = r.main[i]
                let frame = Rect(20 + Double(k) * (w + 20), 60, w, w)
                cv.fill(frame, .paper)
                cv.stroke(frame, Color(hex: "#bbbbbb"), width: 0.6)
                let comps = Self.components(p.graphNodes, p.graphEdges.map { ($0.a, $0.b) })
                cv.text("1/(1−S) = \(formatNumber((p.inverseDensity * 10).rounded() / 10))", at: Point(frame.center.x, 44), size: 10, anchor: .middle, bold: true)
                cv.text("\(p.graphNodes.count) nodes (\(p.represented) represented), \(comps.count) component\(comps.count == 1 ? "" : "s")", at: Point(frame.center.x, 56), size: 8.5, anchor: .middle, color: .axis)
                // Each component on its own small circle, in a grid.
                let cols = max(1, Int(Double(comps.count).squareRoot().rounded(.up)))
                let cell = w / Double(cols)
                var position: [Int: Point] = [:]
                for (c, comp) in comps.enumerated() {
                    let centre = Point(frame.x + (Double(c % cols) + 0.5) * cell, frame.y + (Double(c / cols) + 0.5) * cell)
                    let radius = comp.count == 1 ? 0 : cell * 0.36
                    for (t, v) in comp.enumerated() {
                        let a = 2 * Double.pi * Double(t) / Double(comp.count) - Double.pi / 2
                        position[v] = Point(centre.x + radius * cos(a), centre.y + radius * sin(a))
                    }
                }
                for e in p.graphEdges {
                    guard let a = position[e.a], let b = position[e.b] else { continue }
                    cv.line(a, b, Color(0.2, 0.2, 0.2, min(1, 0.25 + Double(e.weight))), width: 0.4 + 1.6 * Double(min(1, e.weight)))
                }
                for v in p.graphNodes {
                    cv.circle(position[v]!, radius: 2.6, fill: ColorMap.viridis(min(1, Double(p.dims[v]))), stroke: .white, width: 0.4)
                }
            }
            cv.colorBar(in: Rect(25 + Double(max(1, idx.count)) * (w + 20), 60, 8, 120), map: .viridis, range: 0, 1, ticks: [0, 0.5, 1], label: "D_i")
        }
        return FigureOutput(name: "feature-graphs",
                            caption: "Feature geometry graphs at four sparsities: each connected component, drawn on its own circle, is a tegum "
                                + "factor (no interference between components); edge width = |W_i·W_j|, node colour = D_i. Antipodal pairs appear "
                                + "as two-node components, larger polytopes as larger ones. Each panel gives its number of nodes (features "
                                + "with D_i > 0.2) beside its number of represented features (‖W_i‖ > 0.5; the two sets differ at the edges); "
                                + "only sparsities with at least 80 % as many nodes as represented features are drawn, since beyond them the "
                                + "cut, not the geometry, would decide what the graph shows.",
                            drawing: drawing)
    }

    // MARK: Claims

    /// Every claim of the sweep; with a `claimSuffix`, only those the main sweep alone decides (C5.1, C5.2, C5.5,
    /// C5.7, C5.10, C5.12), their IDs suffixed and their statements naming the notebook's configuration.
    public func claims(_ r: UniformResults) -> [Claim] {
        let judged = sweepClaims(r)
        guard !claimSuffix.isEmpty else { return judged }
        return judged.filter { ["C5.1", "C5.2", "C5.5", "C5.7", "C5.10", "C5.12"].contains($0.id) }.map { c in
            var c = c
            c.id += claimSuffix
            c.statement += " (the official notebook's n = \(config.n), m = \(config.m), recipe and initialisation)"
            return c
        }
    }

    func sweepClaims(_ r: UniformResults) -> [Claim] {
        let sec = section, c = config
        var out: [Claim] = []
        // C5.1 sticky at 1 and 1/2. A plateau is a run of consecutive points at 1/2 whose 1/(1−S) spans a factor of at
        // least 1.15: three points of the main grid (step ×1.09), two of the notebook's (step ×1.17).
        let dense = r.main.filter { $0.inverseDensity <= 1.5 }
        let denseOK = !dense.isEmpty && dense.allSatisfy { abs($0.dimsPerFeature - 1) <= 0.02 }
        let near = r.main.map { abs($0.dimsPerFeature - 0.5) <= 0.02 }
        var run = 0, longest = 0, at = 0, widest = 1.0
        for (k, v) in near.enumerated() {
            run = v ? run + 1 : 0
            if run > 0 { let span = r.main[k].inverseDensity / r.main[k - run + 1].inverseDensity; if longest == 0 || span > widest * (1 + 1e-9) { widest = span; longest = run; at = k } }
        }
        let plateau = longest > 0 ? r.main[(at - longest + 1)...at] : []
        out.append(.rule("C5.1", section: sec, "Dimensions per feature is sticky at 1 and at 1/2",
                         paper: "D* = 1 on dense features; a plateau at 1/2 ([K]: 1/(1−S) ≈ 2.7–3.7)",
                         ours: "D* at 1/(1−S) ≤ 1.5: " + dense.map { f3($0.dimsPerFeature) }.joined(separator: ", ")
                            + "; widest run at 0.50 ± 0.02: \(longest) points" + (plateau.isEmpty ? "" : " (1/(1−S) = \(f2(plateau.first!.inverseDensity))–\(f2(plateau.last!.inverseDensity)), a factor \(f2(widest)))"),
                         rule: "D* = 1 ± 0.02 at every point with 1/(1−S) ≤ 1.5, and consecutive points at 0.50 ± 0.02 over a factor ≥ 1.15 in 1/(1−S)",
                         reason: "the catalogue's test; 0.02 is the spread of D* between neighbouring sweep points on a plateau; a factor 1.15 is three points of the paper-size sweep's grid (×1.09 a step) and two of the official notebook's (×1.17)",
                         holds: denseOK && longest > 0 && widest >= 1.15))
        // C5.2 the plateau is antipodal pairs.
        let plateauFeatures = plateau.flatMap { p in p.dims.indices.filter { p.norms[$0] > 0.5 }.map { (Double(p.dims[$0]), Double(p.partnerCos[$0])) } }
        let antipodal = plateauFeatures.filter { abs($0.0 - 0.5) <= 0.05 && $0.1 < -0.95 }.count
        let frac = plateauFeatures.isEmpty ? 0 : Double(antipodal) / Double(plateauFeatures.count)
        out.append(.rule("C5.2", section: sec, "The 1/2 plateau is made of antipodal pairs",
                         paper: "almost every represented feature has D_i ≈ 1/2 and a partner at cos ≈ −1",
                         ours: "\(antipodal) of \(plateauFeatures.count) represented features on the plateau (\(Int((frac * 100).rounded())) %)",
                         rule: "≥ 90 % of represented features on the plateau have D_i = 0.50 ± 0.05 and a partner with cos < −0.95",
                         reason: "'almost every' made explicit; ±0.05 and −0.95 allow the small residual interference of a trained model",
                         holds: !plateauFeatures.isEmpty && frac >= 0.9))
        if config.checkEvery > 0 && !r.smallerN.isEmpty && !r.largerM.isEmpty { out += checkSweepClaims(r) }
        // C5.5 ‖W‖_F² ≈ number represented.
        let counted = r.main.filter { $0.represented > 0 }.map { $0.frobenius2 / Double($0.represented) }
        // A point with no feature represented agrees when ‖W‖²_F is below one feature's worth (0.5) too.
        let outside = r.main.filter {
            $0.represented == 0 ? $0.frobenius2 > 0.5 : !($0.frobenius2 / Double($0.represented) >= 0.9 && $0.frobenius2 / Double($0.represented) <= 1.35)
        }
        out.append(.rule("C5.5", section: sec, "‖W‖²_F approximately counts the features represented, because ‖W_i‖² is ≈ 1 or ≈ 0",
                         paper: "‖W‖²_F ≈ #{‖W_i‖ > 0.5}",
                         ours: "ratio over the sweep \(f2(counted.min() ?? .nan))–\(f2(counted.max() ?? .nan)); outside the range at \(outside.count) of \(r.main.count) points"
                            + (outside.isEmpty ? "" : " (1/(1−S) = " + outside.map { f2($0.inverseDensity) }.joined(separator: ", ") + ": there ‖W_i‖ spreads below 0.5 over many features)"),
                         rule: "ratio within [0.9, 1.35] at every sweep point (where no feature is represented: ‖W‖²_F ≤ 0.5)",
                         reason: "features in superposition have ‖W_i‖ a little above 1 (the catalogue's pentagon: ‖W_i‖² ≈ 1.29), so 'approximately' allows +35 % and −10 %",
                         holds: !counted.isEmpty && outside.isEmpty))
        let rot = (r.main + r.smallerN + r.largerM).map(\.rotationChange).max() ?? .nan
        out.append(.within("C5.6", section: sec, "D* is basis independent: unchanged when W is replaced by OW (O a random orthogonal matrix)",
                           paper: 0, ours: rot, tolerance: 1e-4, reason: "largest change over every trained model; float rounding of the rotated weights only"))
        // C5.7 clusters of D_i.
        let all = r.main.flatMap { p in p.dims.indices.filter { p.norms[$0] > 0.5 }.map { Double(p.dims[$0]) } }
        func count(_ lo: Double, _ hi: Double) -> Int { all.filter { $0 >= lo && $0 < hi }.count }
        let targets: [(Double, String)] = [(0.75, "3/4"), (2.0 / 3, "2/3"), (0.5, "1/2"), (0.4, "2/5"), (0.375, "3/8")]
        let found = targets.map { t -> (String, Bool, Int) in
            // Windows of half-width w = (2/5 − 3/8)/4, so that no fraction's centre window overlaps another's or its
            // flanks: 3/8 and 2/5 share the trough between them as a flank.
            let w = 0.025 / 4
            let centre = count(t.0 - w, t.0 + w)
            let left = count(t.0 - 3 * w, t.0 - w), right = count(t.0 + w, t.0 + 3 * w)
            return (t.1, centre > left && centre > right && centre >= 5, centre)
        }
        out.append(.rule("C5.7", section: sec, "D_i clusters at 3/4, 2/3, 1/2, 2/5 and 3/8",
                         paper: "peaks at 0.75, 0.667, 0.5, 0.4, 0.375",
                         ours: found.map { "\($0.0): \($0.1 ? "peak" : "no peak") (\($0.2))" }.joined(separator: "; "),
                         rule: "for each value v, the D_i of represented features in [v − w, v + w) number ≥ 5 and outnumber those in each flank [v − 3w, v − w) and [v + w, v + 3w), w = 1/160",
                         reason: "a local maximum of the histogram; w is a quarter of the gap between 3/8 and 2/5, so no fraction's window overlaps a neighbour's centre (the earlier ±0.01 window with flanks 0.02–0.04 away put 3/8 inside 2/5's flank, so both could never pass)",
                         holds: found.allSatisfy(\.1)))
        // C5.10 Σ D_i ≈ m on plateaus.
        let onPlateaus = r.main.filter { abs($0.dimsPerFeature - 1) <= 0.02 || abs($0.dimsPerFeature - 0.5) <= 0.02 }
        let sums = onPlateaus.map { p in p.dims.map(Double.init).reduce(0, +) / Double(p.m) }
        out.append(.rule("C5.10", section: sec, "The dimensionalities add up to the number of dimensions when features are packed efficiently",
                         paper: "Σ_i D_i ≈ m",
                         ours: "Σ D_i / m on the \(sums.count) plateau points: \(f3(sums.min() ?? .nan))–\(f3(sums.max() ?? .nan))",
                         rule: "within 5 % of 1 at every point on the plateaus at 1 and 1/2",
                         reason: "the catalogue's 5 %", holds: !sums.isEmpty && sums.allSatisfy { abs($0 - 1) <= 0.05 }))
        // C5.12 against the null of continuous tracking: where D* lies between the fractions, do the D_i sit on a
        // fraction (jumps between geometries) or on D* (every feature tracking D* continuously)?
        let fractionValues = Self.fractions.map(\.0) + [1.0 / 3]
        let between = r.main.filter { p in p.dimsPerFeature >= 0.375 && p.represented > 0
            && fractionValues.allSatisfy { abs(p.dimsPerFeature - $0) >= 0.02 } }
        let shares = between.map { p -> (Double, Double, Double) in
            let rep = p.dims.indices.filter { p.norms[$0] > 0.5 }.map { Double(p.dims[$0]) }
            let onF = Double(rep.filter { d in fractionValues.contains { abs(d - $0) <= 0.02 } }.count) / Double(rep.count)
            let onD = Double(rep.filter { abs($0 - p.dimsPerFeature) <= 0.02 }.count) / Double(rep.count)
            return (p.inverseDensity, onF, onD)
        }
        let jumps = shares.filter { $0.1 > $0.2 }.count
        out.append(Claim.rule("C5.12", section: sec, "The model jumps between specific geometries as sparsity varies",
                              paper: "D_i concentrate on a few fractions",
                              ours: "at the \(shares.count) sweep points where D* ≥ 3/8 lies between the fractions, the represented D_i sit more on a fraction than on D* at \(jumps); "
                                + shares.map { "1/(1−S) = \(f2($0.0)): \(pct($0.1)) on a fraction, \(pct($0.2)) on D*" }.joined(separator: "; "),
                              rule: "at ≥ 80 % of the sweep points where D* ≥ 3/8 is at least 0.02 from every fraction (1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3), more represented D_i lie within 0.02 of a fraction than within 0.02 of D*",
                              reason: "the null is continuous tracking, every D_i near D*; 3/8 is the smallest fraction the paper names, so below it there are no named geometries to jump between",
                              holds: !shares.isEmpty && 5 * jumps >= 4 * shares.count).exploratory())
        // C5.17 tegum factors.
        let sparse = r.main.last!
        out.append(.unchecked("C5.17", section: sec, "In the feature geometry graph, disconnected subgraphs are different tegum factors",
                              paper: "components ↔ mutually orthogonal groups",
                              reason: "true by construction of the graph (an edge is a non-zero W_i·W_j); we report the factors: at 1/(1−S) = \(formatNumber((sparse.inverseDensity * 10).rounded() / 10)), \(sparse.factorSizes.count) components, largest \(sparse.factorSizes.prefix(5).map(String.init).joined(separator: ", "))"))
        for (id, text, why) in [
            ("C5.8", "In the dense regime basis features are indistinguishable from other directions",
             "qualitative; at the densest sweep point \(r.main.first.map { "\($0.represented) of \($0.n)" } ?? "none") features pass ‖W_i‖ > 0.5 (see C5.5)"),
            ("C5.11", "Everything strictly between 0 and 1 is superposition: many superposition 'phases'", "an interpretation, not a measurement"),
            ("C5.13", "Several configurations are solutions of the Thomson problem", "a remark about known geometry; not measured"),
            ("C5.18", "Higher-dimensional solutions are often tegum products of 1-, 2- and 3-D solutions", "speculation; the factor sizes are reported under C5.17"),
            ("C5.19", "Every rank-m PSD WᵀW corresponds to n points in R^m: polytopes and superposition strategies correspond", "a mathematical fact (Cholesky / eigendecomposition), nothing to measure"),
        ] {
            out.append(.unchecked(id, section: sec, text, paper: "—", reason: why))
        }
        return out
    }
    /// C5.3 and C5.4: the n- and m-check sweeps against the main sweep at the shared sparsities.
    func checkSweepClaims(_ r: UniformResults) -> [Claim] {
        let sec = section, c = config
        var out: [Claim] = []
        // C5.3 n does not matter: compare at the shared sparsities.
        let shared = zip(r.smallerN, stride(from: 0, to: r.main.count, by: c.checkEvery).map { r.main[$0] })
        let relDiff = shared.map { abs($0.0.dimsPerFeature - $0.1.dimsPerFeature) / $0.1.dimsPerFeature }
        let meanDiff = relDiff.reduce(0, +) / Double(max(1, relDiff.count))
        out.append(.within("C5.3", section: sec, "n does not matter as long as n ≫ m: D*(S) for n = \(c.smallerN) and n = \(c.n) (m = \(c.m)) agree",
                           paper: 0, ours: meanDiff, tolerance: 0.05,
                           reason: "mean relative difference of D* over the \(relDiff.count) shared sparsities; 'within a few %' read as 5 %"))
        // C5.4 doubling m doubles the features.
        let pairs = zip(r.largerM, stride(from: 0, to: r.main.count, by: c.checkEvery).map { r.main[$0] })
        let ratios = pairs.map { $0.0.frobenius2 / $0.1.frobenius2 }.sorted()
        let medianRatio = ratios.isEmpty ? .nan : ratios[ratios.count / 2]
        out.append(.within("C5.4", section: sec, "Doubling m doubles the number of features learned: ‖W‖²_F(m = \(c.largerM)) / ‖W‖²_F(m = \(c.m))",
                           paper: 2, ours: medianRatio, tolerance: 0.2,
                           reason: "median over the \(ratios.count) shared sparsities (range \(ratios.isEmpty ? "—" : f2(ratios.first!) + "–" + f2(ratios.last!))); 10 % allows n = \(c.n) to be less than ≫ \(c.largerM) at the sparsest points"))
        return out
    }
}

extension UniformConfig: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension UniformSuperposition {
    public var smoke: UniformSuperposition {
        var e = self
        e.config.n = 24; e.config.m = 4; e.config.smallerN = 12; e.config.largerM = 8
        e.config.inverseDensities = [1, 1.5, 3, 10]; e.config.recipe = smokeRecipe
        return e
    }
}
