// Trained weights on their way out: every trainer in Engine hands its finished instances to the recorder bound to
// the current task (if any), so that the pipeline can keep them beside the cached results and `paper export` can
// write them for NumPy. Recording only reads the weights; it never changes a result.
//
//   let recorder = WeightRecorder()
//   let results = try WeightRecorder.$current.withValue(recorder) { try experiment.run(ctx) }
//   recorder.instances   // every trained instance, in a fixed order

import Foundation

/// One named array of a trained instance, row-major.
public struct RecordedArray: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) does not hold \(values.count) values")
        self.name = name; self.shape = shape; self.values = values
    }
}

/// One trained instance: which trainer made it, its seed, its shape and settings, and its parameters.
public struct RecordedInstance: Codable, Sendable, Equatable {
    /// "toy" (Trainer), "abs" (the absolute-value model), "large" (LargeTrainer) or "product-mlp".
    public var kind: String
    public var seed: UInt64
    /// Scalar settings that tell instances apart (n, m, density, l1, …), by name.
    public var settings: [String: Double]
    public var arrays: [RecordedArray]
    public init(kind: String, seed: UInt64, settings: [String: Double], arrays: [RecordedArray]) {
        self.kind = kind; self.seed = seed; self.settings = settings; self.arrays = arrays
    }
}

/// Collects trained instances. Bind one with `WeightRecorder.$current.withValue(_:)`; `parallelFor` carries the
/// binding into its worker threads.
public final class WeightRecorder: @unchecked Sendable {
    @TaskLocal public static var current: WeightRecorder?

    private let lock = NSLock()
    private var items: [RecordedInstance] = []

    public init() {}

    /// Records an instance (thread-safe).
    public func record(_ instance: RecordedInstance) {
        lock.lock(); items.append(instance); lock.unlock()
    }

    /// Every recorded instance in an order that does not depend on the thread count: by kind, seed and settings,
    /// then by the parameters' bits (parallel trainers finish in any order).
    public var instances: [RecordedInstance] {
        lock.lock(); defer { lock.unlock() }
        return items.sorted { a, b in
            if a.kind != b.kind { return a.kind < b.kind }
            if a.seed != b.seed { return a.seed < b.seed }
            let sa = a.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let sb = b.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            if sa != sb { return sa < sb }
            let va = a.arrays.flatMap { $0.values.map(\.bitPattern) }, vb = b.arrays.flatMap { $0.values.map(\.bitPattern) }
            return va.lexicographicallyPrecedes(vb)
        }
    }

    /// Records into the bound recorder, if there is one; `make` runs only then.
    static func note(_ make: () -> RecordedInstance) {
        current?.record(make())
    }
}

extension TrainedModel {
    /// The instance as the recorder keeps it: W (m×n), b (n), the hidden bias c (m) where the spec has one, and
    /// the importance, density and loss curve.
    var recorded: RecordedInstance {
        let n = spec.n, m = spec.m
        var arrays = [RecordedArray(name: "W", shape: [m, n], values: model.W),
                      RecordedArray(name: "b", shape: [model.b.count], values: model.b)]
        if let c = model.c, !c.isEmpty { arrays.append(RecordedArray(name: "c", shape: [c.count], values: c)) }
        arrays += [RecordedArray(name: "importance", shape: [spec.importance.count], values: spec.importance),
                   RecordedArray(name: "density", shape: [spec.density.count], values: spec.density),
                   RecordedArray(name: "loss_curve", shape: [lossCurve.count], values: lossCurve)]
        return RecordedInstance(kind: "toy", seed: spec.seed,
                                settings: ["n": Double(n), "m": Double(m), "relu_output": spec.activation == .relu ? 1 : 0,
                                           "relu_hidden": spec.hidden == .relu ? 1 : 0, "l1": Double(spec.l1),
                                           "attack": Double(spec.attack)],
                                arrays: arrays)
    }
}
