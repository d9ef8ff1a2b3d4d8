// `paper bench`: times the training engine on the paper's workloads (the notebook recipe, fresh data every step)
// and prints steps per second and GFLOP/s (counted as 12·B·m·n per instance-step).

import ArgumentParser
import Engine
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the training engine on the paper's workloads.")
    @Option(help: "Steps to time per workload.") var steps = 200
    @Option(help: "Threads to train on.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Feature density 1−S of the bench data.") var density: Float = 1

    struct Workload { let name: String; let n, m, instances, batch: Int }
    static let workloads = [
        Workload(name: "intro", n: 5, m: 2, instances: 10, batch: 1024),
        Workload(name: "tms20", n: 20, m: 5, instances: 7, batch: 1024),
        Workload(name: "phase2", n: 2, m: 1, instances: 400, batch: 1024),
        Workload(name: "phase2b128", n: 2, m: 1, instances: 400, batch: 128),
        Workload(name: "nb100", n: 100, m: 20, instances: 20, batch: 1024),
        Workload(name: "nb200", n: 200, m: 20, instances: 20, batch: 1024),
        Workload(name: "dims400x40", n: 400, m: 30, instances: 40, batch: 1024),
        Workload(name: "dims400x50b128", n: 400, m: 30, instances: 50, batch: 128),
    ]

    func run() throws {
        print("workload          n    m  inst  batch   steps/s   ms/step   GFLOP/s")
        for w in Self.workloads {
            let specs = (0..<w.instances).map { k in
                ToyModelSpec(n: w.n, m: w.m, activation: .relu, importance: Array(repeating: 1, count: w.n),
                             density: density, seed: UInt64(k))
            }
            let recipe = TrainingRecipe(steps: steps, batch: w.batch, logEvery: steps)
            let t0 = Date()
            _ = try Trainer.train(specs, recipe: recipe, threads: threads)
            let s = Date().timeIntervalSince(t0)
            let flops = 12.0 * Double(w.batch * w.m * w.n * w.instances) * Double(steps)
            print(w.name.padding(toLength: 15, withPad: " ", startingAt: 0)
                + String(format: "%4d %4d %5d %6d %9.1f %9.3f %9.2f", w.n, w.m, w.instances,
                         w.batch, Double(steps) / s, s / Double(steps) * 1000, flops / s / 1e9))
        }
    }
}
