// Pins the training kernel's arithmetic: the weights after a short run, as a hash of their bit patterns, must stay
// what the reference kernel (fixed-order fused multiply-adds, engine version 2) gave. Any change in summation order,
// blocking that alters a chain, or the skipping of terms that are not exact zeros changes these hashes; the
// committed figures depend on them. Shapes cover full and partial blocks (batch 64 and 72, n not a multiple of 4,
// m odd), dense and sparse inputs, ReLU and linear outputs, a ReLU hidden layer and the L1 term.
import Testing
@testable import Engine

private func weightHash(_ spec: ToyModelSpec, batch: Int) throws -> UInt64 {
    let t = try Trainer.trainOne(spec, recipe: TrainingRecipe(steps: 60, batch: batch, logEvery: 20))
    var bytes: [UInt8] = []
    for v in t.model.W + t.model.b + t.lossCurve { withUnsafeBytes(of: v.bitPattern) { bytes += $0 } }
    return fnv1a64(bytes)
}

private let imp = (0..<41).map { Float(0.97 * Double($0 % 7) / 7 + 0.03) }

private let cases: [String: (ToyModelSpec, Int)] = [
    "relu-sparse": (ToyModelSpec(n: 41, m: 7, activation: .relu, importance: imp, density: 0.03, seed: 1), 64),
    "relu-dense-tail": (ToyModelSpec(n: 41, m: 7, activation: .relu, importance: imp, density: 1, seed: 2), 72),
    "linear-tail": (ToyModelSpec(n: 41, m: 7, activation: .linear, importance: imp, density: 0.1, seed: 3), 72),
    "hidden-relu": (ToyModelSpec(n: 41, m: 7, activation: .relu, importance: imp, density: 0.05, seed: 4, hidden: .relu), 64),
    "tiny-2-1": (ToyModelSpec(n: 2, m: 1, activation: .relu, importance: [1, 0.3], density: 0.2, seed: 6), 64),
    "tiny-5-2": (ToyModelSpec(n: 5, m: 2, activation: .relu, importance: Array(imp[0..<5]), density: 0.3, seed: 7), 72),
    "l1": (ToyModelSpec(n: 41, m: 6, activation: .relu, importance: imp, density: 0.02, seed: 5, l1: 0.01), 136),
]

@Test(arguments: [("relu-sparse", UInt64(17568375003366633854)), ("relu-dense-tail", 7894621355660152404),
                        ("linear-tail", 5588846054412679010), ("hidden-relu", 9887172296284098991), ("l1", 11173287827781451124),
                        ("tiny-2-1", 15816653424874424460), ("tiny-5-2", 3785478319036246569)])
func trainedWeightsKeepTheirPinnedBits(_ name: String, _ pinned: UInt64) throws {
    let (spec, batch) = cases[name]!
    let hash = try weightHash(spec, batch: batch)
    #expect(hash == pinned, "\(name)")
}

/// The SIMD16 kernels (AVX-512) and the SIMD8 ones compute the same chains, so training gives the same bits with
/// either; shapes with partial blocks of rows (m = 30, 13, 6), sparse and dense inputs, the skipping and dense paths,
/// a ReLU hidden layer, a hidden bias and the L1 term. (Both run on any x86-64 machine; only their speed differs.)
@Test(arguments: [
    ToyModelSpec(n: 61, m: 13, activation: .relu, importance: Array(repeating: 1, count: 61), density: 0.05, seed: 11),
    ToyModelSpec(n: 61, m: 13, activation: .relu, importance: Array(repeating: 1, count: 61), density: 1, seed: 12),
    ToyModelSpec(n: 37, m: 30, activation: .linear, importance: Array(repeating: 0.5, count: 37), density: 0.2, seed: 13),
    ToyModelSpec(n: 40, m: 6, activation: .relu, importance: Array(repeating: 1, count: 40), density: 0.02, seed: 14,
                 hidden: .relu, l1: 0.01, hiddenBias: true),
])
func wideAndNarrowKernelsGiveTheSameBits(_ spec: ToyModelSpec) throws {
    let recipe = TrainingRecipe(steps: 25, batch: 160, logEvery: 5)
    let wide = try Trainer.trainOne(spec, recipe: recipe, wideKernels: true)
    let narrow = try Trainer.trainOne(spec, recipe: recipe, wideKernels: false)
    #expect(wide.model.W.map(\.bitPattern) == narrow.model.W.map(\.bitPattern))
    #expect(wide.model.b.map(\.bitPattern) == narrow.model.b.map(\.bitPattern))
    #expect(wide.lossCurve.map(\.bitPattern) == narrow.lossCurve.map(\.bitPattern))
}
