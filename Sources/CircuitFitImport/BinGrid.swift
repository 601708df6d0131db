import CircuitFitCore

/// The time bins of an imported dataset, in ms relative to the alignment event: bin k covers
/// [startMs + k·binMs, startMs + (k+1)·binMs), half-open, so a spike exactly on an edge belongs
/// to the later bin and one exactly at the window's end is outside it.
///
/// Edges are compared with a tolerance of `edgeTolerance` bins: a time that float rounding
/// puts a hair before an edge (a spike written as event + k·bin in s) still lands in bin k.
public struct BinGrid: Sendable, Equatable {
    public var startMs: Double
    public var binMs: Double
    public var count: Int
    /// Fraction of a bin within which a time counts as on the next edge.
    public static let edgeTolerance = 1e-6
    /// The most bins a window may have.
    public static let maximumBins = 1_000_000

    public init(startMs: Double, binMs: Double, count: Int) {
        self.startMs = startMs; self.binMs = binMs; self.count = count
    }

    public init(options: ImportOptions) {
        self.init(startMs: options.windowStartMs, binMs: options.binMs, count: options.binCount)
    }

    public var endMs: Double { startMs + Double(count) * binMs }

    /// The bin holding a time `offsetMs` from the event, or nil outside the window.
    public func bin(ofOffsetMs offsetMs: Double) -> Int? {
        let position = ((offsetMs - startMs) / binMs + Self.edgeTolerance).rounded(.down)
        guard position >= 0, position < Double(count) else { return nil }
        return Int(position)
    }

    /// The centre of bin k, ms from the event.
    public func centreMs(_ k: Int) -> Double { startMs + (Double(k) + 0.5) * binMs }

    /// The first bin that starts at or after the event (0 when the window starts after it,
    /// `count` when it ends before it): the dataset's `go_index`.
    public var eventIndex: Int {
        let position = (-startMs / binMs - Self.edgeTolerance).rounded(.up)
        return Int(min(max(position, 0), Double(count)))
    }
}
