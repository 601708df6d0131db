import Foundation
import CircuitFitCore

/// A `Recording` as two files, so a child process can hand what it read to its parent
/// (`HDF5Isolation`): `recording.npz` holds the numbers (spike times, trial columns, behaviour
/// samples, all float64/int64, bit-exact) and `recording.json` the names and strings.
///
/// Arrays: `unit_ids` [M], `spike_times` [S] and `spike_times_end` [M] (end of each unit's
/// spikes); `column_<i>` [trials] for numeric trial column i; `behavior_<j>_values`
/// [samples·channels] and either `behavior_<j>_timestamps` [samples] or `behavior_<j>_regular`
/// [start s, rate Hz]; for spikes stored with each trial, `trial_spike_times` [S'] and
/// `trial_spike_ends` [trials·units] (end of each trial's unit's spikes, trial-major).
enum RecordingArchive {
    static let arraysFile = "recording.npz"
    static let manifestFile = "recording.json"

    /// What the JSON file holds.
    struct Manifest: Codable {
        struct Column: Codable {
            var name: String
            /// "numbers", "strings" or "unsupported".
            var kind: String
            var strings: [String]?
            var reason: String?
        }
        struct Series: Codable {
            var name: String
            var location: String
            var sampleCount: Int
            var channels: Int
            var unit: String
        }
        var source: String
        var format: String
        var layout: String
        /// Units per trial when the spikes are stored with each trial (nil: session-clock trains).
        var trialSpikeUnits: Int?
        var trialsLocation: String
        var trialCount: Int
        /// The trials table's ids (nil in archives that predate them: row numbers).
        var trialIDs: [Int]?
        var columns: [Column]
        /// Every behaviour series, numbered as in the arrays.
        var behavior: [Series]
        /// The signals: one series on the session clock (`session`), or one per trial (`perTrial`,
        /// nil for a trial without it), as indices into `behavior`.
        var signals: [Signal]
        /// The OptogeneticSeries (an index into `behavior`) and its site, when read.
        var optogeneticSeries: Int?
        var optogeneticSite: String?
        var optogeneticSeriesPaths: [String]?
        struct Signal: Codable {
            var name: String
            var location: String
            var channels: Int
            var unit: String
            var session: Int?
            var perTrial: [Int?]?
        }
    }

