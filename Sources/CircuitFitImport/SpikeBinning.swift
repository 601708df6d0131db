import CircuitFitCore

/// Turns spike times into binned rates for one trial at a time: spikes are aligned to the
/// trial's event (offset ms = (spike s − event s)·1000), counted in the bins of a `BinGrid`, and
/// each count becomes a rate in Hz = count / (bin width in s). Smoothing comes later, on the
/// averages (`GaussianSmoother` is linear, so smoothing each trial and then averaging is the
/// same as averaging and then smoothing).
///
/// Spikes come from session-clock trains (`Recording.units`), or, for files that store spikes
/// with each trial, from that trial's own spikes (`Recording.trialSpikes`).
struct SpikeBinner {
    let grid: BinGrid
    /// Each unit's finite spike times, sorted (s): [unit] for the session, or [trial][unit].
    private let sessionTimesS: [[Double]]
    private let trialTimesS: [[[Double]]]?
    let unitCount: Int

    init(recording: Recording, grid: BinGrid) {
        self.grid = grid
        unitCount = recording.units.count
        if let perTrial = recording.trialSpikes {
            sessionTimesS = []
            trialTimesS = perTrial.map { units in units.map { $0.filter(\.isFinite).sorted() } }
        } else {
            sessionTimesS = recording.units.map { $0.timesS.filter(\.isFinite).sorted() }
            trialTimesS = nil
        }
    }

    /// Rates (Hz) of every unit in every bin of trial `trial` aligned at `eventS`, [T, M] row-major.
    func rates(trial: Int, eventS: Double) -> [Double] {
        let t = grid.count, m = unitCount
        let hzPerSpike = 1000 / grid.binMs
        var rates = [Double](repeating: 0, count: t * m)
        // A bin's worth of margin on both sides: the exact test is `grid.bin(ofOffsetMs:)`.
        let firstS = eventS + (grid.startMs - grid.binMs) / 1000
        let lastS = eventS + (grid.endMs + grid.binMs) / 1000
        let units = trialTimesS?[trial] ?? sessionTimesS
        for (unit, times) in units.enumerated() {
            var index = Self.firstIndex(in: times, notBelow: firstS)
            while index < times.count, times[index] <= lastS {
                if let k = grid.bin(ofOffsetMs: (times[index] - eventS) * 1000) {
                    rates[k * m + unit] += hzPerSpike
                }
                index += 1
            }
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
