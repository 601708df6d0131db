import Foundation
import CircuitFitCore

/// How a recording is laid out as named arrays in MAT and NPZ files (times in s, rates in Hz):
///
/// - Spikes: `spike_times`, either a cell array of M vectors (one per unit, MAT only) or one flat
///   vector with `spike_times_index` [M], the end of each unit's spikes in `spike_times` (NWB's
///   VectorIndex). Optional `unit_ids` [M] (whole numbers; default 0…M−1).
/// - Trials: every variable `trials_<column>` is the trials-table column `<column>`, one value per
///   trial: a numeric vector ([n], [1, n] or [n, 1]), or text (a MATLAB cellstr or char matrix
///   with one row per trial, a NumPy string array) for string labels such as '45deg' or
///   'success', or (MAT) a cell of one numeric vector per trial (a list per trial, e.g. perturbed
///   units; [] for none). `trials_start_time` and `trials_stop_time` are required; an optional `trials_id`
///   gives the trial ids (default: the row number from 0).
/// - Behaviour `<name>`: [T] (or [1, T], [T, 1]) or [T, K] samples, with `<name>_timestamps` [T],
///   or `<name>_rate` (Hz) and optional `<name>_starting_time` (s, default 0).
enum NamedArrayLayout {
    static let trialPrefix = "trials_"

    /// The recording the arrays of `source` describe, with the named behavioural series.
    static func recording(from source: NamedArraySource, behavior names: [String]) throws -> Recording {
        let units = try spikeTrains(source)
        let trials = try trialTable(source)
        let behavior = try names.map { try series($0, source) }
        return Recording(source: source.path, format: source.format, layout: "flat named arrays (spike_times, trials_*)", units: units, trials: trials, behavior: behavior)
    }

    private static func missing(_ name: String, _ what: String, _ source: NamedArraySource) -> CircuitFitError {
        CircuitFitError("\(source.path): no variable '\(name)' (\(what)) for the flat layout; the file has: \(source.inventory)")
    }

    /// The values of a variable that must be a vector.
    static func vector(_ name: String, _ source: NamedArraySource) throws -> [Double] {
        let (shape, values) = try source.numbers(name)
        guard shape.filter({ $0 != 1 }).count <= 1 else {
            throw CircuitFitError("\(source.path): variable '\(name)' has shape \(shape), expected a vector")
        }
        return values
    }

    // MARK: Spikes

    static func spikeTrains(_ source: NamedArraySource) throws -> [SpikeTrain] {
        guard source.names.contains("spike_times") else { throw missing("spike_times", "spike times, s", source) }
        var trains: [[Double]]
        if let cell = try source.vectorCell("spike_times") {
            trains = cell
        } else {
            let times = try vector("spike_times", source)
            guard source.names.contains("spike_times_index") else {
                throw CircuitFitError("\(source.path): 'spike_times' is one flat vector, so 'spike_times_index' (end of each unit's spikes) is needed; the file has: \(source.inventory)")
            }
            let ends = try wholeNumbers("spike_times_index", source)
            trains = []
            var begin = 0
            for (unit, end) in ends.enumerated() {
                guard end >= begin, end <= times.count else {
                    throw CircuitFitError("\(source.path): spike_times_index[\(unit)] = \(end) is outside \(begin)…\(times.count) (the index must rise and stay within spike_times)")
                }
                trains.append(Array(times[begin..<end]))
                begin = end
            }
        }
        var ids = Array(0..<trains.count)
        if source.names.contains("unit_ids") {
            ids = try wholeNumbers("unit_ids", source)
            guard ids.count == trains.count else {
                throw CircuitFitError("\(source.path): 'unit_ids' has \(ids.count) values but 'spike_times' holds \(trains.count) units")
            }
        }
        return zip(ids, trains).map { SpikeTrain(id: $0, timesS: $1) }
    }

