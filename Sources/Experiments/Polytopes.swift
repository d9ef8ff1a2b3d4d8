// Paper §5.3–§5.5, The Geometry of Superposition: polytopes. The ideal polytopes' feature dimensionalities as
// exact checks (tegum products split their lines), the trained triangle (n = 3, m = 2) and regular pentagon
// (n = 5, m = 2), and the pentagon perturbed by making one feature denser or sparser: the solutions deform, and
// below a critical density the pentagon gives way to two digons, a first-order phase change where the two
// geometries' loss curves cross.
// Run alone: `paper run polytopes`.

import Engine
import Foundation
import Plot
import Report

/// Settings of the polytope experiments, with their sources.
public struct PolytopeConfig: Codable, Sendable {
    /// Paper §5.4–§5.5 and the catalogue: I = 1, 1−S = 0.05 for every feature.
    public var density: Float = 0.05
    /// Relative density ρ of feature 0 in the perturbed pentagon: 1−S₀ = 0.05ρ ([K]: logspace(−1, 1, 20) for the
    /// loss crossover).
    public var relativeDensities: [Double] = (0..<21).map { pow(10, -1 + 2 * Double($0) / 20) }
    /// Random restarts per ρ; each ρ also trains once from an ideal pentagon and once from two ideal digons.
    public var restarts = 4
    /// Restarts for the uniform triangle and pentagon (the best is kept; the last triangle starts as an ideal one).
    public var uniformRestarts = 6
    /// Optimiser recipe of every fit (the official notebook's).
    public var recipe = TrainingRecipe.notebook
    /// Samples for each loss; every fit at one ρ is evaluated on the same samples, so differences are precise.
    public var evalSamples = 1 << 20
    /// Root seed; every instance's seed derives from it.
    public var seed: UInt64 = 5_05
}

/// One fit of the perturbed pentagon.
public struct PolytopeFit: Codable, Sendable {
    public enum Start: String, Codable, Sendable { case random, pentagon, digons }
    public var start: Start
    public var model: ToyModel
    public var loss: Double
    /// Features with ‖W_i‖ > 0.5: 5 = pentagon, 4 = digons (feature 0 dropped), fewer = other.
    public var represented: Int
}

public struct PolytopeResults: Codable, Sendable {
    public var triangle: ToyModel
    public var pentagon: ToyModel
    public var pentagonLoss: Double
    /// fits[k] are the fits at relativeDensities[k].
    public var fits: [[PolytopeFit]]
    /// The ideal polytopes built by construction (no training), for the exact claims.
    public var constructions: PolytopeConstructions
}

/// Ideal polytopes built from their vertices, with the feature dimensionalities D_i of the W they make.
public struct PolytopeConstructions: Codable, Sendable {
    public struct Shape: Codable, Sendable {
        public var name: String
        public var dimensionality: [Double]
        /// The fractions the paper gives.
        public var expected: [Double]
    }
    public var shapes: [Shape]
    /// The pairwise cosines of the regular 4-simplex made by projecting the basis of R⁵ orthogonally to (1, …, 1).
    public var simplexCosines: [Double]
    /// D_i of an antipodal pair plus an unlearned feature: W = [[1, 0], [−1, 0], [0, 0]].
    public var antipodal: [Double]
}

public struct Polytopes: Experiment {
    public var config = PolytopeConfig()
    public init() {}

    public var id: String { "polytopes" }
    public var title: String { "Polytopes: triangle, pentagon, and the pentagon–digon phase change" }
    public var section: String { "§5 The geometry of superposition" }
    public var version: Int { 1 }
    public var seed: UInt64 { config.seed }
    public var sourceFiles: [String] { ["Polytopes.swift"] }
    public var independentSeeds: Int { 5 }
    public var exactClaims: Set<String> { ["C5.7-ideal", "C5.14", "C5.15", "C5.16", "C5.21", "C5.9"] }

