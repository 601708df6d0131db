import Foundation
import CircuitFitCore

/// How most MATLAB labs store trials: a struct array with one element per trial, read from MAT v5
/// and v7.3 files alike (times in s):
///
/// - the trials variable (`trialsVariable`, or the file's only struct array with the spikes
///   field): a 1 × n (or n × 1) struct array, trial k = `trials(k)`;
/// - spikes (`spikesField`, default `spikes`): in every trial a cell of M numeric vectors, one
///   per unit (`trials(k).spikes{u}`; an empty cell element is a unit without spikes), or a plain
///   vector when M = 1. Every trial has the same M. Unit ids: a top-level `unit_ids` [M] when
///   present, else 0…M−1;
/// - trials columns: every field that holds, in every trial, a number (an empty [] is NaN:
///   e.g. an aborted trial's go cue), a numeric vector in some trials (a list per trial, e.g. the
///   perturbed units `[3 7]`, [] for none) or text (char, e.g. '45deg' or 'success'; a cell holding
///   one string is read as that string). `start_time` and `stop_time` fields bound each trial;
///   an `id` field gives the trial ids (default: the element number from 0);
/// - behaviour `<name>` (a field): per trial a [samples] or [samples, channels] matrix, with a
///   time vector `<name>_timestamps` (or `<name>_time`) field, or a sampling rate `<name>_rate`
///   (a field, or a top-level variable) and the time of the first sample `<name>_starting_time`
///   (a field or a top-level variable; default: the trial's `start_time`). A top-level variable
///   `<name>` instead is one series for the whole session, as in the flat layout.
///
/// All of a trial's times (spikes, events, start/stop, behaviour) must be on one clock: the
/// session's, or the trial's own (e.g. 0 at the trial's start). Each trial's spikes and behaviour
/// are only ever used for that trial.
enum TrialStructLayout {
    /// The struct arrays of `reader` that could be trials (more than one element, or the spikes field).
    static func candidates(_ reader: MATReader, spikesField: String) -> [String] {
        reader.variableNames.filter { name in
            guard case .structure(let s)? = try? reader.value(name) else { return false }
            return s.elements.count > 1 || s.fieldNames.contains(spikesField)
        }
    }

    /// The recording held by the struct array `variable` of `reader`.
    static func recording(from reader: MATReader, variable: String, options: ImportOptions) throws -> Recording {
        let file = reader.url.path
        let value = try reader.value(variable)
        guard case .structure(let trials) = value else {
            throw CircuitFitError("\(file): '\(variable)' is \(value.description), expected a struct array of trials (one element per trial)")
        }
        let what = "struct array '\(variable)' (\(value.description))"
        guard trials.dims.filter({ $0 != 1 }).count <= 1, !trials.elements.isEmpty else {
            throw CircuitFitError("\(file): \(what) must be a 1 × n or n × 1 array of trials")
        }
        let spikesField = options.spikesField
        guard trials.fieldNames.contains(spikesField) else {
            throw CircuitFitError("\(file): \(what) has no spikes field '\(spikesField)' (a cell of spike-time vectors per trial, one per unit); name it with --spikes-field")
        }
        let n = trials.elements.count
        let trialSpikes = try trials.elements.enumerated().map { k, element in
            try spikes(element[spikesField]!, trial: k, file: file, variable: variable, field: spikesField)
        }
        let m = trialSpikes[0].count
        if let bad = trialSpikes.firstIndex(where: { $0.count != m }) {
            throw CircuitFitError("\(file): \(variable)(\(bad + 1)).\(spikesField) holds \(trialSpikes[bad].count) units but \(variable)(1).\(spikesField) holds \(m); every trial needs the same units")
        }
        var ids = Array(0..<m)
        if reader.variableNames.contains("unit_ids") {
            ids = try NamedArrayLayout.wholeNumbers("unit_ids", MATArraySource(reader: reader))
            guard ids.count == m else {
                throw CircuitFitError("\(file): 'unit_ids' has \(ids.count) values but \(variable)(k).\(spikesField) holds \(m) units")
            }
        }

        let behaviorFields = Set(options.behavior.flatMap { [$0, $0 + "_timestamps", $0 + "_time", $0 + "_rate", $0 + "_starting_time"] })
        var table = TrialTable(location: what, count: n)
        for field in trials.fieldNames where field != spikesField && !behaviorFields.contains(field) {
            table.set(field, column(trials, field: field, variable: variable))
        }
        if case .numbers(let values)? = try? table.column("id", in: file), values.allSatisfy({ $0.rounded() == $0 && abs($0) < 1e15 }) {
            table.ids = values.map { Int($0) }
        }
        let source = MATArraySource(reader: reader)
        let behavior = try options.behavior.map { name -> BehaviorSignal in
            if trials.fieldNames.contains(name) {
                return try perTrialBehavior(name, trials: trials, table: table, reader: reader, variable: variable)
            }
            if reader.variableNames.contains(name) { return .session(try NamedArrayLayout.series(name, source)) }
            throw CircuitFitError("\(file): no behaviour '\(name)': neither a field of \(what) nor a variable; the file has: \(source.inventory)")
        }
        let layout = "struct array '\(variable)' (\(trials.dims.map(String.init).joined(separator: "×")), one element per trial), spikes in field '\(spikesField)'"
        return Recording(
            source: file, format: reader.format, layout: layout,
            units: ids.map { SpikeTrain(id: $0, timesS: []) }, trialSpikes: trialSpikes, trials: table, behavior: behavior)
    }

