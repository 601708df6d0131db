import Foundation
import CircuitFitCore

/// Reads what the importer needs from an NWB 2.x file as pynwb writes it:
///
/// - the `units` table: `spike_times` (VectorData, s) split per unit by `spike_times_index`
///   (VectorIndex: the end of each unit's spikes in `spike_times`), and the unit `id`s;
/// - the `intervals/trials` table: `start_time`, `stop_time` and every other 1-D numeric or
///   string column (ragged or multi-dimensional columns are listed but unusable);
/// - behavioural `TimeSeries` by name, searched for anywhere under `processing/*/…` and
///   `acquisition` (a name containing "/" is taken as the exact path): `data` [time] or
///   [time, channels] times its `conversion` plus `offset` attributes, with `timestamps` or
///   `starting_time` and its `rate` attribute.
public enum NWBReader {
    /// Units, trials and the named behavioural series of the NWB file at `url`.
    /// With `perturbation`, also its OptogeneticSeries and units-table column.
    public static func read(_ url: URL, behavior names: [String] = [], perturbation: PerturbationImportOptions? = nil) throws -> Recording {
        let file = try HDF5File(url: url)
        let units = try readUnits(file)
        let trials = try readTrials(file)
        let behavior = try names.map { try readTimeSeries(named: $0, in: file) }
        var recording = Recording(source: url.path, format: .nwb, layout: "NWB units table, intervals/trials, TimeSeries", units: units, trials: trials, behavior: behavior)
        recording.optogeneticSeriesPaths = optogeneticSeriesPaths(in: file)
        if let perturbation, !perturbation.optogeneticSeries.isEmpty {
            recording.optogenetic = try readOptogeneticSeries(named: perturbation.optogeneticSeries, in: file)
        }
        if let perturbation, !perturbation.perturbedUnitsColumn.isEmpty {
            recording.perturbedUnitsColumn = try readUnitsColumn(perturbation.perturbedUnitsColumn, in: file, units: units.count)
        }
        return recording
    }

    // MARK: Units

    /// The spike trains of the `units` table.
    static func readUnits(_ file: HDF5File) throws -> [SpikeTrain] {
        let path = file.url.path
        guard file.kind(of: "/units") == .group else {
            let top = (try? file.members(of: "/")) ?? []
            throw CircuitFitError("\(path): no units table (/units), so no spike times; the file has: \(top.joined(separator: ", "))")
        }
        guard file.kind(of: "/units/spike_times") == .dataset else {
            throw CircuitFitError("\(path): the units table has no spike_times column; it has: \(try file.members(of: "/units").joined(separator: ", "))")
        }
        let times = try vector(file.readDoubles("/units/spike_times"), "/units/spike_times", file)
        let ends: [Int]
        if file.kind(of: "/units/spike_times_index") == .dataset {
            ends = try vector(file.readInt64s("/units/spike_times_index"), "/units/spike_times_index", file).map { Int(clamping: $0) }
        } else {
            throw CircuitFitError("\(path): /units/spike_times has no spike_times_index (VectorIndex), so spikes cannot be split into units")
        }
        let ids: [Int]
        if file.kind(of: "/units/id") == .dataset {
            ids = try vector(file.readInt64s("/units/id"), "/units/id", file).map { Int(clamping: $0) }
            guard ids.count == ends.count else {
                throw CircuitFitError("\(path): /units/id has \(ids.count) units but /units/spike_times_index has \(ends.count)")
            }
        } else {
            ids = Array(0..<ends.count)
        }
        var trains: [SpikeTrain] = []
        var begin = 0
        for (unit, end) in ends.enumerated() {
            guard end >= begin, end <= times.count else {
                throw CircuitFitError("\(path): /units/spike_times_index[\(unit)] = \(end) is outside \(begin)…\(times.count) (the index must rise and stay within spike_times)")
            }
            trains.append(SpikeTrain(id: ids[unit], timesS: Array(times[begin..<end])))
            begin = end
        }
        return trains
    }