    public func validate() throws {
        let c = config
        try Check.densities([c.density])
        try Check.densities(c.relativeDensities.map { Double(c.density) * $0 })
        try Check.atLeast(c.relativeDensities.count, 2, "relativeDensities count")
        try Check.atLeast(c.restarts, 0, "restarts")
        try Check.atLeast(c.uniformRestarts, 1, "uniformRestarts")
        try Check.atLeast(c.evalSamples, 1024, "evalSamples")
        try c.recipe.validate()
    }

    /// Unit vectors at the given angles (degrees), as the columns of a 2×n W, with bias b.
    static func planar(_ degrees: [Double?], bias: Float) -> ToyModel {
        let n = degrees.count
        var W = [Float](repeating: 0, count: 2 * n)
        for (i, d) in degrees.enumerated() {
            guard let d else { continue }
            W[i] = Float(cos(d * .pi / 180)); W[n + i] = Float(sin(d * .pi / 180))
        }
        return ToyModel(n: n, m: 2, activation: .relu, W: W, b: Array(repeating: bias, count: n))
    }

    public func run(_ ctx: RunContext) throws -> PolytopeResults {
        let c = config
        let ones3 = [Float](repeating: 1, count: 3), ones5 = [Float](repeating: 1, count: 5)
        // The uniform triangle and pentagon, best of several restarts.
        var specs: [ToyModelSpec] = []
        for r in 0..<c.uniformRestarts {
            specs.append(ToyModelSpec(n: 3, m: 2, activation: .relu, importance: ones3, density: c.density, seed: deriveSeed(c.seed, 1, UInt64(r))))
        }
        for r in 0..<c.uniformRestarts {
            specs.append(ToyModelSpec(n: 5, m: 2, activation: .relu, importance: ones5, density: c.density, seed: deriveSeed(c.seed, 2, UInt64(r))))
        }
        // The last triangle restart starts from an ideal triangle, so that the best fit is chosen between geometries
        // rather than left to where gradient descent happens to end.
        var starts0 = [ToyModel?](repeating: nil, count: specs.count)
        starts0[c.uniformRestarts - 1] = Self.planar([90, 210, 330], bias: -0.1)
        let uniform = try Trainer.train(specs, recipe: c.recipe, threads: ctx.threads, initial: starts0)
        let uniformLosses = Evaluation.losses(uniform, samples: c.evalSamples, threads: ctx.threads) { i in
            deriveSeed(c.seed, 3, UInt64(i / c.uniformRestarts))
        }
        let u = c.uniformRestarts
        let triangle = uniform[Evaluation.best(Array(uniformLosses[0..<u]))].model
        let bestPentagon = u + Evaluation.best(Array(uniformLosses[u..<(2 * u)]))
        // The perturbed pentagon: random restarts, plus one fit from an ideal pentagon and one from two digons
        // (feature 0 at the origin, the others at 0°, 90°, 180°, 270°), so both geometries are optimised at every ρ.
        let idealPentagon = Self.planar([90, 162, 234, 306, 18], bias: -0.2)
        let idealDigons = Self.planar([nil, 0, 90, 180, 270], bias: -0.1)
        var perturbed: [ToyModelSpec] = [], initial: [ToyModel?] = [], starts: [PolytopeFit.Start] = []
        let perRho = c.restarts + 2
        for (k, rho) in c.relativeDensities.enumerated() {
            var density = [Float](repeating: c.density, count: 5)
            density[0] = Float(Double(c.density) * rho)
            for r in 0..<perRho {
                perturbed.append(ToyModelSpec(n: 5, m: 2, activation: .relu, importance: ones5, density: density,
                                              seed: deriveSeed(c.seed, 4, UInt64(k), UInt64(r))))
                let start: PolytopeFit.Start = r < c.restarts ? .random : (r == c.restarts ? .pentagon : .digons)
                starts.append(start)
                initial.append(start == .random ? nil : (start == .pentagon ? idealPentagon : idealDigons))
            }
        }
        let trained = try Trainer.train(perturbed, recipe: c.recipe, threads: ctx.threads, initial: initial)
        let losses = Evaluation.losses(trained, samples: c.evalSamples, threads: ctx.threads) { i in deriveSeed(c.seed, 5, UInt64(i / perRho)) }
        let fits = c.relativeDensities.indices.map { k in
            (0..<perRho).map { r -> PolytopeFit in
                let i = k * perRho + r
                return PolytopeFit(start: starts[i], model: trained[i].model, loss: losses[i].mean,
                                   represented: trained[i].model.featuresRepresented())
            }
        }
        return PolytopeResults(triangle: triangle, pentagon: uniform[bestPentagon].model, pentagonLoss: uniformLosses[bestPentagon].mean,
                               fits: fits, constructions: Self.constructions())
    }

