import Foundation
import CircuitFitCore

/// A recording as the importer sees it, whatever file it came from: spike trains, a trials table
/// and the behavioural signals that were asked for. Times are seconds.
///
/// Most files keep one clock for the whole session (NWB, the flat MAT/NPZ layout): `units` hold
/// each unit's spike times and a trial selects its window from them. A MATLAB struct array of
/// trials keeps each trial's spikes (and behaviour) with the trial, on that trial's clock:
/// `trialSpikes[trial][unit]` then holds them and `units` only names the units (no times).
public struct Recording: Sendable {
    /// Which reader made it.
    public enum Format: String, Codable, Sendable {
        case nwb = "NWB 2.x"
        case matV5 = "MAT v5"
        case matV73 = "MAT v7.3"
        case npz = "NPZ"
    }

    /// The file path, used in messages.
    public var source: String
    public var format: Format
    /// How the file lays out the recording, in words (e.g. "flat named arrays", "struct array
    /// 'trials' (1×80), spikes in field 'spikes'").
    public var layout: String
    /// One spike train per unit, in file order (times empty when `trialSpikes` holds them).
    public var units: [SpikeTrain]
    /// Spike times per trial and unit (s, on the trial's clock), for files that store spikes
    /// with each trial; nil when `units` hold session-clock spike trains.
    public var trialSpikes: [[[Double]]]?
    public var trials: TrialTable
    /// The behavioural signals asked for, in the order asked.
    public var behavior: [BehaviorSignal]
    /// The OptogeneticSeries asked for (`PerturbationImportOptions.optogeneticSeries`, NWB).
    public var optogenetic: OptogeneticRecord? = nil
    /// The values of the units-table column `PerturbationImportOptions.perturbedUnitsColumn`,
    /// one per unit (NWB).
    public var perturbedUnitsColumn: [Double]? = nil
    /// Paths of every OptogeneticSeries the file has (NWB), whether or not one was asked for.
    public var optogeneticSeriesPaths: [String] = []

    public init(
        source: String, format: Format, layout: String = "", units: [SpikeTrain], trialSpikes: [[[Double]]]?,
        trials: TrialTable, behavior: [BehaviorSignal]
    ) {
        self.source = source; self.format = format; self.layout = layout; self.units = units
        self.trialSpikes = trialSpikes; self.trials = trials; self.behavior = behavior
    }

    /// A session-clock recording with behaviour series (NWB, flat MAT/NPZ).
    public init(source: String, format: Format, layout: String = "", units: [SpikeTrain], trials: TrialTable, behavior: [BehaviorSeries]) {
        self.init(source: source, format: format, layout: layout, units: units, trialSpikes: nil, trials: trials, behavior: behavior.map { BehaviorSignal.session($0) })
    }
}

/// A behavioural signal (EMG, hand velocity…): one series on the session clock, or one series
/// per trial (a MATLAB struct array of trials), each on its trial's clock.
public enum BehaviorSignal: Sendable, Equatable {
    case session(BehaviorSeries)
    /// One series per trial (nil for a trial without it); all have the same channels.
    case perTrial(name: String, location: String, channels: Int, unit: String, series: [BehaviorSeries?])

    public var name: String {
        switch self {
        case .session(let s): return s.name
        case .perTrial(let name, _, _, _, _): return name
        }
    }

    public var location: String {
        switch self {
        case .session(let s): return s.location
        case .perTrial(_, let location, _, _, _): return location
        }
    }

    public var channels: Int {
        switch self {
        case .session(let s): return s.channels
        case .perTrial(_, _, let channels, _, _): return channels
        }
    }

    public var unit: String {
        switch self {
        case .session(let s): return s.unit
        case .perTrial(_, _, _, let unit, _): return unit
        }
    }

    /// How it is sampled, in words, for the provenance.
    public var sampling: String {
        switch self {
        case .session(let s):
            switch s.times {
            case .regular(let start, let rate): return "regular, \(rate) Hz from \(start) s"
            case .timestamps(let t): return "\(t.count) timestamps"
            }
        case .perTrial(_, _, _, _, let series):
            let present = series.compactMap { $0 }
            let regular = present.filter { if case .regular = $0.times { return true } else { return false } }.count
            return "one series per trial (\(present.count) trials): \(regular) with a sampling rate, \(present.count - regular) with a time vector"
        }
    }

    /// The series trial `trial` reads from.
    func series(forTrial trial: Int) -> BehaviorSeries? {
        switch self {
        case .session(let s): return s
        case .perTrial(_, _, _, _, let series): return trial < series.count ? series[trial] : nil
        }
    }
}

/// One unit's spike times (s) and its identifier (the NWB unit `id`, or `unit_ids`).
public struct SpikeTrain: Sendable, Equatable {
    public var id: Int
    public var timesS: [Double]

    public init(id: Int, timesS: [Double]) {
        self.id = id; self.timesS = timesS
    }
}

/// One column of a trials table.
public enum TrialColumn: Sendable, Equatable {
    case numbers([Double])
    case strings([String])
    /// A ragged numeric column (NWB's VectorIndex, e.g. `add_trial_column(..., index=True)`): a
    /// list of numbers per trial, read only where lists are meant (the perturbed units).
    case lists([[Double]])
    /// A column the importer cannot use (ragged, 2-D, references…), with the reason.
    case unsupported(String)
}