    // MARK: Spikes

    private static func spikes(_ value: MATValue, trial k: Int, file: String, variable: String, field: String) throws -> [[Double]] {
        let place = "\(variable)(\(k + 1)).\(field)"
        switch value {
        case .cell(_, let elements):
            return try elements.enumerated().map { u, element in
                guard case .numeric(let array) = element, array.isVector else {
                    throw CircuitFitError("\(file): \(place){\(u + 1)} is \(element.description), expected a vector of spike times (s)")
                }
                return array.values
            }
        case .numeric(let array) where array.isVector:
            return [array.values]
        default:
            throw CircuitFitError("\(file): \(place) is \(value.description), expected a cell of spike-time vectors (s), one per unit")
        }
    }

    // MARK: Columns

    /// One trials column from a field: numbers, strings, or unusable with the reason.
    private static func column(_ trials: MATStruct, field: String, variable: String) -> TrialColumn {
        var numbers: [Double] = [], strings: [String] = []
        var numberTrials: [Int] = [], stringTrials: [Int] = [], emptyTrials: [Int] = []
        var vectors: [(trial: Int, values: [Double])] = []   // several numbers in a trial: a list column
        for (k, element) in trials.elements.enumerated() {
            switch element[field]! {
            case .numeric(let array) where array.values.isEmpty:
                emptyTrials.append(k)
            case .numeric(let array) where array.values.count == 1:
                numbers.append(array.values[0]); numberTrials.append(k)
            case .numeric(let array) where array.isVector:
                vectors.append((k, array.values))
            case .text(let text) where text.singleString != nil:
                strings.append(text.singleString!); stringTrials.append(k)
            case .cell(_, let cells) where cells.count == 1:
                if case .text(let text) = cells[0], let single = text.singleString {
                    strings.append(single); stringTrials.append(k)
                } else {
                    return .unsupported("\(variable)(\(k + 1)).\(field) is a 1×1 cell holding \(cells[0].description), expected a number or text per trial")
                }
            case let other:
                return .unsupported("\(variable)(\(k + 1)).\(field) is \(other.description), expected a number or text per trial")
            }
        }
        if !numberTrials.isEmpty && !stringTrials.isEmpty {
            return .unsupported("it mixes numbers (e.g. \(variable)(\(numberTrials[0] + 1))) and text (e.g. \(variable)(\(stringTrials[0] + 1)))")
        }
        if !vectors.isEmpty {
            guard stringTrials.isEmpty else {
                return .unsupported("it mixes vectors (e.g. \(variable)(\(vectors[0].trial + 1))) and text (e.g. \(variable)(\(stringTrials[0] + 1)))")
            }
            var all = [[Double]](repeating: [], count: trials.elements.count)
            for (k, value) in zip(numberTrials, numbers) { all[k] = [value] }
            for (k, values) in vectors { all[k] = values }
            return .lists(all)
        }
        if !stringTrials.isEmpty {
            var all = [String](repeating: "", count: trials.elements.count)
            for (k, text) in zip(stringTrials, strings) { all[k] = text }
            return .strings(all)
        }
        var all = [Double](repeating: .nan, count: trials.elements.count)
        for (k, value) in zip(numberTrials, numbers) { all[k] = value }
        return .numbers(all)
    }