    // MARK: Analysis

    /// The best fit of a geometry at one ρ (5 represented = pentagon, 4 = digons).
    static func best(_ fits: [PolytopeFit], represented: Int) -> PolytopeFit? {
        fits.filter { $0.represented == represented }.min { $0.loss < $1.loss }
    }

    /// ρ and (best digon loss − best pentagon loss) wherever both geometries were found.
    func crossover(_ r: PolytopeResults) -> [(rho: Double, difference: Double)] {
        zip(config.relativeDensities, r.fits).compactMap { rho, fits in
            guard let p = Self.best(fits, represented: 5), let d = Self.best(fits, represented: 4) else { return nil }
            return (rho, d.loss - p.loss)
        }
    }

    /// The ρ where the sign of the loss difference changes (geometric midpoint of the bracketing ρ), if it changes.
    func criticalRho(_ diffs: [(rho: Double, difference: Double)]) -> (rho: Double?, changes: Int) {
        var changes = 0, at: Double?
        for k in 1..<max(1, diffs.count) where (diffs[k - 1].difference > 0) != (diffs[k].difference > 0) {
            changes += 1
            if at == nil { at = (diffs[k - 1].rho * diffs[k].rho).squareRoot() }
        }
        return (at, changes)
    }

    // MARK: Figures