/// The trials table: one row per trial; `start_time` and `stop_time` (s) are always present.
public struct TrialTable: Sendable {
    /// Where the table lives, for messages, e.g. "/intervals/trials" or "variables trials_*".
    public var location: String
    public var count: Int
    /// Each trial's id: the file's trial ids (NWB's trials `id`, a `trials_id` variable, a
    /// struct's `id` field) or, where the file has none, the row number from 0.
    public var ids: [Int]
    /// Column names in the order they are listed (sorted).
    public private(set) var columnNames: [String] = []
    private var columns: [String: TrialColumn] = [:]

    public init(location: String, count: Int, ids: [Int]? = nil) {
        self.location = location; self.count = count; self.ids = ids ?? Array(0..<count)
    }

    /// Adds or replaces a column; its length must be `count` (unsupported columns have none).
    public mutating func set(_ name: String, _ column: TrialColumn) {
        if columns.updateValue(column, forKey: name) == nil {
            columnNames.append(name)
            columnNames.sort()
        }
    }

    /// The column called `name` as stored, unsupported ones included; nil when there is none.
    func storedColumn(_ name: String) -> TrialColumn? { columns[name] }

    /// The column called `name`, or an error listing the columns that exist.
    public func column(_ name: String, in file: String) throws -> TrialColumn {
        guard let column = columns[name] else {
            throw CircuitFitError("\(file): the trials table (\(location)) has no column '\(name)'; it has: \(columnNames.joined(separator: ", "))")
        }
        if case .unsupported(let reason) = column {
            throw CircuitFitError("\(file): trials column '\(name)' (\(location)) cannot be used: \(reason)")
        }
        return column
    }

    /// The numeric column called `name` (seconds, codes, angles…), or an error.
    public func numbers(_ name: String, in file: String, purpose: String) throws -> [Double] {
        switch try column(name, in: file) {
        case .numbers(let values): return values
        case .strings: throw CircuitFitError("\(file): trials column '\(name)' (\(location)) holds strings, expected numbers (\(purpose))")
        case .lists: throw CircuitFitError("\(file): trials column '\(name)' (\(location)) holds a list per trial (ragged), expected one number per trial (\(purpose))")
        case .unsupported(let reason): throw CircuitFitError("\(file): trials column '\(name)' cannot be used: \(reason)")
        }
    }
}

/// A behavioural signal (EMG, hand velocity…): samples [time, channels] with their times.
public struct BehaviorSeries: Sendable, Equatable {
    /// How sample times are given.
    public enum SampleTimes: Sendable, Equatable {
        /// Sample i is at `startS + i / rateHz`.
        case regular(startS: Double, rateHz: Double)
        /// Explicit, non-decreasing sample times (s).
        case timestamps([Double])
    }

    /// The name asked for.
    public var name: String
    /// Where it was found, e.g. "/processing/behavior/EMG" or "variable emg".
    public var location: String
    public var sampleCount: Int
    public var channels: Int
    /// Values in physical units (NWB `conversion` and `offset` applied), [sampleCount, channels]
    /// row-major.
    public var values: [Double]
    public var times: SampleTimes
    /// Unit of the values when the file says (NWB `unit`), else "".
    public var unit: String

    public init(name: String, location: String, sampleCount: Int, channels: Int, values: [Double], times: SampleTimes, unit: String = "") {
        self.name = name; self.location = location; self.sampleCount = sampleCount; self.channels = channels
        self.values = values; self.times = times; self.unit = unit
    }

    /// The time (s) of sample `index`.
    public func time(of index: Int) -> Double {
        switch times {
        case .regular(let start, let rate): return start + Double(index) / rate
        case .timestamps(let t): return t[index]
        }
    }

    /// Checks the times against the samples: a positive finite rate, or one finite
    /// non-decreasing timestamp per sample.
    func validated(file: String) throws -> BehaviorSeries {
        let what = "\(file): behaviour '\(name)' (\(location))"
        guard values.count == sampleCount * channels else {
            throw CircuitFitError("\(what) has \(values.count) values, expected \(sampleCount) samples × \(channels) channels")
        }
        switch times {
        case .regular(let start, let rate):
            guard rate > 0, rate.isFinite, start.isFinite else {
                throw CircuitFitError("\(what): sampling rate must be a positive number of Hz and the start time finite, got rate \(rate) Hz from \(start) s")
            }
        case .timestamps(let t):
            guard t.count == sampleCount else {
                throw CircuitFitError("\(what) has \(t.count) timestamps for \(sampleCount) samples")
            }
            if let bad = t.firstIndex(where: { !$0.isFinite }) {
                throw CircuitFitError("\(what): timestamp \(bad) is \(t[bad]), expected a finite time in s")
            }
            if let back = t.indices.dropFirst().first(where: { t[$0] < t[$0 - 1] }) {
                throw CircuitFitError("\(what): timestamps go backwards at sample \(back) (\(t[back - 1]) s then \(t[back]) s)")
            }
        }
        return self
    }
}
