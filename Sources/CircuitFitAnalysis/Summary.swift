import CircuitFitCore

/// The q-th percentile (0 ≤ q ≤ 100) of `sample` by linear interpolation between order statistics,
/// NumPy's default `percentile` method ("linear"): with the values sorted ascending as a[0…n−1],
/// h = (n − 1)·q/100 and the result a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋+1] − a[⌊h⌋]).
public func percentile(_ sample: [Double], _ q: Double) throws -> Double {
    guard !sample.isEmpty else { throw CircuitFitError("percentile: empty sample") }
    guard q >= 0 && q <= 100 else { throw CircuitFitError("percentile: q must be in [0, 100], got \(q)") }
    try AnalysisInput.requireFinite(sample, "percentile", "sample")
    let sorted = sample.sorted()
    let h = Double(sorted.count - 1) * q / 100
    let low = Int(h.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    let t = h - Double(low)
    let a = sorted[low], b = sorted[high]
    // NumPy's lerp: from the nearer end, so t = 1 gives b exactly.
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/// Median and interquartile range of a sample (percentiles by `percentile`): how results spread
/// over seeds in the report.
public struct SampleSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var median: Double
    /// 25th percentile.
    public var lowerQuartile: Double
    /// 75th percentile.
    public var upperQuartile: Double
    /// upperQuartile − lowerQuartile.
    public var interquartileRange: Double { upperQuartile - lowerQuartile }

    /// Summarises `sample`; throws when it is empty or holds NaN/Inf.
    public init(_ sample: [Double]) throws {
        count = sample.count
        median = try percentile(sample, 50)
        lowerQuartile = try percentile(sample, 25)
        upperQuartile = try percentile(sample, 75)
    }
}