    public func figures(_ r: PolytopeResults) -> [FigureOutput] {
        let c = config
        let diffs = crossover(r)
        let drawing = Drawing(width: 980, height: 380) { cv in
            cv.text("Polytopes in two dimensions (I = 1, 1−S = \(formatNumber(Double(c.density))))", at: Point(16, 20), size: 12.5, bold: true)
            geometryPanel(cv, r.triangle, in: Rect(30, 70, 150, 150), title: "n = 3: best fit")
            geometryPanel(cv, r.pentagon, in: Rect(210, 70, 150, 150), title: "n = 5: best fit")
            // The best fit at every ρ, canonicalised, overlaid; colour = log ρ.
            let panel = Rect(400, 70, 220, 220)
            cv.text("Feature 0 at relative density ρ", at: Point(panel.center.x, panel.y - 19), size: 11, anchor: .middle, bold: true)
            cv.text("best fit per ρ, rotated so the first represented feature points up", at: Point(panel.center.x, panel.y - 6), size: 8.5, anchor: .middle, color: .axis)
            cv.fill(panel, .paper)
            let axes = Axes(frame: panel, x: (-1.5, 1.5), y: (-1.5, 1.5))
            cv.line(axes.point(-1.5, 0), axes.point(1.5, 0), .grid, width: 0.7)
            cv.line(axes.point(0, -1.5), axes.point(0, 1.5), .grid, width: 0.7)
            for (k, fits) in r.fits.enumerated() {
                guard let best = fits.min(by: { $0.loss < $1.loss }) else { continue }
                let t = Double(k) / Double(max(1, r.fits.count - 1))
                let color = ColorMap.viridis(t).withAlpha(0.8)
                for (i, v) in best.model.canonicalPlanar().enumerated() {
                    cv.line(axes.point(0, 0), axes.point(v.x, v.y), color, width: i == 0 ? 2 : 0.9)
                    cv.circle(axes.point(v.x, v.y), radius: i == 0 ? 3 : 1.8, fill: color)
                }
            }
            cv.stroke(panel, .axis, width: 0.6)
            cv.colorBar(in: Rect(panel.maxX + 10, panel.y, 9, panel.height), map: .viridis, range: log10(c.relativeDensities.first!),
                        log10(c.relativeDensities.last!), ticks: [-1, 0, 1], label: "log₁₀ ρ (thick: feature 0)")
            // The loss crossover, over ρ ≤ 1 where it happens.
            let frame = Rect(740, 70, 210, 220)
            let near = diffs.filter { $0.rho <= 1.0001 }
            let span = max(near.map { abs($0.difference) }.max() ?? 1e-4, 1e-6) * 1.15
            let x0 = c.relativeDensities.first!
            let lossAxes = Axes(frame: frame, x: (x0, 1), y: (-span, span), xLog: true)
            lossAxes.draw(on: cv, xLabel: "relative density ρ", yLabel: "", xTicks: [0.1, 0.2, 0.5, 1], yTicks: [-span / 1.15, 0, span / 1.15])
            cv.line(lossAxes.point(x0, 0), lossAxes.point(1, 0), .axis, width: 0.8)
            // Every fit, relative to the best pentagon at its ρ, coloured by geometry (those off the scale are left out).
            for (rho, fits) in zip(c.relativeDensities, r.fits) where rho <= 1.0001 {
                guard let p = Self.best(fits, represented: 5) else { continue }
                for f in fits where abs(f.loss - p.loss) <= span {
                    let color = Color(hex: f.represented == 5 ? "#ee8833" : (f.represented == 4 ? "#d4b000" : "#33aa55"))
                    cv.circle(lossAxes.point(rho, f.loss - p.loss), radius: 1.8, fill: color.withAlpha(0.7))
                }
            }
            // The legend draws each dot in the colour it has on the plot.
            var lx = frame.x - 40
            func key(_ label: String, _ hex: String, radius: Double, y: Double) {
                cv.circle(Point(lx + 4, y - 3), radius: radius, fill: Color(hex: hex)); lx += 10
                cv.text(label, at: Point(lx, y), size: 8.5, color: .axis); lx += cv.textWidth(label, size: 8.5) + 10
            }
            cv.text("every fit:", at: Point(lx, frame.maxY + 48), size: 8.5, color: .axis); lx += cv.textWidth("every fit:", size: 8.5) + 8
            key("pentagon", "#ee8833", radius: 1.8, y: frame.maxY + 48)
            key("digons", "#d4b000", radius: 1.8, y: frame.maxY + 48)
            key("other", "#33aa55", radius: 1.8, y: frame.maxY + 48)
            lx = frame.x - 40
            cv.text("difference:", at: Point(lx, frame.maxY + 64), size: 8.5, color: .axis); lx += cv.textWidth("difference:", size: 8.5) + 8
            key("pentagon wins", "#cc5500", radius: 2.6, y: frame.maxY + 64)
            key("digons win", "#2255bb", radius: 2.6, y: frame.maxY + 64)
            let pts = near.map { lossAxes.point($0.rho, $0.difference) }
            cv.polyline(pts, Color(hex: "#cc5500"), width: 1.3)
            for (p, d) in zip(pts, near) { cv.circle(p, radius: 2.6, fill: Color(hex: d.difference > 0 ? "#cc5500" : "#2255bb"), stroke: .white, width: 0.5) }
            cv.text("loss(best digons) − loss(best pentagon)", at: Point(frame.center.x, frame.y - 19), size: 11, anchor: .middle, bold: true)
            cv.text("> 0: the pentagon wins; < 0: two digons win", at: Point(frame.center.x, frame.y - 6), size: 8.5, anchor: .middle, color: .axis)
        }
        return [FigureOutput(name: "polytopes",
                             caption: "Left: the best fits for n = 3 (the paper expects a triangle) and n = 5 (the paper expects a regular pentagon) "
                                + "in m = 2. Middle: the n = 5 model as feature 0 (thick) is made sparser (dark) or denser (yellow) than the others, "
                                + "best of \(c.restarts + 2) fits per ρ; the paper expects the pentagon to stretch and, below a critical ρ, to become "
                                + "two digons with feature 0 dropped. Right: every fit's loss relative to the best pentagon at its ρ (small dots, "
                                + "coloured by geometry) and the difference of the two geometries' best losses (line; shown for ρ ≤ 1), which "
                                + "\(criticalRho(diffs).rho.map { "changes sign near ρ = \(formatNumber(($0 * 100).rounded() / 100))" } ?? "does not change sign on our grid"); "
                                + "the paper calls the change a first-order phase transition.",
                             drawing: drawing)]
    }