    // MARK: Trials

    /// The `intervals/trials` table.
    static func readTrials(_ file: HDF5File) throws -> TrialTable {
        let path = file.url.path, table = "/intervals/trials"
        guard file.kind(of: table) == .group else {
            throw CircuitFitError("\(path): no trials table (\(table)); the importer needs trials to align and average spikes")
        }
        let members = try file.members(of: table)
        guard members.contains("start_time"), members.contains("stop_time") else {
            throw CircuitFitError("\(path): the trials table (\(table)) needs start_time and stop_time; it has: \(members.joined(separator: ", "))")
        }
        let starts = try vector(file.readDoubles("\(table)/start_time"), "\(table)/start_time", file)
        var ids: [Int]? = nil
        if members.contains("id"), file.kind(of: "\(table)/id") == .dataset,
           let values = try? vector(file.readInt64s("\(table)/id"), "\(table)/id", file), values.count == starts.count {
            ids = values.map { Int(clamping: $0) }
        }
        var trials = TrialTable(location: table, count: starts.count, ids: ids)
        let indexed = Set(members.filter { $0.hasSuffix("_index") }.map { String($0.dropLast(6)) })
        for name in members where name != "id" && !name.hasSuffix("_index") {
            let columnPath = "\(table)/\(name)"
            guard file.kind(of: columnPath) == .dataset else { continue }
            if indexed.contains(name) {
                trials.set(name, try raggedColumn(file, table: table, name: name, trials: starts.count))
                continue
            }
            let info = try file.info(columnPath)
            guard info.shape.count == 1, info.shape[0] == starts.count else {
                trials.set(name, .unsupported("shape \(info.shape), expected [\(starts.count)] (one value per trial)"))
                continue
            }
            switch info.valueClass {
            case .integer, .float: trials.set(name, .numbers(try file.readDoubles(columnPath).values))
            case .string: trials.set(name, .strings(try file.readStrings(columnPath).values))
            case .objectReference, .other: trials.set(name, .unsupported("it holds references or compound values, expected numbers or strings"))
            }
        }
        return trials
    }

    /// A ragged column (`name` split per trial by `name_index`): numbers become a list per trial;
    /// anything else is unusable.
    private static func raggedColumn(_ file: HDF5File, table: String, name: String, trials: Int) throws -> TrialColumn {
        let ragged = TrialColumn.unsupported("it is ragged (has \(name)_index) and holds no numbers, expected one value per trial")
        guard file.kind(of: "\(table)/\(name)_index") == .dataset,
              let info = try? file.info("\(table)/\(name)"), info.shape.count == 1, info.valueClass == .integer || info.valueClass == .float,
              let ends = try? file.readInt64s("\(table)/\(name)_index"), ends.shape == [trials] else { return ragged }
        let values = try file.readDoubles("\(table)/\(name)").values
        var begin = 0
        var lists: [[Double]] = []
        for (trial, end) in ends.values.map({ Int(clamping: $0) }).enumerated() {
            guard end >= begin, end <= values.count else {
                return .unsupported("\(name)_index[\(trial)] = \(end) is outside \(begin)…\(values.count) (the index must rise and stay within \(name))")
            }
            lists.append(Array(values[begin..<end]))
            begin = end
        }
        return .lists(lists)
    }

    // MARK: Behaviour

