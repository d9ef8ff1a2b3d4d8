// §5's trained geometry claims (uniform superposition, polytopes, correlated features) judged on hand-made results:
// each rule passes on the geometry the paper describes and fails when that geometry is changed (the plateau, the
// gaps, the norms, the loss crossover, the angles within a pair, the collapse counts), so none passes regardless.
import Engine
import Foundation
import Testing
@testable import Experiments

/// The status of claim `id` of experiment `e` on results `r` ("pass", "fail", …), nil if it is not listed.
private func verdict<E: Experiment>(_ e: E, _ r: E.Results, _ id: String) -> String? { verdicts(e, r)[id] }

// MARK: Uniform superposition

private typealias LearnedFeature = (dim: Double, norm: Double, partner: Double)

/// `count` features alike: dimensionality D_i, norm ‖W_i‖, smallest cosine with any other feature.
private func alike(_ count: Int, dim: Double, partner: Double, norm: Double = 1) -> [LearnedFeature] {
    Array(repeating: (dim: dim, norm: norm, partner: partner), count: count)
}

/// A sweep point in m = 6 dimensions with 16 feature slots: the learned features, the rest unlearned; ‖W‖²_F,
/// D* = m/‖W‖²_F and the number represented follow from the norms.
private func sweepPoint(_ inverseDensity: Double, _ learned: [LearnedFeature]) -> UniformPoint {
    let all = learned + alike(16 - learned.count, dim: 0, partner: 1, norm: 0)
    let frobenius2 = all.reduce(0.0) { $0 + $1.norm * $1.norm }
    return UniformPoint(n: 16, m: 6, inverseDensity: inverseDensity, dimsPerFeature: 6 / frobenius2, frobenius2: frobenius2,
                        represented: all.filter { $0.norm > 0.5 }.count, dims: all.map { Float($0.dim) },
                        norms: all.map { Float($0.norm) }, partnerCos: all.map { Float($0.partner) }, interference: [],
                        factorSizes: [], meanBias: 0, rotationChange: 0, graphNodes: [], graphEdges: [])
}

/// The paper's sweep: D* = 1 while dense, then tetrahedra (3/4), triangles (2/3), a plateau of antipodal pairs (1/2)
/// over three sparsities, pentagons (2/5) and square antiprisms (3/8). The n-check sweep repeats D* at the shared
/// sparsities; the m-check sweep (m doubled) holds twice ‖W‖²_F there.
private func paperSweep() -> UniformResults {
    let dense = alike(6, dim: 1, partner: 0), pairs = alike(12, dim: 0.5, partner: -1)
    let main = [sweepPoint(1, dense), sweepPoint(1.4, dense),
                sweepPoint(2, alike(8, dim: 0.75, partner: -1.0 / 3)),
                sweepPoint(2.5, alike(9, dim: 2.0 / 3, partner: -0.5)),
                sweepPoint(3, pairs), sweepPoint(3.5, pairs), sweepPoint(4, pairs),
                sweepPoint(6, alike(15, dim: 0.4, partner: cos(0.8 * Double.pi))),
                sweepPoint(9, alike(16, dim: 0.375, partner: -0.805))]
    let shared = stride(from: 0, to: main.count, by: UniformConfig().checkEvery).map { main[$0] }
    let smallerN = shared.map { p -> UniformPoint in var q = p; q.n = 8; return q }
    let largerM = shared.map { p -> UniformPoint in var q = p; q.m = 12; q.frobenius2 = 2 * p.frobenius2; return q }
    return UniformResults(main: main, smallerN: smallerN, largerM: largerM)
}