    /// Builds the ideal polytopes and measures their D_i.
    static func constructions() -> PolytopeConstructions {
        func dims(_ vectors: [[Double]]) -> [Double] {
            let m = vectors[0].count, n = vectors.count
            var W = [Float](repeating: 0, count: m * n)
            for (i, v) in vectors.enumerated() { for k in 0..<m { W[k * n + i] = Float(v[k]) } }
            return ToyModel(n: n, m: m, activation: .relu, W: W, b: Array(repeating: 0, count: n)).dimensionality
        }
        func ring(_ k: Int, z: Double = 0, offset: Double = 0) -> [[Double]] {
            let r = (1 - z * z).squareRoot()
            return (0..<k).map { j in let t = 2 * Double.pi * Double(j) / Double(k) + offset; return [r * cos(t), r * sin(t), z] }
        }
        func planarRing(_ k: Int) -> [[Double]] { (0..<k).map { j in let t = 2 * Double.pi * Double(j) / Double(k); return [cos(t), sin(t)] } }
        func simplex(_ n: Int) -> [[Double]] {
            // The basis vectors of R^n projected orthogonally to (1, …, 1), expressed in an orthonormal basis of that
            // hyperplane (Gram–Schmidt), normalised.
            let proj = (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 1 / Double(n) } }
            var basis: [[Double]] = []
            for v in proj {
                var w = v
                for b in basis { let d = zip(w, b).map(*).reduce(0, +); w = zip(w, b).map { $0 - d * $1 } }
                let len = w.map { $0 * $0 }.reduce(0, +).squareRoot()
                if len > 1e-9 { basis.append(w.map { $0 / len }) }
            }
            return proj.map { v in
                let coords = basis.map { b in zip(v, b).map(*).reduce(0, +) }
                let len = coords.map { $0 * $0 }.reduce(0, +).squareRoot()
                return coords.map { $0 / len }
            }
        }
        let z = (1.0 / 3).squareRoot()
        let corners: [[Double]] = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]
        let tetrahedron = corners.map { v in v.map { $0 * z } }
        let ideal: [(String, [[Double]], [Double])] = [
            ("digon", [[1, 0], [-1, 0]], [0.5, 0.5]),
            ("triangle", planarRing(3), Array(repeating: 2.0 / 3, count: 3)),
            ("square", planarRing(4), Array(repeating: 0.5, count: 4)),
            ("pentagon", planarRing(5), Array(repeating: 0.4, count: 5)),
            ("hexagon", planarRing(6), Array(repeating: 1.0 / 3, count: 6)),
            ("tetrahedron", tetrahedron, Array(repeating: 0.75, count: 4)),
            ("octahedron", [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], Array(repeating: 0.5, count: 6)),
            ("square antiprism (z² = 1/3)", ring(4, z: z) + ring(4, z: -z, offset: .pi / 4), Array(repeating: 3.0 / 8, count: 8)),
            ("triangular bipyramid", ring(3) + [[0, 0, 1], [0, 0, -1]], [2.0 / 3, 2.0 / 3, 2.0 / 3, 0.5, 0.5]),
            ("pentagonal bipyramid", ring(5) + [[0, 0, 1], [0, 0, -1]], Array(repeating: 0.4, count: 5) + [0.5, 0.5]),
            ("4-simplex", simplex(5), Array(repeating: 0.8, count: 5)),
        ]
        let s5 = simplex(5)
        var cosines: [Double] = []
        for i in 0..<5 { for j in (i + 1)..<5 { cosines.append(zip(s5[i], s5[j]).reduce(0.0) { $0 + $1.0 * $1.1 }) } }
        return PolytopeConstructions(shapes: ideal.map { .init(name: $0.0, dimensionality: dims($0.1), expected: $0.2) },
                                     simplexCosines: cosines, antipodal: dims([[1, 0], [-1, 0], [0, 0]]))
    }

    // MARK: Claims

    public func claims(_ r: PolytopeResults) -> [Claim] {
        let sec = section, c = config
        var out: [Claim] = []
        // Exact checks of the ideal polytopes (constructed by `run`).
        let ideal = r.constructions.shapes
        let errors = ideal.map { shape in (shape.name, zip(shape.dimensionality, shape.expected).map { abs($0 - $1) }.max()!) }
        let worst = errors.max { $0.1 < $1.1 }!
        out.append(.within("C5.7-ideal", section: sec, "Ideal polytopes' feature dimensionalities: digon 1/2, triangle 2/3, square 1/2, pentagon 2/5, hexagon 1/3, tetrahedron 3/4, octahedron 1/2, square antiprism 3/8, 4-simplex 4/5",
                           paper: 0, ours: worst.1, tolerance: 1e-6,
                           reason: "largest |D_i − fraction| over \(ideal.count) constructed shapes (worst: \(worst.0)); float rounding only"))
        func err(_ name: String) -> Double { errors.first { $0.0 == name }!.1 }
        out.append(.within("C5.14", section: sec, "A triangular bipyramid splits into lines at 2/3 (three features) and 1/2 (two), not one line at 3/5",
                           paper: 0, ours: err("triangular bipyramid"), tolerance: 1e-6, reason: "exact construction; largest |D_i − (2/3, 2/3, 2/3, 1/2, 1/2)|"))
        out.append(.within("C5.15", section: sec, "A pentagonal bipyramid gives 5 × 2/5 and 2 × 1/2, not 7 × 3/7",
                           paper: 0, ours: err("pentagonal bipyramid"), tolerance: 1e-6, reason: "exact construction"))
        out.append(.within("C5.16", section: sec, "An octahedron is three antipodal pairs: D = 1/2 for all six features",
                           paper: 0, ours: err("octahedron"), tolerance: 1e-6, reason: "exact construction"))
        let cosines = r.constructions.simplexCosines
        out.append(.within("C5.21", section: sec, "Projecting the basis vectors orthogonally to (1, …, 1) gives a regular simplex: pairwise cos = −1/(n − 1) (n = 5)",
                           paper: -0.25, ours: cosines.max()!, tolerance: 1e-9, reason: "exact construction; the largest pairwise cosine (the smallest is \(formatNumber(cosines.min()!)))"))
        let antipodal = r.constructions.antipodal
        out.append(.rule("C5.9", section: sec, "In the antipodal case D = 1/(1 + 1) = 1/2; an unlearned feature has D = 0",
                         paper: "1/2 and 0", ours: antipodal.map { formatNumber($0) }.joined(separator: ", "),
                         rule: "exact (within 1e-9)", reason: "definition of D_i applied to a constructed W",
                         holds: abs(antipodal[0] - 0.5) < 1e-9 && abs(antipodal[1] - 0.5) < 1e-9 && antipodal[2] == 0))
        // The trained triangle and pentagon.
        let tg = representedAngularGaps(r.triangle).map(\.gap)
        out.append(.rule("C5.20", section: sec, "Three equally important, equally sparse features in 2-D form an equilateral triangle",
                         paper: "gaps of 120°", ours: "gaps " + tg.map { String(format: "%.1f°", $0) }.joined(separator: ", "),
                         rule: "three represented features, every gap 120° ± 5°", reason: "the catalogue's tolerance for Adam noise",
                         holds: tg.count == 3 && tg.allSatisfy { abs($0 - 120) <= 5 }))
        let pg = representedAngularGaps(r.pentagon).map(\.gap)
        let pn = r.pentagon.featureNorms
        let spread = (pn.max()! - pn.min()!) / (pn.reduce(0, +) / 5)
        out.append(.rule("C5.22", section: sec, "Five equally important features at 1−S = 0.05 in 2-D form a regular pentagon",
                         paper: "equal norms; gaps of 72°",
                         ours: "norm spread \(String(format: "%.1f", spread * 100)) % (‖W_i‖ \(f3(pn.min()!))–\(f3(pn.max()!))); gaps " + pg.map { String(format: "%.1f°", $0) }.joined(separator: ", "),
                         rule: "five represented, norms within 2 % of each other, every gap 72° ± 2°", reason: "the catalogue's tolerances ([V]: 71.8°–72.4°, six seeds)",
                         holds: pg.count == 5 && spread <= 0.02 && pg.allSatisfy { abs($0 - 72) <= 2 }))
        let pb = r.pentagon.b.map(Double.init)
        let literal = zip(pn, pb).map { $0 * (1 - $1) }
        out.append(.rule("C5.28", section: sec, "Pentagon points lie outside the unit circle: a negative bias cuts off positive interference (the paper writes ‖W_i‖ = 1/(1 − b_i))",
                         paper: "b_i < 0 and ‖W_i‖ > 1",
                         ours: "b_i \(f3(pb.min()!))–\(f3(pb.max()!)), ‖W_i‖ \(f3(pn.min()!))–\(f3(pn.max()!)); the literal formula gives ‖W_i‖(1 − b_i) = \(f3(literal.min()!))–\(f3(literal.max()!)), not 1",
                         rule: "every b_i < 0 and every ‖W_i‖ > 1 (signs and direction only; as written the formula does not hold, see the catalogue)",
                         reason: "the catalogue's reading: the formula as printed fails in every reproduction, the direction of the effect holds",
                         holds: pb.allSatisfy { $0 < 0 } && pn.allSatisfy { $0 > 1 }))
        // The perturbed pentagon.
        var wider: [Double] = [], narrower: [Double] = []
        for (rho, fits) in zip(c.relativeDensities, r.fits) {
            guard let best = fits.min(by: { $0.loss < $1.loss }), best.represented == 5 else { continue }
            let adjacent = representedAngularGaps(best.model).filter { $0.from == 0 || $0.to == 0 }.map(\.gap)
            if rho > 1.01 { wider.append(contentsOf: adjacent) } else if rho < 0.99 { narrower.append(contentsOf: adjacent) }
        }
        out.append(.rule("C5.23", section: sec, "A denser feature gets more room: the other features move away from it",
                         paper: "gaps next to feature 0 > 72° for ρ > 1", ours: "gaps next to feature 0 for ρ > 1 (pentagon fits): \(String(format: "%.1f", wider.min() ?? .nan))°–\(String(format: "%.1f", wider.max() ?? .nan))°",
                         rule: "every such gap > 72°", reason: "the direction of the effect, as the catalogue states it", holds: !wider.isEmpty && wider.allSatisfy { $0 > 72 }))
        out.append(.rule("C5.24", section: sec, "A sparser feature takes less room: the other features push towards it",
                         paper: "gaps next to feature 0 < 72° for ρ < 1 (while a pentagon)", ours: "gaps next to feature 0 for ρ < 1 (pentagon fits): \(String(format: "%.1f", narrower.min() ?? .nan))°–\(String(format: "%.1f", narrower.max() ?? .nan))°",
                         rule: "every such gap < 72°", reason: "the direction of the effect", holds: !narrower.isEmpty && narrower.allSatisfy { $0 < 72 }))
        let diffs = crossover(r)
        let (rhoStar, changes) = criticalRho(diffs)
        out.append(.rule("C5.25", section: sec, "Below a critical density (~2.5× sparser than the others) the pentagon collapses into two digons",
                         paper: "ρ* ≈ 0.4 (a reproduction measured 0.27)",
                         ours: rhoStar.map { "ρ* = \(f3($0))" } ?? "no sign change of the loss difference",
                         rule: "ρ* within [0.2, 0.45]", reason: "the catalogue's range, which holds both the paper's ~1/2.5 and the reproduction's 0.27; our ρ grid steps by a factor 1.26",
                         holds: rhoStar.map { $0 >= 0.2 && $0 <= 0.45 } ?? false))
        out.append(.rule("C5.26", section: sec, "A first-order phase change: the loss curves of the two geometries cross",
                         paper: "loss(digons) − loss(pentagon) changes sign once",
                         ours: "\(changes) sign change(s) over the \(diffs.count) values of ρ where both geometries were fitted",
                         rule: "exactly one sign change", reason: "both geometries are optimised at every ρ (one fit started from each ideal shape), evaluated on the same 2²⁰ samples",
                         holds: changes == 1))
        var reached = 0, total = 0
        for fits in r.fits {
            guard let best = fits.min(by: { $0.loss < $1.loss }) else { continue }
            for f in fits where f.start == .random { total += 1; if f.represented == best.represented { reached += 1 } }
        }
        // "Often" as a frequency with its binomial standard error, so that the rule can fail (it used to be "fewer
        // than all", which one miss in any number of restarts passes). Exploratory: the share of misses was known
        // when the threshold was set.
        let missed = total - reached
        let missRate = total > 0 ? Double(missed) / Double(total) : 0
        let missSE = total > 0 ? (missRate * (1 - missRate) / Double(total)).squareRoot() : 0
        let often = total > 0 ? judge(missRate, se: missSE, threshold: 0.2, holdsAbove: true) : .fail
        out.append(Claim.rule("C5.30", section: sec, "Gradient descent often ends in a non-optimal geometry, so fits must be repeated",
                              paper: "fits often miss the best geometry",
                              ours: "\(missed) of \(total) random restarts (\(pct(missRate)) ± \(pct(missSE))) end with another number of represented features than the best fit at their ρ",
                              rule: "at least 1 in 5 random restarts ends with another number of represented features than the best fit at its ρ; inconclusive within two standard errors of 1 in 5",
                              reason: "'often' read as at least one fit in five; the restarts are independent, so the error is binomial. The geometry is compared by its number of represented features, pooled over every ρ, including those near the crossover of C5.26 where the best fit wins by little. The claim's second part, that 2-D hidden spaces are harder to optimise than 3-D, is not measured: we fit m = 2 only. Exploratory: the share of misses was known when 1 in 5 was set",
                              status: often).withError(missSE, status: often).exploratory())
        out.append(.unchecked("C5.27", section: sec, "The perturbed pentagon mixes continuous deformation with sharp phase changes",
                              paper: "—", reason: "qualitative; C5.23–C5.26 measure both parts"))
        out.append(.unchecked("C5.29", section: sec, "The distance from the unit circle is driven mainly by the amount of positive interference",
                              paper: "—", reason: "a causal reading; we report the norms and biases under C5.28"))
        return out
    }
}

extension PolytopeConfig: SeededConfig {}

// MARK: - Smoke (left out of the code hash: tuning it never retrains the paper)

extension Polytopes {
    public var smoke: Polytopes {
        var e = self
        e.config.relativeDensities = [0.1, 1, 10]; e.config.restarts = 1; e.config.uniformRestarts = 1
        e.config.recipe = smokeRecipe; e.config.evalSamples = 1024
        return e
    }
}