    static func wholeNumbers(_ name: String, _ source: NamedArraySource) throws -> [Int] {
        try vector(name, source).enumerated().map { index, value in
            guard value.rounded() == value, abs(value) < 0x1p62 else {
                throw CircuitFitError("\(source.path): variable '\(name)' holds \(value) at index \(index), expected whole numbers")
            }
            return Int(value)
        }
    }

    // MARK: Trials

    static func trialTable(_ source: NamedArraySource) throws -> TrialTable {
        let start = trialPrefix + "start_time"
        guard source.names.contains(start) else { throw missing(start, "trial start times, s", source) }
        guard source.names.contains(trialPrefix + "stop_time") else { throw missing(trialPrefix + "stop_time", "trial stop times, s", source) }
        let count = try vector(start, source).count
        var ids: [Int]? = nil
        if source.names.contains(trialPrefix + "id") {
            ids = try wholeNumbers(trialPrefix + "id", source)
            guard ids!.count == count else {
                throw CircuitFitError("\(source.path): 'trials_id' has \(ids!.count) values for \(count) trials")
            }
        }
        var table = TrialTable(location: "variables \(trialPrefix)*", count: count, ids: ids)
        for name in source.names where name.hasPrefix(trialPrefix) {
            let column = String(name.dropFirst(trialPrefix.count))
            do {
                if let strings = try source.strings(name) {
                    if strings.count == count {
                        table.set(column, .strings(strings))
                    } else {
                        table.set(column, .unsupported("variable '\(name)' is \(source.describe(name)), \(strings.count) string\(strings.count == 1 ? "" : "s") for \(count) trials (text columns need one row or cell per trial)"))
                    }
                    continue
                }
                if let lists = try source.numberLists(name) {
                    table.set(column, lists.count == count ? .lists(lists) : .unsupported("variable '\(name)' is a cell of \(lists.count) vectors for \(count) trials"))
                    continue
                }
                let values = try vector(name, source)
                if values.count == count {
                    table.set(column, .numbers(values))
                } else {
                    table.set(column, .unsupported("variable '\(name)' has \(values.count) values for \(count) trials"))
                }
            } catch let error as CircuitFitError {
                let prefix = source.path + ": "
                table.set(column, .unsupported(error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message))
            }
        }
        _ = try table.numbers("start_time", in: source.path, purpose: "trial start, s")
        _ = try table.numbers("stop_time", in: source.path, purpose: "trial stop, s")
        return table
    }

    // MARK: Behaviour

    static func series(_ name: String, _ source: NamedArraySource) throws -> BehaviorSeries {
        guard source.names.contains(name) else { throw missing(name, "behaviour [time] or [time, channels]", source) }
        let (shape, values) = try source.numbers(name)
        let samples: Int, channels: Int
        if shape.filter({ $0 != 1 }).count <= 1 {
            samples = values.count; channels = 1
        } else if shape.count == 2 {
            samples = shape[0]; channels = shape[1]
        } else {
            throw CircuitFitError("\(source.path): variable '\(name)' has shape \(shape), expected [time] or [time, channels]")
        }
        let times: BehaviorSeries.SampleTimes
        if source.names.contains(name + "_timestamps") {
            times = .timestamps(try vector(name + "_timestamps", source))
        } else if source.names.contains(name + "_rate") {
            let rate = try scalar(name + "_rate", source)
            let start = source.names.contains(name + "_starting_time") ? try scalar(name + "_starting_time", source) : 0
            times = .regular(startS: start, rateHz: rate)
        } else {
            throw CircuitFitError("\(source.path): behaviour '\(name)' needs '\(name)_timestamps' (s) or '\(name)_rate' (Hz); the file has: \(source.inventory)")
        }
        return try BehaviorSeries(name: name, location: "variable \(name)", sampleCount: samples, channels: channels, values: values, times: times)
            .validated(file: source.path)
    }

    static func scalar(_ name: String, _ source: NamedArraySource) throws -> Double {
        let values = try source.numbers(name).values
        guard values.count == 1 else { throw CircuitFitError("\(source.path): variable '\(name)' holds \(values.count) values, expected one") }
        return values[0]
    }
}
