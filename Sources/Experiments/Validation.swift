// The checks experiments run on their configs before anything trains: each names the bad value and what is
// allowed, in one line.

import Engine

enum Check {
    /// `value` ≥ `minimum`, else "NAME must be at least MIN, got VALUE".
    static func atLeast(_ value: Int, _ minimum: Int, _ name: String) throws {
        guard value >= minimum else { throw EngineError.invalidConfig("\(name) must be at least \(minimum), got \(value)") }
    }

    /// m < n (a model that compresses).
    static func compresses(n: Int, m: Int, _ id: String) throws {
        guard m >= 1 else { throw EngineError.invalidConfig("\(id) needs m ≥ 1, got m = \(m)") }
        guard m < n else { throw EngineError.invalidConfig("\(id) needs m < n, got n = \(n), m = \(m)") }
    }

    /// Every density in (0, 1].
    static func densities<D: BinaryFloatingPoint>(_ values: [D]) throws {
        for d in values where !(d > 0 && d <= 1) {
            throw EngineError.invalidConfig("a density must be in (0, 1], got \(d)")
        }
    }
}
