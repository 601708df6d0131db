import Foundation
import CircuitFitCore

/// A `Recording` as two files, so a child process can hand what it read to its parent
/// (`HDF5Isolation`): `recording.npz` holds the numbers (spike times, trial columns, behaviour
/// samples, all float64/int64, bit-exact) and `recording.json` the names and strings.
///
/// Arrays: `unit_ids` [M], `spike_times` [S] and `spike_times_end` [M] (end of each unit's
/// spikes); `column_<i>` [trials] for numeric trial column i; `behavior_<j>_values`
/// [samples·channels] and either `behavior_<j>_timestamps` [samples] or `behavior_<j>_regular`
/// [start s, rate Hz].
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
        var trialsLocation: String
        var trialCount: Int
        var columns: [Column]
        var behavior: [Series]
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
            case .unsupported(let reason)?:
                columns.append(.init(name: name, kind: "unsupported", reason: reason))
            case nil:
                break
            }
        }
        var series: [Manifest.Series] = []
        for (j, s) in recording.behavior.enumerated() {
            arrays.set("behavior_\(j)_values", NPYArray(s.values))
            switch s.times {
            case .timestamps(let t): arrays.set("behavior_\(j)_timestamps", NPYArray(t))
            case .regular(let start, let rate): arrays.set("behavior_\(j)_regular", NPYArray([start, rate]))
            }
            series.append(.init(name: s.name, location: s.location, sampleCount: s.sampleCount, channels: s.channels, unit: s.unit))
        }
        let manifest = Manifest(
            source: recording.source, format: recording.format.rawValue, trialsLocation: recording.trials.location,
            trialCount: recording.trials.count, columns: columns, behavior: series)
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
        var trials = TrialTable(location: manifest.trialsLocation, count: manifest.trialCount)
        for (index, column) in manifest.columns.enumerated() {
            switch column.kind {
            case "numbers": trials.set(column.name, .numbers(try arrays.vector("column_\(index)", count: manifest.trialCount)))
            case "strings": trials.set(column.name, .strings(column.strings ?? []))
            default: trials.set(column.name, .unsupported(column.reason ?? "unsupported"))
            }
        }
        let behavior = try manifest.behavior.enumerated().map { j, s -> BehaviorSeries in
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
        return Recording(source: manifest.source, format: format, units: units, trials: trials, behavior: behavior)
    }
}
