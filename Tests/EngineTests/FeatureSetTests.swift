// The correlated and anticorrelated feature sets of the sampler against their definitions (catalogue D3, D4):
// correlated members are present together; at most one anticorrelated member is present, each with marginal
// density (1−S)/k. Frequencies are compared with their expectations within 4 standard errors.
import Testing
@testable import Engine

private func frequencyMatches(_ count: Int, of total: Int, expected p: Double) -> Bool {
    let se = (p * (1 - p) / Double(total)).squareRoot()
    return abs(Double(count) / Double(total) - p) <= 4 * se
}

@Test func correlatedMembersArePresentTogether() {
    let n = 5, B = 40_000
    let x = sparseBatch(batch: B, density: [0.2, 0.9, 0.9, 0.3, 0.3], seed: 1, sets: [FeatureSet(.correlated, first: 0, count: 3)])
    var together = true, present = 0, independent = 0
    for s in 0..<B {
        let on = (0..<3).map { x[s * n + $0] != 0 }
        together = together && (on.allSatisfy { $0 } || on.allSatisfy { !$0 })
        if on[0] { present += 1 }
        if x[s * n + 3] != 0 { independent += 1 }
    }
    #expect(together)
    #expect(frequencyMatches(present, of: B, expected: 0.2))
    #expect(frequencyMatches(independent, of: B, expected: 0.3))
}

@Test func anticorrelatedSetsHoldAtMostOneMemberWithEqualShares() {
    let n = 4, B = 40_000
    let x = sparseBatch(batch: B, density: [0.3, 1, 1, 1], seed: 2, sets: [FeatureSet(.anticorrelated, first: 0, count: 4)])
    var atMostOne = true, any = 0
    var member = [Int](repeating: 0, count: 4)
    for s in 0..<B {
        let on = (0..<4).filter { x[s * n + $0] != 0 }
        atMostOne = atMostOne && on.count <= 1
        if !on.isEmpty { any += 1; member[on[0]] += 1 }
    }
    #expect(atMostOne)
    #expect(frequencyMatches(any, of: B, expected: 0.3))
    for k in 0..<4 { #expect(frequencyMatches(member[k], of: B, expected: 0.3 / 4)) }
}

@Test func overlappingSetsAreRejectedByName() {
    let spec = ToyModelSpec(n: 4, m: 2, activation: .relu, importance: [1, 1, 1, 1], density: 0.1, seed: 1,
                            sets: [FeatureSet(.correlated, first: 0, count: 3), FeatureSet(.correlated, first: 2, count: 2)])
    #expect(throws: EngineError.invalidConfig("feature 2 is in two feature sets")) { try spec.validate() }
}
