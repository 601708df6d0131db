import CircuitFitCore

/// Turns spike times into binned rates for one trial at a time: spikes are aligned to the
/// trial's event (offset ms = (spike s − event s)·1000), counted in the bins of a `BinGrid`, and
/// each count becomes a rate in Hz = count / (bin width in s). Then each unit's series is
/// smoothed with the given `GaussianSmoother`.
struct SpikeBinner {
    let grid: BinGrid
    let smoother: GaussianSmoother
    /// Each unit's finite spike times, sorted (s).
    private let sortedTimesS: [[Double]]

    init(units: [SpikeTrain], grid: BinGrid, smoother: GaussianSmoother) {
        self.grid = grid
        self.smoother = smoother
        sortedTimesS = units.map { $0.timesS.filter(\.isFinite).sorted() }
    }

    var unitCount: Int { sortedTimesS.count }

    /// Rates (Hz) of every unit in every bin for a trial aligned at `eventS`, [T, M] row-major.
    func rates(eventS: Double) -> [Double] {
        let t = grid.count, m = sortedTimesS.count
        let hzPerSpike = 1000 / grid.binMs
        var rates = [Double](repeating: 0, count: t * m)
        // A bin's worth of margin on both sides: the exact test is `grid.bin(ofOffsetMs:)`.
        let firstS = eventS + (grid.startMs - grid.binMs) / 1000
        let lastS = eventS + (grid.endMs + grid.binMs) / 1000
        for (unit, times) in sortedTimesS.enumerated() {
            var index = Self.firstIndex(in: times, notBelow: firstS)
            while index < times.count, times[index] <= lastS {
                if let k = grid.bin(ofOffsetMs: (times[index] - eventS) * 1000) {
                    rates[k * m + unit] += hzPerSpike
                }
                index += 1
            }
        }
        guard !smoother.isIdentity else { return rates }
        for unit in 0..<m {
            let smoothed = smoother.smooth((0..<t).map { rates[$0 * m + unit] })
            for k in 0..<t { rates[k * m + unit] = smoothed[k] }
        }
        return rates
    }

    /// The first index whose time is ≥ `value` (binary search on sorted times).
    static func firstIndex(in times: [Double], notBelow value: Double) -> Int {
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
