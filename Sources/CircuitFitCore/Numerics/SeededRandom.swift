import Foundation

/// CircuitFit's own random generator: xoshiro256** seeded through SplitMix64.
///
/// Every random draw in CircuitFit comes from one of these, so the same seed gives the same stream
/// on every platform (integer arithmetic only; normals use the polar method, which needs only
/// `log` and `sqrt`). Independent streams for sub-tasks come from `derived(_:)`.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double? = nil
    /// The seed this generator started from.
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&sm); s1 = splitmix(&sm); s2 = splitmix(&sm); s3 = splitmix(&sm)
    }

    /// A generator for a named sub-task, independent of this one's stream position.
    public func derived(_ stream: UInt64) -> SeededRandom {
        SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ stream &* 0xD1B5_4A32_D192_ED03 &+ 0x632B_E59B_D9B4_E019)
    }

    /// A seed for a named sub-task (the first draw of `derived(stream)`).
    public func derivedSeed(_ stream: UInt64) -> UInt64 {
        var r = derived(stream)
        return r.next()
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Uniform integer in 0..<n, without modulo bias (Lemire's method).
    public mutating func integer(below n: Int) -> Int {
        precondition(n > 0, "integer(below:) needs n > 0")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal N(0, 1) by Marsaglia's polar method.
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * Foundation.log(s) / s).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }

    /// N(mean, sd²).
    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }

    /// `count` draws from N(mean, sd²).
    public mutating func normals(_ count: Int, mean: Double = 0, sd: Double = 1) -> [Double] {
        (0..<count).map { _ in normal(mean: mean, sd: sd) }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = integer(below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }

    /// `k` distinct values from `population`, in draw order (partial Fisher–Yates).
    public mutating func sample<T>(_ population: [T], count k: Int) -> [T] {
        precondition(k >= 0 && k <= population.count, "sample: cannot draw \(k) of \(population.count)")
        var pool = population
        for i in 0..<k {
            let j = i + integer(below: pool.count - i)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<k])
    }

    /// `k` distinct integers from 0..<n, in draw order.
    public mutating func sample(from n: Int, count k: Int) -> [Int] { sample(Array(0..<n), count: k) }
}
