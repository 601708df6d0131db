import CircuitFitCore

/// Resamples a behavioural series onto a trial's bins by linear interpolation at the bin
/// centres (event + centre ms): the value between the two samples around each centre, weighted
/// by distance. It is not a bin average, so a series sampled much faster than the bins, with
/// power above the bins' Nyquist frequency, should be low-passed first.
///
/// A centre outside the series' first…last sample time is an error (no extrapolation), and so is
/// a NaN among the samples an interpolated value uses: both name the series, the trial and the
/// time.
struct BehaviorResampler {
    let signal: BehaviorSignal
    let grid: BinGrid
    let file: String

    /// Values at the bin centres of trial `trial` (id `trialID`, for messages) aligned at
    /// `eventS`, [T, channels] row-major.
    func values(eventS: Double, trial: Int, trialID: Int) throws -> [Double] {
        guard let series = signal.series(forTrial: trial) else {
            throw CircuitFitError("\(file): behaviour '\(signal.name)' (\(signal.location)) is empty in trial \(trialID); leave the trial out with --drop-trials \(trialID)")
        }
        let k = series.channels
        var out = [Double](repeating: 0, count: grid.count * k)
        for bin in 0..<grid.count {
            let timeS = eventS + grid.centreMs(bin) / 1000
            let (index, weight) = try bracket(timeS, series: series, trial: trialID)
            for channel in 0..<k {
                let left = series.values[index * k + channel]
                let right = weight == 0 ? left : series.values[(index + 1) * k + channel]
                let value = weight == 0 ? left : weight == 1 ? right : (1 - weight) * left + weight * right
                if value.isNaN {
                    let sample = weight < 1 && left.isNaN ? index : index + 1
                    throw CircuitFitError("\(file): behaviour '\(series.name)' (\(series.location)) channel \(channel) is NaN at \(series.time(of: sample)) s (sample \(sample)), needed for trial \(trialID) at \(timeS) s; fill or cut the gap before importing, or leave the trial out with --drop-trials \(trialID)")
                }
                out[bin * k + channel] = value
            }
        }
        return out
    }

    /// The sample at or before `timeS` and the weight (0…1) of the one after it.
    private func bracket(_ timeS: Double, series: BehaviorSeries, trial: Int) throws -> (Int, Double) {
        let n = series.sampleCount
        func outside() -> CircuitFitError {
            let range = n == 0 ? "has no samples" : "covers \(series.time(of: 0))…\(series.time(of: n - 1)) s"
            return CircuitFitError("\(file): behaviour '\(series.name)' (\(series.location)) \(range), but trial \(trial) needs a value at \(timeS) s (shrink --window-ms, or leave the trial out with --drop-trials \(trial))")
        }
        guard n > 0 else { throw outside() }
        switch series.times {
        case .regular(let startS, let rateHz):
            let position = (timeS - startS) * rateHz
            let slack = 1e-9 * max(1, abs(position))
            guard position >= -slack, position <= Double(n - 1) + slack else { throw outside() }
            let index = min(max(Int(position.rounded(.down)), 0), max(n - 2, 0))
            let weight = n == 1 ? 0 : min(max(position - Double(index), 0), 1)
            return (index, weight)
        case .timestamps(let times):
            guard timeS >= times[0], timeS <= times[n - 1] else { throw outside() }
            let after = SpikeBinner.firstIndex(in: times, notBelow: timeS)
            if after < n, times[after] == timeS { return (after, 0) }
            let index = after - 1
            let span = times[index + 1] - times[index]
            return (index, span > 0 ? (timeS - times[index]) / span : 0)
        }
    }
}
