// The cross-check's hook: inside `Trainer.withExternal`, every toy-model and absolute-value training call goes to
// the external trainer (from `parallelFor`'s threads too), the large model refuses to train, and models that do not
// match their specs are refused; outside it, and in other tasks meanwhile, this engine trains.
import Foundation
import Testing
@testable import Engine

/// Answers every call with weights filled with 7, counting the models it made.
private final class Sevens: ExternalTrainer, @unchecked Sendable {
    private let lock = NSLock()
    private var made = 0
    var count: Int { lock.lock(); defer { lock.unlock() }; return made }
    var dropOne = false
    private func note(_ k: Int) { lock.lock(); made += k; lock.unlock() }

    func model(_ s: ToyModelSpec) -> ToyModel {
        ToyModel(n: s.n, m: s.m, activation: s.activation, W: Array(repeating: 7, count: s.m * s.n), b: Array(repeating: 7, count: s.n), hidden: s.hidden)
    }
    func train(_ specs: [ToyModelSpec], recipe: TrainingRecipe, initial: [ToyModel?]?) throws -> [TrainedModel] {
        note(specs.count)
        let out = specs.map { TrainedModel(spec: $0, model: model($0), lossCurve: [7]) }
        return dropOne ? Array(out.dropLast()) : out
    }
    func trainWithSnapshots(_ spec: ToyModelSpec, recipe: TrainingRecipe, initial: ToyModel?,
                            at steps: [Int]) throws -> (trained: TrainedModel, snapshots: [ToyModel]) {
        note(1)
        return (TrainedModel(spec: spec, model: model(spec), lossCurve: [7]), steps.map { _ in model(spec) })
    }
    func trainAbs(_ specs: [AbsSpec], recipe: TrainingRecipe) throws -> [AbsModel] {
        note(specs.count)
        return specs.map { AbsModel(n: $0.n, m: $0.m, W1: Array(repeating: 7, count: $0.m * $0.n), W2: Array(repeating: 7, count: $0.n * $0.m), b: Array(repeating: 7, count: $0.n)) }
    }
}

private let spec = ToyModelSpec(n: 5, m: 2, activation: .relu, importance: Array(repeating: 1, count: 5), density: 0.1, seed: 3)
private let recipe = TrainingRecipe(steps: 20, batch: 64)

@Test func insideWithExternalEveryTrainingCallGoesToTheExternalTrainer() throws {
    let sevens = Sevens()
    try Trainer.withExternal(sevens) {
        let trained = try Trainer.train([spec, spec, spec], recipe: recipe, threads: 2)
        #expect(trained.allSatisfy { $0.model.W.allSatisfy { $0 == 7 } })
        let (_, snaps) = try Trainer.trainWithSnapshots(spec, recipe: recipe, at: [5, 10, 20])
        #expect(snaps.count == 3)
        let abs = try Trainer.trainAbs([AbsSpec(n: 4, m: 3, importance: [1, 1, 1, 1], density: 0.5, seed: 1)], recipe: recipe, threads: 2)
        #expect(abs[0].W1.allSatisfy { $0 == 7 })
        // From parallelFor's threads too (the §6 experiment trains its runs there).
        let seen = Slots<Bool>(count: 8)
        parallelFor(8, threads: 3) { i in
            seen[i] = (try? Trainer.trainWithSnapshots(spec, recipe: recipe, at: [20]))?.trained.model.W.first == 7
        }
        #expect(seen.values.allSatisfy { $0 == true })
    }
    #expect(sevens.count == 3 + 1 + 1 + 8)
    // Outside, this engine trains.
    #expect(Trainer.external == nil)
    #expect(try Trainer.train([spec], recipe: recipe, threads: 1)[0].model.W.contains { $0 != 7 })
}

@Test func theLargeModelRefusesAndMismatchedModelsAreRefused() throws {
    let sevens = Sevens()
    sevens.dropOne = true
    Trainer.withExternal(sevens) {
        #expect(throws: EngineError.self) { try Trainer.train([spec, spec], recipe: recipe, threads: 1) }
        let large = LargeModelSpec(n: 64, m: 8, probabilities: Array(repeating: 0.02, count: 64), seed: 1)
        do {
            _ = try LargeTrainer.train(large, recipe: LargeRecipe(steps: 2, batch: 32, lr: 1e-3, warmup: 0), threads: 1)
            Issue.record("the large model trained under an external trainer")
        } catch {
            #expect("\(error)".contains("the external trainer does not train the large model"))
        }
    }
}
