import Foundation
import CircuitFitCore

/// The Wilcoxon signed-rank test for paired samples: is the distribution of x − y symmetric
/// about 0? Used to compare paired runs (the same seed trained two ways, docs/method.md#the-claims).
///
/// Conventions (those of Wilcoxon and of SciPy's `zero_method="wilcox"`):
/// - Zero differences are dropped before ranking; n counts the non-zero ones.
/// - |differences| are ranked from 1; tied values get the average of their ranks.
/// - W+ is the sum of the ranks of positive differences, W− of negative ones; W+ + W− = n(n+1)/2.
/// - Exact p-value (n ≤ `exactUpTo`, 25 by default): the null distribution of W+ is enumerated over
///   all 2ⁿ sign assignments by dynamic programming over rank sums. Ranks are doubled first, so
///   average ranks of ties are integers and the distribution stays exact given the tie pattern
///   (the same as SciPy's sign-flip permutation test; without ties, SciPy's `method="exact"`).
/// - Normal approximation (n > `exactUpTo`): z = (W+ − n(n+1)/4) / σ with
///   σ² = [n(n+1)(2n+1) − Σ(t³ − t)/2] / 24 over tie groups of size t, and a continuity correction
///   of 0.5 toward the mean (SciPy's `method="approx", correction=True`).
/// - Alternatives: two-sided (p = min(1, 2·min(P(W ≥ W+), P(W ≤ W+))) exact, 2·P(Z ≥ |z|)
///   approximate); `greater`: x − y tends to be positive (large W+); `less`: negative.
public struct WilcoxonSignedRank: Sendable {
    /// Which departure from symmetry about 0 the p-value measures.
    public enum Alternative: String, Sendable, Codable {
        case twoSided = "two-sided"
        /// x − y > 0.
        case greater
        /// x − y < 0.
        case less
    }

    public var alternative: Alternative
    /// The largest n (non-zero differences) for which the p-value is exact.
    public var exactUpTo: Int

    public init(alternative: Alternative = .twoSided, exactUpTo: Int = 25) {
        self.alternative = alternative
        self.exactUpTo = exactUpTo
    }

    /// Tests the pairs (x[i], y[i]) through their differences x − y.
    public func test(_ x: [Double], _ y: [Double]) throws -> WilcoxonResult {
        guard x.count == y.count else {
            throw CircuitFitError("Wilcoxon: x has \(x.count) values but y has \(y.count); the test needs paired samples")
        }
        try AnalysisInput.requireFinite(x, "Wilcoxon", "x")
        try AnalysisInput.requireFinite(y, "Wilcoxon", "y")
        return try test(differences: zip(x, y).map { $0 - $1 })
    }

    /// Tests whether the paired differences are symmetric about 0.
    public func test(differences: [Double]) throws -> WilcoxonResult {
        try AnalysisInput.requireFinite(differences, "Wilcoxon", "differences")
        let nonZero = differences.filter { $0 != 0 }
        let n = nonZero.count
        guard n > 0 else {
            throw CircuitFitError("Wilcoxon: all \(differences.count) differences are zero (or none given); the test is undefined")
        }
        let (ranks, tieSizes) = Self.averageRanks(nonZero.map(abs))
        var wPlus = 0.0, wMinus = 0.0
        for (d, r) in zip(nonZero, ranks) { if d > 0 { wPlus += r } else { wMinus += r } }
        let exact = n <= exactUpTo
        let p = exact
            ? Self.exactPValue(wPlus: wPlus, ranks: ranks, alternative)
            : Self.normalPValue(wPlus: wPlus, n: n, tieSizes: tieSizes, alternative)
        return WilcoxonResult(
            wPlus: wPlus, wMinus: wMinus, n: n, zerosDropped: differences.count - n,
            hasTies: tieSizes.contains { $0 > 1 }, pValue: p,
            medianDifference: try percentile(differences, 50),
            method: exact ? .exact : .normalApproximation, alternative: alternative)
    }

    /// Ranks of `values` from 1 (ties share their average rank) and the sizes of the tie groups.
    static func averageRanks(_ values: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieSizes: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let average = Double(start + 1 + end) / 2   // mean of ranks start+1 … end
            for i in start..<end { ranks[order[i]] = average }
            tieSizes.append(end - start)
            start = end
        }
        return (ranks, tieSizes)
    }

    /// Exact p-value from the distribution of W+ over all sign assignments of `ranks`.
    static func exactPValue(wPlus: Double, ranks: [Double], _ alternative: Alternative) -> Double {
        let doubled = ranks.map { Int(($0 * 2).rounded()) }
        let total = doubled.reduce(0, +)
        var ways = [Double](repeating: 0, count: total + 1)   // ways[s]: sign assignments with 2·W+ = s
        ways[0] = 1
        var reach = 0
        for r in doubled {
            reach += r
            for s in stride(from: reach, through: r, by: -1) { ways[s] += ways[s - r] }
        }
        let observed = Int((wPlus * 2).rounded())
        let all = pow(2.0, Double(ranks.count))
        let atLeast = ways[observed...].reduce(0, +) / all
        let atMost = ways[...observed].reduce(0, +) / all
        switch alternative {
        case .greater: return atLeast
        case .less: return atMost
        case .twoSided: return min(1, 2 * min(atLeast, atMost))
        }
    }

    /// Normal-approximation p-value with tie and continuity corrections.
    static func normalPValue(wPlus: Double, n: Int, tieSizes: [Int], _ alternative: Alternative) -> Double {
        let m = Double(n)
        let tieCorrection = tieSizes.reduce(0.0) { let t = Double($1); return $0 + t * t * t - t }
        let sd = ((m * (m + 1) * (2 * m + 1) - tieCorrection / 2) / 24).squareRoot()
        var z = (wPlus - m * (m + 1) / 4) / sd
        switch alternative {
        case .greater: z -= 0.5 / sd
        case .less: z += 0.5 / sd
        case .twoSided: z -= (z > 0 ? 1 : z < 0 ? -1 : 0) * 0.5 / sd
        }
        let upperTail = { (z: Double) in 0.5 * erfc(z / 2.0.squareRoot()) }
        switch alternative {
        case .greater: return upperTail(z)
        case .less: return upperTail(-z)
        case .twoSided: return min(1, 2 * upperTail(abs(z)))
        }
    }
}

/// The outcome of a Wilcoxon signed-rank test.
public struct WilcoxonResult: Sendable, Equatable, Codable {
    /// How the p-value was computed.
    public enum Method: String, Sendable, Codable {
        case exact
        case normalApproximation = "normal-approximation"
    }

    /// Sum of the ranks of the positive differences.
    public var wPlus: Double
    /// Sum of the ranks of the negative differences.
    public var wMinus: Double
    /// Non-zero differences used.
    public var n: Int
    /// Zero differences dropped.
    public var zerosDropped: Int
    /// Whether some |differences| were tied.
    public var hasTies: Bool
    public var pValue: Double
    /// Median of all differences x − y (zeros included).
    public var medianDifference: Double
    public var method: Method
    public var alternative: WilcoxonSignedRank.Alternative
}