    /// The TimeSeries called `name` (or at path `name` when it contains "/").
    static func readTimeSeries(named name: String, in file: HDF5File) throws -> BehaviorSeries {
        let path = file.url.path
        let location: String
        if name.contains("/") {
            location = name.hasPrefix("/") ? name : "/" + name
            guard file.kind(of: location) == .group, file.kind(of: location + "/data") == .dataset else {
                let all = timeSeriesPaths(in: file)
                let names = all.isEmpty ? "none under /processing or /acquisition" : all.joined(separator: ", ")
                throw CircuitFitError("\(path): no TimeSeries at \(location) (a group with a data dataset); the file's TimeSeries are: \(names)")
            }
        } else {
            let all = timeSeriesPaths(in: file)
            let matches = all.filter { $0.split(separator: "/").last.map(String.init) == name }
            guard !matches.isEmpty else {
                let names = all.isEmpty ? "none" : all.joined(separator: ", ")
                throw CircuitFitError("\(path): no TimeSeries named '\(name)' under /processing or /acquisition; there are: \(names) (give a name, or a full path such as /processing/behavior/EMG)")
            }
            guard matches.count == 1 else {
                throw CircuitFitError("\(path): \(matches.count) TimeSeries are named '\(name)' (\(matches.joined(separator: ", "))); give the full path")
            }
            location = matches[0]
        }
        let data = try file.readDoubles(location + "/data")
        guard data.shape.count == 1 || data.shape.count == 2 else {
            throw CircuitFitError("\(path): \(location)/data has shape \(data.shape), expected [time] or [time, channels]")
        }
        let samples = data.shape[0], channels = data.shape.count == 2 ? data.shape[1] : 1
        let conversion = try file.doubleAttribute("conversion", of: location + "/data") ?? 1
        let offset = try file.doubleAttribute("offset", of: location + "/data") ?? 0
        let unit = (try? file.stringAttribute("unit", of: location + "/data")) ?? nil
        let times: BehaviorSeries.SampleTimes
        if file.kind(of: location + "/timestamps") == .dataset {
            times = .timestamps(try vector(file.readDoubles(location + "/timestamps"), location + "/timestamps", file))
        } else if file.kind(of: location + "/starting_time") == .dataset {
            let start = try file.readDoubles(location + "/starting_time").values
            guard start.count == 1 else { throw CircuitFitError("\(path): \(location)/starting_time holds \(start.count) values, expected one (s)") }
            guard let rate = try file.doubleAttribute("rate", of: location + "/starting_time") else {
                throw CircuitFitError("\(path): \(location)/starting_time has no rate attribute (Hz)")
            }
            times = .regular(startS: start[0], rateHz: rate)
        } else {
            throw CircuitFitError("\(path): TimeSeries \(location) has neither timestamps nor starting_time with a rate")
        }
        let values = data.values.map { $0 * conversion + offset }
        return try BehaviorSeries(
            name: name, location: location, sampleCount: samples, channels: channels, values: values,
            times: times, unit: unit ?? ""
        ).validated(file: path)
    }

    /// Paths of every group under /processing and /acquisition that holds a `data` dataset
    /// (searched at most six levels deep and 10000 groups wide, so a file with cyclic links
    /// cannot loop).
    static func timeSeriesPaths(in file: HDF5File) -> [String] {
        groupPaths(in: file, under: ["/processing", "/acquisition"]) { file.kind(of: $0 + "/data") == .dataset }
    }

    /// Paths of the groups below `roots` for which `matches` holds, in file order; a matching
    /// group is not searched further. At most six levels deep and 10000 groups wide, so a file
    /// with cyclic links cannot loop.
    static func groupPaths(in file: HDF5File, under roots: [String], where matches: (String) -> Bool) -> [String] {
        var found: [String] = []
        var visited = 0
        func visit(_ group: String, depth: Int) {
            visited += 1
            guard depth < 6, visited < 10_000, let members = try? file.members(of: group) else { return }
            for member in members {
                let child = group + "/" + member
                guard file.kind(of: child) == .group else { continue }
                if matches(child) { found.append(child) } else { visit(child, depth: depth + 1) }
            }
        }
        for root in roots where file.kind(of: root) == .group { visit(root, depth: 0) }
        return found
    }

    /// The values of a dataset that must be 1-D.
    private static func vector<T>(_ read: HDF5File.Values<T>, _ object: String, _ file: HDF5File) throws -> [T] {
        guard read.shape.count == 1 else {
            throw CircuitFitError("\(file.url.path): \(object) has shape \(read.shape), expected a vector")
        }
        return read.values
    }
}