    // MARK: Behaviour

    private static func perTrialBehavior(_ name: String, trials: MATStruct, table: TrialTable, reader: MATReader, variable: String) throws -> BehaviorSignal {
        let file = reader.url.path
        let topLevel = Set(reader.variableNames)
        let source = MATArraySource(reader: reader)
        func scalarField(_ element: [String: MATValue], _ field: String) -> Double? {
            if case .numeric(let array)? = element[field], array.values.count == 1 { return array.values[0] }
            return nil
        }
        let rateVariable = topLevel.contains(name + "_rate") ? try NamedArrayLayout.scalar(name + "_rate", source) : nil
        let startVariable = topLevel.contains(name + "_starting_time") ? try NamedArrayLayout.scalar(name + "_starting_time", source) : nil
        let starts = try? table.numbers("start_time", in: file, purpose: "trial start, s")
        var channels: Int? = nil
        var series: [BehaviorSeries?] = []
        for (k, element) in trials.elements.enumerated() {
            let place = "\(variable)(\(k + 1)).\(name)"
            guard case .numeric(let array)? = element[name] else {
                throw CircuitFitError("\(file): \(place) is \(element[name]!.description), expected a [samples] or [samples, channels] matrix")
            }
            if array.values.isEmpty { series.append(nil); continue }
            let timestamps: [Double]?
            if case .numeric(let t)? = element[name + "_timestamps"] ?? element[name + "_time"], t.isVector {
                timestamps = t.values
            } else {
                timestamps = nil
            }
            // Orientation: rows are samples; a time vector tells a transposed matrix apart.
            var samples: Int, width: Int, values = array.values
            if array.isVector {
                samples = array.values.count; width = 1
            } else if array.dims.count == 2 {
                samples = array.dims[0]; width = array.dims[1]
                if let timestamps, timestamps.count == array.dims[1], timestamps.count != array.dims[0] {
                    samples = array.dims[1]; width = array.dims[0]
                    values = (0..<samples).flatMap { s in (0..<width).map { c in array.values[c * samples + s] } }
                }
            } else {
                throw CircuitFitError("\(file): \(place) is \(MATValue.numeric(array).description), expected [samples] or [samples, channels]")
            }
            if let channels, width != channels {
                throw CircuitFitError("\(file): \(place) has \(width) channels but earlier trials have \(channels) (a [samples, channels] matrix per trial; a channels × samples matrix needs a time vector \(name)_timestamps to be told apart)")
            }
            channels = width
            let times: BehaviorSeries.SampleTimes
            if let timestamps {
                times = .timestamps(timestamps)
            } else if let rate = scalarField(element, name + "_rate") ?? rateVariable {
                guard let start = scalarField(element, name + "_starting_time") ?? startVariable ?? starts.map({ $0[k] }) else {
                    throw CircuitFitError("\(file): \(place) has a sampling rate but no time for its first sample: add a field \(name)_starting_time (s), a start_time field, or a time vector \(name)_timestamps")
                }
                times = .regular(startS: start, rateHz: rate)
            } else {
                throw CircuitFitError("\(file): \(place) needs a time vector field \(name)_timestamps (s) or a sampling rate \(name)_rate (Hz, a field or a variable); \(variable) has fields: \(trials.fieldNames.joined(separator: ", "))")
            }
            series.append(try BehaviorSeries(
                name: name, location: place, sampleCount: samples, channels: width, values: values, times: times
            ).validated(file: file))
        }
        guard let channels else {
            throw CircuitFitError("\(file): behaviour field '\(name)' of '\(variable)' is empty in every trial")
        }
        return .perTrial(name: name, location: "field '\(name)' of struct array '\(variable)'", channels: channels, unit: "", series: series)
    }
}
