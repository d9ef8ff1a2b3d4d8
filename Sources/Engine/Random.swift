// Our own seeded random numbers: SplitMix64 (seeding) and Xoshiro256** (streams), with explicit
// conversions to Float and normals, so that results never depend on the standard library's algorithms.

import Foundation

/// SplitMix64: a 64-bit generator used to seed other generators and to derive seeds.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Xoshiro256**: the generator every model instance draws its initial weights and data from.
public struct Xoshiro: RandomNumberGenerator, Sendable {
    var s0, s1, s2, s3: UInt64

    /// Seeds the four words of state from SplitMix64(seed).
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform Float in [0, 1) from the top 24 bits.
    @inline(__always)
    public mutating func unitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform Double in [0, 1) from the top 53 bits.
    @inline(__always)
    public mutating func unitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal by the Box–Muller transform, computed in Double.
    public mutating func normal() -> Double {
        let u1 = 1.0 - unitDouble()          // (0, 1]: log is finite
        let u2 = unitDouble()
        return (-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2)
    }
}

/// Derives independent seeds from a root seed and a path of integers, e.g. (experiment, instance, restart).
/// The rule is fixed: fold each component through SplitMix64.
public func deriveSeed(_ root: UInt64, _ path: UInt64...) -> UInt64 {
    var g = SplitMix64(seed: root)
    var h = g.next()
    for p in path { g = SplitMix64(seed: h ^ (p &* 0xD6E8_FEB8_6659_FD93)); h = g.next() }
    return h
}

/// FNV-1a over bytes: a stable 64-bit hash (of weights in the pinning tests, of keys in the variants' names).
public func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// Eight independent Xoshiro256** streams in SIMD lanes: the generator of the training data.
/// Lane j is seeded with SplitMix64(seed) outputs 4j…4j+3. The multiplications by 5 and 9 are written as
/// shifts and adds, so the whole update vectorises.
public struct Xoshiro8: Sendable {
    var s0, s1, s2, s3: SIMD8<UInt64>

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = .zero; s1 = .zero; s2 = .zero; s3 = .zero
        for lane in 0..<8 { s0[lane] = sm.next(); s1[lane] = sm.next(); s2[lane] = sm.next(); s3[lane] = sm.next() }
    }

    @inline(__always)
    public mutating func next() -> SIMD8<UInt64> {
        let x5 = (s1 &<< 2) &+ s1
        let rot = (x5 &<< 7) | (x5 &>> 57)
        let result = (rot &<< 3) &+ rot
        let t = s1 &<< 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        // The rotation as an add of its two disjoint halves: written with |, LLVM recognises a rotate and, having
        // no 64-bit vector rotate in AVX2, does it lane by lane in scalar registers (3× slower sampling).
        s3 = (s3 &<< 45) &+ (s3 &>> 19)
        return result
    }
}
