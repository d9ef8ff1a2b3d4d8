// Runs independent jobs (model instances) on a fixed number of threads. Each job owns its own state and
// RNG stream, so results are identical whatever the thread count.

import Dispatch
import Synchronization

/// Calls `body(i)` for i in 0..<count on `threads` threads. Each thread takes the next job in index order when it
/// is free (jobs differ in cost: sparse instances train faster), so which thread runs a job varies from run to run;
/// jobs must not depend on it.
public func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    let t = max(1, min(threads, count))
    if t == 1 {
        for i in 0..<count { body(i) }
        return
    }
    let next = Atomic<Int>(0)
    // The weight recorder and the external trainer bound by the caller, carried into the worker threads.
    let recorder = WeightRecorder.current, external = Trainer.external
    DispatchQueue.concurrentPerform(iterations: t) { _ in
        WeightRecorder.$current.withValue(recorder) {
            Trainer.$external.withValue(external) {
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= count { break }
                    body(i)
                }
            }
        }
    }
}

/// A fixed-size array that parallel jobs fill, each writing only its own slot.
public final class Slots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T?>
    public let count: Int
    public init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
    }
    deinit { base.deinitialize(count: count); base.deallocate() }
    public subscript(i: Int) -> T? {
        get { base[i] }
        set { base[i] = newValue }
    }
    /// The filled values, in order.
    public var values: [T?] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