    /// Writes `recording` into `folder` (which must exist).
    static func write(_ recording: Recording, to folder: URL) throws {
        var arrays = NPZArchive(fileName: arraysFile)
        arrays.set("unit_ids", NPYArray(recording.units.map(\.id)))
        arrays.set("spike_times", NPYArray(recording.units.flatMap(\.timesS)))
        var end = 0
        arrays.set("spike_times_end", NPYArray(recording.units.map { end += $0.timesS.count; return end }))
        var columns: [Manifest.Column] = []
        for (index, name) in recording.trials.columnNames.enumerated() {
            switch recording.trials.storedColumn(name) {
            case .numbers(let values)?:
                arrays.set("column_\(index)", NPYArray(values))
                columns.append(.init(name: name, kind: "numbers"))
            case .strings(let values)?:
                columns.append(.init(name: name, kind: "strings", strings: values))
            case .lists(let lists)?:
                arrays.set("column_\(index)", NPYArray(lists.flatMap { $0 }))
                var end = 0
                arrays.set("column_\(index)_ends", NPYArray(lists.map { end += $0.count; return end }))
                columns.append(.init(name: name, kind: "lists"))
            case .unsupported(let reason)?:
                columns.append(.init(name: name, kind: "unsupported", reason: reason))
            case nil:
                break
            }
        }
        if let perTrial = recording.trialSpikes {
            arrays.set("trial_spike_times", NPYArray(perTrial.flatMap { $0.flatMap { $0 } }))
            var end = 0
            arrays.set("trial_spike_ends", NPYArray(perTrial.flatMap { $0.map { end += $0.count; return end } }))
        }
        var series: [Manifest.Series] = []
        var signals: [Manifest.Signal] = []
        func add(_ s: BehaviorSeries) -> Int {
            let j = series.count
            arrays.set("behavior_\(j)_values", NPYArray(s.values))
            switch s.times {
            case .timestamps(let t): arrays.set("behavior_\(j)_timestamps", NPYArray(t))
            case .regular(let start, let rate): arrays.set("behavior_\(j)_regular", NPYArray([start, rate]))
            }
            series.append(.init(name: s.name, location: s.location, sampleCount: s.sampleCount, channels: s.channels, unit: s.unit))
            return j
        }
        for signal in recording.behavior {
            var entry = Manifest.Signal(name: signal.name, location: signal.location, channels: signal.channels, unit: signal.unit)
            switch signal {
            case .session(let s): entry.session = add(s)
            case .perTrial(_, _, _, _, let perTrial): entry.perTrial = perTrial.map { $0.map(add) }
            }
            signals.append(entry)
        }
        if let unitColumn = recording.perturbedUnitsColumn { arrays.set("perturbed_units_column", NPYArray(unitColumn)) }
        let optogeneticIndex = recording.optogenetic.map { add($0.series) }
        let manifest = Manifest(
            source: recording.source, format: recording.format.rawValue, layout: recording.layout,
            trialSpikeUnits: recording.trialSpikes.map { $0.first?.count ?? 0 }, trialsLocation: recording.trials.location,
            trialCount: recording.trials.count, trialIDs: recording.trials.ids, columns: columns, behavior: series, signals: signals,
            optogeneticSeries: optogeneticIndex, optogeneticSite: recording.optogenetic?.site,
            optogeneticSeriesPaths: recording.optogeneticSeriesPaths)
        // scratch files of a private temporary folder, read back at once: no fsync, no rename
        do {
            try arrays.encoded().write(to: folder.appendingPathComponent(arraysFile))
            try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent(manifestFile))
        } catch {
            throw CircuitFitError("cannot hand the recording over in \(folder.path): \(error.localizedDescription)")
        }
    }

    /// Reads what `write` wrote into `folder`.
    static func read(from folder: URL) throws -> Recording {
        let arrays = try NPZArchive.read(from: folder.appendingPathComponent(arraysFile))
        let manifestBytes = try FileContents.read(folder.appendingPathComponent(manifestFile))
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(manifestBytes)) } catch {
            throw CircuitFitError("\(manifestFile): unreadable (\(error))")
        }
        guard let format = Recording.Format(rawValue: manifest.format) else {
            throw CircuitFitError("\(manifestFile): unknown format '\(manifest.format)'")
        }
        let ids = try arrays.intVector("unit_ids")
        let times = try arrays.vector("spike_times")
        let ends = try arrays.intVector("spike_times_end", count: ids.count)
        var units: [SpikeTrain] = []
        var begin = 0
        for (id, end) in zip(ids, ends) {
            guard end >= begin, end <= times.count else { throw CircuitFitError("\(arraysFile): spike_times_end is not rising") }
            units.append(SpikeTrain(id: id, timesS: Array(times[begin..<end])))
            begin = end
        }
        if let ids = manifest.trialIDs, ids.count != manifest.trialCount {
            throw CircuitFitError("\(manifestFile): \(ids.count) trial ids for \(manifest.trialCount) trials")
        }
        var trials = TrialTable(location: manifest.trialsLocation, count: manifest.trialCount, ids: manifest.trialIDs)
        for (index, column) in manifest.columns.enumerated() {
            switch column.kind {
            case "numbers": trials.set(column.name, .numbers(try arrays.vector("column_\(index)", count: manifest.trialCount)))
            case "strings": trials.set(column.name, .strings(column.strings ?? []))
            case "lists":
                let values = try arrays.vector("column_\(index)")
                let ends = try arrays.intVector("column_\(index)_ends", count: manifest.trialCount)
                var begin = 0
                trials.set(column.name, .lists(try ends.map { end in
                    guard end >= begin, end <= values.count else { throw CircuitFitError("\(arraysFile): column_\(index)_ends is not rising") }
                    defer { begin = end }
                    return Array(values[begin..<end])
                }))
            default: trials.set(column.name, .unsupported(column.reason ?? "unsupported"))
            }
        }
        let series = try manifest.behavior.enumerated().map { j, s -> BehaviorSeries in
            let values = try arrays.vector("behavior_\(j)_values")
            let times: BehaviorSeries.SampleTimes
            if arrays["behavior_\(j)_timestamps"] != nil {
                times = .timestamps(try arrays.vector("behavior_\(j)_timestamps"))
            } else {
                let regular = try arrays.vector("behavior_\(j)_regular", count: 2)
                times = .regular(startS: regular[0], rateHz: regular[1])
            }
            return BehaviorSeries(name: s.name, location: s.location, sampleCount: s.sampleCount, channels: s.channels, values: values, times: times, unit: s.unit)
        }
        func item(_ j: Int) throws -> BehaviorSeries {
            guard series.indices.contains(j) else { throw CircuitFitError("\(manifestFile): behaviour series \(j) of \(series.count)") }
            return series[j]
        }
        let behavior: [BehaviorSignal] = try manifest.signals.map { s in
            if let j = s.session { return .session(try item(j)) }
            return .perTrial(name: s.name, location: s.location, channels: s.channels, unit: s.unit, series: try (s.perTrial ?? []).map { try $0.map(item) })
        }
        var trialSpikes: [[[Double]]]? = nil
        if let perTrialUnits = manifest.trialSpikeUnits {
            let times = try arrays.vector("trial_spike_times")
            let ends = try arrays.intVector("trial_spike_ends", count: manifest.trialCount * perTrialUnits)
            var begin = 0
            trialSpikes = try (0..<manifest.trialCount).map { k in
                try (0..<perTrialUnits).map { u in
                    let end = ends[k * perTrialUnits + u]
                    guard end >= begin, end <= times.count else { throw CircuitFitError("\(arraysFile): trial_spike_ends is not rising") }
                    defer { begin = end }
                    return Array(times[begin..<end])
                }
            }
        }
        var recording = Recording(source: manifest.source, format: format, layout: manifest.layout, units: units, trialSpikes: trialSpikes, trials: trials, behavior: behavior)
        if let j = manifest.optogeneticSeries { recording.optogenetic = OptogeneticRecord(series: try item(j), site: manifest.optogeneticSite ?? "") }
        recording.optogeneticSeriesPaths = manifest.optogeneticSeriesPaths ?? []
        if arrays["perturbed_units_column"] != nil { recording.perturbedUnitsColumn = try arrays.vector("perturbed_units_column", count: units.count) }
        return recording
    }
}