@Test func uniformSweepClaimsPassOnThePapersStickyPlateausAndFailWithoutThem() {
    let e = UniformSuperposition(), paper = paperSweep()
    for id in ["C5.1", "C5.2"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    var sliding = paper                                   // D* slides through 1/2 instead of sticking there
    sliding.main[4].dimsPerFeature = 0.56
    sliding.main[6].dimsPerFeature = 0.44
    #expect(verdict(e, sliding, "C5.1") == "fail")
    var denseBelowOne = paper                             // the dense end is not at one dimension per feature
    denseBelowOne.main[1].dimsPerFeature = 0.9
    #expect(verdict(e, denseBelowOne, "C5.1") == "fail")

    var noPartners = paper                                // the plateau's features have no antipodal partner
    for k in 4...6 { noPartners.main[k].partnerCos = noPartners.main[k].partnerCos.map { $0 < 0 ? -0.5 : $0 } }
    #expect(verdict(e, noPartners, "C5.1") == "pass")
    #expect(verdict(e, noPartners, "C5.2") == "fail")
}

@Test func uniformSweepComparisonsNeedTheSameCurveAtSmallerNAndTwiceTheFeaturesAtLargerM() {
    let e = UniformSuperposition(), paper = paperSweep()
    #expect(verdict(e, paper, "C5.3") == "pass")
    #expect(verdict(e, paper, "C5.4") == "pass")

    var nMatters = paper                                  // D* 20 % higher at the smaller n
    nMatters.smallerN = paper.smallerN.map { p -> UniformPoint in var q = p; q.dimsPerFeature *= 1.2; return q }
    #expect(verdict(e, nMatters, "C5.3") == "fail")
    var noGain = paper                                    // doubling m learns no more features
    noGain.largerM = paper.largerM.map { p -> UniformPoint in var q = p; q.frobenius2 /= 2; return q }
    #expect(verdict(e, noGain, "C5.4") == "fail")
}

@Test func featureDimensionalitiesMustBeAllOrNothingClusterOnTheFractionsAndAddUpToM() {
    let e = UniformSuperposition(), paper = paperSweep()
    for id in ["C5.5", "C5.7", "C5.10"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    var halfLearned = paper                               // at the pentagon point, 10 of 15 norms are 0.48: neither ≈ 0 nor ≈ 1
    halfLearned.main[7] = sweepPoint(6, alike(5, dim: 0.4, partner: -0.8) + alike(10, dim: 0.4, partner: -0.8, norm: 0.48))
    #expect(verdict(e, halfLearned, "C5.5") == "fail")

    var noThreeEighths = paper                            // the sparsest point's D_i spread over 0.33–0.42: no peak at 3/8
    noThreeEighths.main[8] = sweepPoint(9, (0..<16).map { k -> LearnedFeature in (dim: 0.33 + 0.006 * Double(k), norm: 1, partner: -0.8) })
    #expect(verdict(e, noThreeEighths, "C5.7") == "fail")

    var inefficient = paper                               // on the 1/2 plateau the D_i add up to 0.8 m
    inefficient.main[5] = sweepPoint(3.5, alike(12, dim: 0.4, partner: -1))
    #expect(verdict(e, inefficient, "C5.1") == "pass")
    #expect(verdict(e, inefficient, "C5.10") == "fail")
}

@Test func aSweepPointWithNoFeatureRepresentedAgreesOnlyWhenItsFrobeniusNormIsUnderHalf() {
    let e = UniformSuperposition(), paper = paperSweep()
    // At the sparsest point eight features at ‖W_i‖ = 0.5 (none above 0.5): ‖W‖²_F = 2 counts two features where
    // none is represented.
    var spread = paper
    spread.main[8] = sweepPoint(9, alike(8, dim: 0.2, partner: -0.5, norm: 0.5))
    #expect(spread.main[8].represented == 0 && spread.main[8].frobenius2 == 2)
    #expect(verdict(e, spread, "C5.5") == "fail")
    // Five features at ‖W_i‖ = 0.2: ‖W‖²_F = 0.2, under one feature's worth, agrees with none represented.
    var faint = paper
    faint.main[8] = sweepPoint(9, alike(5, dim: 0.2, partner: -0.5, norm: 0.2))
    #expect(faint.main[8].represented == 0)
    #expect(verdict(e, faint, "C5.5") == "pass")
}

@Test func theHalfPlateauMustSpanAFactorOf115WhateverTheGridSpacing() {
    let e = UniformSuperposition(), paper = paperSweep()
    var two = paper                                       // only 3 and 3.5 at 1/2: ×1.17, two points of a coarse grid
    two.main[6].dimsPerFeature = 0.44
    #expect(verdict(e, two, "C5.1") == "pass")
    var close = two                                       // the same two points at 3 and 3.2: ×1.07, no plateau
    close.main[5].inverseDensity = 3.2
    #expect(verdict(e, close, "C5.1") == "fail")
}

@Test func theNotebookEntryJudgesTheMainSweepsClaimsUnderItsOwnIDs() {
    let e = UniformSuperposition(id: "uniform-notebook", config: .notebook, claimSuffix: "-O")
    let ids = e.claims(paperSweep()).map(\.id)
    #expect(ids == ["C5.1-O", "C5.2-O", "C5.5-O", "C5.7-O", "C5.10-O", "C5.12-O"])
    #expect(e.exactClaims.isEmpty)
    let statuses = verdicts(e, paperSweep())
    for id in ["C5.1", "C5.2", "C5.5", "C5.7", "C5.10"] { #expect(statuses[id + "-O"] == verdicts(UniformSuperposition(), paperSweep())[id], "\(id)") }
    var sliding = paperSweep()
    sliding.main[4].dimsPerFeature = 0.56; sliding.main[6].dimsPerFeature = 0.44
    #expect(verdict(e, sliding, "C5.1-O") == "fail")
}

@Test func theNotebookConfigurationDrawsWWithTheNotebooksFanAndNoCheckSweeps() throws {
    let c = UniformConfig.notebook
    #expect(c.n == 200 && c.m == 20 && c.recipe.batch == 1024 && c.recipe.steps == 10_000 && c.checkEvery == 0)
    #expect(c.inverseDensities.count == 20 && abs(c.inverseDensities.last! - 20) < 1e-9)
    // xavier_normal_ on (20, 200, 20): fan_in = 200·20, fan_out = 20·20.
    #expect(abs(c.initialStd - (2.0 / 4400).squareRoot()) < 1e-12)
    let e = UniformSuperposition(id: "uniform-notebook", config: c, claimSuffix: "-O")
    try e.validate()
    let specs = c.inverseDensities.indices.map { k in
        ToyModelSpec(n: 200, m: 20, activation: .relu, importance: Array(repeating: 1, count: 200), density: 1, seed: UInt64(k))
    }
    let models = try #require(e.initialModels(specs))
    #expect(models.count == 20 && models.allSatisfy { $0 != nil })
    let w = models[0]!.W.map(Double.init)
    let std = (w.reduce(0) { $0 + $1 * $1 } / Double(w.count)).squareRoot()
    #expect(abs(std / c.initialStd - 1) < 0.05)           // 4000 draws: the sample std's relative error is about 1 %
    #expect(UniformSuperposition().initialModels(specs) == nil)
}

// MARK: Polytopes

/// A 2-D model with features at the given angles (degrees; nil: unlearned), of norm 1 or `norms`, bias `bias`.
private func plane(_ degrees: [Double?], norms: [Float]? = nil, bias: Float = 0) -> ToyModel {
    var model = Polytopes.planar(degrees, bias: bias)
    if let norms { for i in 0..<model.n { model.W[i] *= norms[i]; model.W[model.n + i] *= norms[i] } }
    return model
}

/// A pentagon of norm-1.1 features with feature 0 at 90° and its two neighbours `gap`° away, the other gaps equal.
private func stretched(_ gap: Double) -> ToyModel {
    let rest = (360 - 2 * gap) / 3
    let angles: [Double] = [90, 90 + gap, 90 + gap + rest, 90 + gap + 2 * rest, 90 - gap]
    return plane(angles, norms: [Float](repeating: 1.1, count: 5), bias: -0.2)
}

private let polytopeRhos: [Double] = [0.2, 0.3, 0.5, 0.8, 1, 1.25, 2]

private func polytopes() -> Polytopes { var e = Polytopes(); e.config.relativeDensities = polytopeRhos; return e }

/// Polytope results: the triangle and pentagon given, and at each ρ of `polytopeRhos` one pentagon fit (feature 0's
/// neighbours `denser`° away for ρ > 1, `sparser`° for ρ < 1) and one two-digon fit, lower by 0.001 where `digonsWin`.
private func polytopeResults(triangle: ToyModel = plane([90, 210, 330], bias: -0.1),
                             pentagon: ToyModel = stretched(72), denser: Double = 80, sparser: Double = 64,
                             digonsWin: (Double) -> Bool = { $0 < 0.4 }) -> PolytopeResults {
    let digons = plane([nil, 0, 90, 180, 270], bias: -0.1)
    var fits: [[PolytopeFit]] = []
    for rho in polytopeRhos {
        let p = stretched(rho > 1.01 ? denser : rho < 0.99 ? sparser : 72)
        fits.append([PolytopeFit(start: .pentagon, model: p, loss: 0.05, represented: p.featuresRepresented()),
                     PolytopeFit(start: .digons, model: digons, loss: digonsWin(rho) ? 0.049 : 0.051,
                                 represented: digons.featuresRepresented())])
    }
    return PolytopeResults(triangle: triangle, pentagon: pentagon, pentagonLoss: 0.05, fits: fits,
                           constructions: Polytopes.constructions())
}

@Test func trainedTriangleAndPentagonClaimsFollowTheirGapsNormsAndBiases() {
    let e = polytopes(), paper = polytopeResults()
    for id in ["C5.20", "C5.22", "C5.28"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    #expect(verdict(e, polytopeResults(triangle: plane([90, 180, 330], bias: -0.1)), "C5.20") == "fail")   // gaps 90°, 150°, 120°
    let uneven = plane([90, 162, 234, 306, 18], norms: [1.2, 1.1, 1.1, 1.1, 1.1], bias: -0.2)              // one norm 9 % longer
    #expect(verdict(e, polytopeResults(pentagon: uneven), "C5.22") == "fail")
    #expect(verdict(e, polytopeResults(pentagon: uneven), "C5.28") == "pass")
    let skewed = plane([90, 167, 234, 306, 18], norms: [Float](repeating: 1.1, count: 5), bias: -0.2)        // one vertex 5° off
    #expect(verdict(e, polytopeResults(pentagon: skewed), "C5.22") == "fail")

    let noBias = plane([90, 162, 234, 306, 18], norms: [Float](repeating: 1.1, count: 5))
    #expect(verdict(e, polytopeResults(pentagon: noBias), "C5.22") == "pass")
    #expect(verdict(e, polytopeResults(pentagon: noBias), "C5.28") == "fail")
    let inside = plane([90, 162, 234, 306, 18], norms: [Float](repeating: 0.95, count: 5), bias: -0.2)       // inside the unit circle
    #expect(verdict(e, polytopeResults(pentagon: inside), "C5.28") == "fail")
}

@Test func perturbedPentagonClaimsFollowTheGapsNextToFeatureZeroAndTheLossCrossover() {
    let e = polytopes(), paper = polytopeResults()
    for id in ["C5.23", "C5.24", "C5.25", "C5.26"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    #expect(verdict(e, polytopeResults(denser: 64), "C5.23") == "fail")          // a denser feature's neighbours move closer
    #expect(verdict(e, polytopeResults(sparser: 80), "C5.24") == "fail")         // a sparser feature's neighbours move away
    let late = polytopeResults(digonsWin: { $0 < 0.9 })                          // crossover at ρ* ≈ 0.89
    #expect(verdict(e, late, "C5.25") == "fail")
    #expect(verdict(e, late, "C5.26") == "pass")
    let never = polytopeResults(digonsWin: { _ in false })                      // the pentagon wins at every ρ
    #expect(verdict(e, never, "C5.25") == "fail")
    #expect(verdict(e, never, "C5.26") == "fail")
    let twice = polytopeResults(digonsWin: { $0 < 0.4 || $0 > 1.5 })             // the curves cross back
    #expect(verdict(e, twice, "C5.25") == "pass")
    #expect(verdict(e, twice, "C5.26") == "fail")
}

// MARK: Correlated features

private func fit(_ model: ToyModel, _ loss: Double = 0.01) -> CorrelatedFit { CorrelatedFit(model: model, loss: loss) }

/// Two correlated pairs (0, 1) and (2, 3), each pair orthogonal.
private func orthogonalPairs() -> ToyModel { plane([0, 90, 180, 270]) }

/// Three correlated pairs, partners 50° apart and side by side around a hexagon.
private func sideBySide() -> ToyModel { plane([0, 50, 120, 170, 240, 290]) }

/// Two sets of ten features in ten dimensions: set 1 the standard basis, set 2 that basis turned by 45° in each pair
/// of dimensions, so each set is orthonormal and the sets overlap; `mixed` swaps half of each set into the other.
private func localBases(mixed: Bool = false) -> ToyModel {
    let h = Float(0.5.squareRoot())
    var columns = (0..<10).map { i -> [Float] in var v = [Float](repeating: 0, count: 10); v[i] = 1; return v }
    columns += (0..<10).map { k -> [Float] in
        var v = [Float](repeating: 0, count: 10); v[k / 2 * 2] = h; v[k / 2 * 2 + 1] = k % 2 == 0 ? h : -h; return v
    }
    let order: [Int] = mixed ? [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19] : Array(0..<20)
    var W = [Float](repeating: 0, count: 200)
    for (i, c) in order.enumerated() { for k in 0..<10 { W[k * 20 + i] = columns[c][k] } }
    return ToyModel(n: 20, m: 10, activation: .relu, W: W, b: Array(repeating: -0.1, count: 20))
}

/// The collapse sweep at 1−S = 0.6, 0.35, 0.17, 0.1, 0.02: 3, 3, 2, 1 and 0 pairs collapsed onto one direction,
/// each member of a pair with room for its own direction of norm `pairNorm`.
private func collapseSweep(pairNorm: Float = Float(0.5.squareRoot())) -> [CorrelatedFit] {
    let a = pairNorm
    return [plane([90, 90, 210, 210, 330, 330], norms: [Float](repeating: 0.6, count: 6)),
            plane([90, 90, 210, 210, 330, 330], norms: [Float](repeating: 0.55, count: 6)),
            plane([0, 0, 180, 180, 70, 110], norms: [a, a, a, a, 1, 1]),
            plane([90, 90, 200, 250, 290, 340], norms: [a, a, 1, 1, 1, 1]),
            sideBySide()].map { fit($0) }
}

/// Results as the paper draws them: correlated pairs orthogonal (one restart of three collapsed), anticorrelated
/// pairs antipodal, three pairs side by side, six independent features as a pentagon with one dropped, local bases.
private func correlatedResults() -> CorrelatedResults {
    let oneCollapsed = plane([0, 0, 180, 270], norms: [0.7, 0.7, 1, 1])
    return CorrelatedResults(correlatedPairs: [fit(orthogonalPairs()), fit(orthogonalPairs(), 0.011), fit(oneCollapsed, 0.012)],
                             anticorrelatedPairs: [fit(plane([0, 180, 90, 270]))],
                             threePairs: [fit(sideBySide()), fit(sideBySide(), 0.011), fit(sideBySide(), 0.012)],
                             independentSix: [fit(plane([90, 162, 234, 306, 18, nil]))],
                             collapse: collapseSweep(), localBases: fit(localBases()))
}

@Test func correlatedGeometryClaimsFollowTheAnglesWithinEachPair() {
    let e = CorrelatedFeatures(), paper = correlatedResults()
    for id in ["C5.31", "C5.32", "C5.33", "C5.34"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    var leaning = paper                                   // the correlated partners 30° apart, not orthogonal
    leaning.correlatedPairs[0] = fit(plane([0, 30, 180, 210]))
    #expect(verdict(e, leaning, "C5.31") == "fail")
    var orthogonalAnti = paper                            // anticorrelated partners stored orthogonally, not antipodally
    orthogonalAnti.anticorrelatedPairs[0] = fit(orthogonalPairs())
    #expect(verdict(e, orthogonalAnti, "C5.32") == "fail")
    var partnersApart = paper                             // a regular hexagon, but each partner opposite its partner
    partnersApart.collapse[4] = fit(plane([0, 180, 60, 240, 120, 300]))
    #expect(verdict(e, partnersApart, "C5.33") == "fail")
    var independentHexagon = paper                        // six independent features do form the hexagon
    independentHexagon.independentSix[0] = fit(plane([0, 60, 120, 180, 240, 300]))
    #expect(verdict(e, independentHexagon, "C5.34") == "fail")
}

@Test func occasionalCollapseAndLocalBasisClaimsFollowTheirCountsAndCosines() {
    let e = CorrelatedFeatures(), paper = correlatedResults()
    for id in ["C5.35", "C5.37"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    var neverCollapses = paper                            // no restart collapses
    neverCollapses.correlatedPairs[2] = fit(orthogonalPairs(), 0.012)
    #expect(verdict(e, neverCollapses, "C5.35") == "fail")
    var usuallyCollapses = paper                          // half of the restarts collapse: the typical end, not occasional
    usuallyCollapses.correlatedPairs[1] = paper.correlatedPairs[2]
    usuallyCollapses.threePairs[1] = collapseSweep()[0]
    #expect(verdict(e, usuallyCollapses, "C5.35") == "fail")

    var mixedSets = paper                                 // the same directions, but each set half from either basis
    mixedSets.localBases = fit(localBases(mixed: true))
    #expect(verdict(e, mixedSets, "C5.37") == "fail")
}

@Test func collapseSweepClaimsNeedPrincipalComponentNormsAndFallingCounts() {
    let e = CorrelatedFeatures(), paper = correlatedResults()
    for id in ["C5.39", "C5.40"] { #expect(verdict(e, paper, id) == "pass", "\(id)") }

    var fullLength = paper                                // collapsed pairs at norm 1, not 1/√2
    fullLength.collapse = collapseSweep(pairNorm: 1)
    #expect(verdict(e, fullLength, "C5.39") == "fail")
    #expect(verdict(e, fullLength, "C5.40") == "pass")
    var neverPCA = paper                                  // no pair collapses at any density
    neverPCA.collapse = Array(repeating: fit(sideBySide()), count: 5)
    #expect(verdict(e, neverPCA, "C5.40") == "fail")
}

@Test func collapseCountClaimIsUncheckedAtDensitiesOtherThanThePapers() {
    var e = CorrelatedFeatures()
    let paper = correlatedResults()
    #expect(verdict(e, paper, "C5.40") == "pass")
    // The same counts 3, 3, 2, 1, 0, but the sparsest point swept at 1−S = 0.03 instead of the paper's 0.02.
    e.config.collapseDensities = [0.6, 0.35, 0.17, 0.1, 0.03]
    #expect(verdict(e, paper, "C5.40") == "unchecked")
}
