import Foundation
import CircuitFitCore

/// Turns a recording (NWB, MAT v5/v7.3, NPZ) into the dataset `train` reads, plus the provenance
/// of every choice.
///
/// Pipeline, per used trial: align spikes to the event column (`alignTo`), count them in the bins
/// of the window (`BinGrid`: half-open bins, ms from the event), counts → Hz (count / bin s),
/// Gaussian smoothing (`GaussianSmoother`, renormalised at the window's edges), behaviour by
/// linear interpolation at the bin centres (`BehaviorResampler`), inputs (`InputChannels`). Then
/// rows are the average over each condition's trials (PSTHs) or, with `singleTrials`, the trials
/// themselves. Nothing is written: every error is thrown before a dataset exists.
///
/// What each format must hold (times in s):
/// - NWB 2.x: `units` (spike_times + spike_times_index, id), `intervals/trials` (start_time,
///   stop_time, the event and condition columns), TimeSeries under `processing` or `acquisition`
///   (see `NWBReader`).
/// - MAT (v5 or v7.3) and NPZ, as named arrays: `spike_times` (a cell of per-unit vectors, or flat
///   with `spike_times_index`), optional `unit_ids`, one `trials_<column>` vector per trials
///   column (`trials_start_time`, `trials_stop_time` required), and behaviour `<name>` [T] or
///   [T, K] with `<name>_timestamps` or `<name>_rate` (+ `<name>_starting_time`) (see
///   `NamedArrayLayout`).
public enum RecordingImporter {
    /// Reads the recording at `url` and builds the dataset. With `isolation`, an HDF5-based file
    /// (NWB, MAT v7.3) is read in a child process, so a crash inside libhdf5 becomes an error.
    public static func importRecording(url: URL, options: ImportOptions = ImportOptions(), isolation: HDF5Isolation? = nil) throws -> (dataset: ReachDataset, provenance: ImportProvenance) {
        try options.validate()
        let recording: Recording
        if let isolation, try usesHDF5(url) {
            recording = try isolation.readRecording(url: url, behavior: options.behavior)
        } else {
            recording = try readRecording(url: url, behavior: options.behavior)
        }
        return try dataset(from: recording, options: options)
    }

    /// Whether the file at `url` is read through libhdf5 (NWB, or a MAT v7.3 file).
    public static func usesHDF5(_ url: URL) throws -> Bool {
        switch try format(of: url) {
        case .nwb, .matV73: return true
        case .npz: return false
        case .matV5:
            let head = try MATReader.firstBytes(of: url, count: 128)
            return head.starts(with: Array("MATLAB 7.3".utf8)) || head.starts(with: [0x89, 0x48, 0x44, 0x46])
        }
    }

    /// Reads units, trials and the named behavioural series; the format comes from the extension
    /// (.nwb, .mat, .npz) or, for others, from the file's first bytes.
    public static func readRecording(url: URL, behavior: [String] = []) throws -> Recording {
        switch try format(of: url) {
        case .nwb: return try NWBReader.read(url, behavior: behavior)
        case .matV5, .matV73: return try NamedArrayLayout.recording(from: MATArraySource(reader: MATReader(url: url)), behavior: behavior)
        case .npz: return try NamedArrayLayout.recording(from: NPZArraySource(url: url), behavior: behavior)
        }
    }

    static func format(of url: URL) throws -> Recording.Format {
        switch url.pathExtension.lowercased() {
        case "nwb": return .nwb
        case "mat": return .matV5  // MATReader tells v5 from v7.3 itself
        case "npz": return .npz
        default:
            let head = try MATReader.firstBytes(of: url, count: 128)
            if head.starts(with: Array("PK".utf8)) { return .npz }
            if head.starts(with: Array("MATLAB".utf8)) { return .matV5 }
            if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .nwb }
            throw CircuitFitError("\(url.path): unrecognised recording format (expected an .nwb, .mat or .npz file)")
        }
    }

    /// Builds the dataset from a recording already read.
    public static func dataset(from recording: Recording, options: ImportOptions) throws -> (dataset: ReachDataset, provenance: ImportProvenance) {
        try options.validate()
        let file = recording.source
        guard !recording.units.isEmpty else { throw CircuitFitError("\(file): the recording has no units (no spike trains)") }
        try requireDistinctUnitIDs(recording.units, file: file)
        let grouping = try ConditionGrouping(table: recording.trials, options: options, file: file)
        let split = try HeldOutConditionChoice(grouping: grouping, options: options, file: file)
        let inputs = try InputChannels(options: options, grouping: grouping, table: recording.trials, file: file)
        let angles = try conditionAngles(grouping: grouping, table: recording.trials, options: options, file: file)
        let grid = BinGrid(options: options)
        let binner = SpikeBinner(units: recording.units, grid: grid, smoother: GaussianSmoother(sdMs: options.smoothMs, binMs: options.binMs))
        let resamplers = recording.behavior.map { BehaviorResampler(series: $0, grid: grid, file: file) }

        // Rows: one per condition, or one per used trial (in trials-table order).
        let usedTrials = grouping.trials.joined().sorted()
        var conditionOfTrial: [Int: Int] = [:]
        for (c, trials) in grouping.trials.enumerated() { for trial in trials { conditionOfTrial[trial] = c } }
        let rowOfTrial = options.singleTrials ? Dictionary(uniqueKeysWithValues: usedTrials.enumerated().map { ($1, $0) }) : conditionOfTrial
        let rowConditions = options.singleTrials ? usedTrials.map { conditionOfTrial[$0]! } : Array(grouping.labels.indices)
        let rows = rowConditions.count, t = grid.count, m = binner.unitCount
        let k = recording.behavior.reduce(0) { $0 + $1.channels }, i = inputs.names.count
        try ImportLimits.check(
            rows: rows, bins: t, units: m, targets: k, inputs: i, trials: usedTrials.count,
            kernelHalfWidth: binner.smoother.halfWidth, options: options, file: file)

        var recorded = Array3<Double>(rows, t, m, repeating: 0)
        var targets = Array3<Double>(rows, t, k, repeating: 0)
        var inputArray = Array3<Double>(rows, t, i, repeating: 0)
        var trialsInRow = [Int](repeating: 0, count: rows)
        for trial in usedTrials {
            let row = rowOfTrial[trial]!, event = grouping.eventsS[trial]
            trialsInRow[row] += 1
            add(binner.rates(eventS: event), into: &recorded, row: row, channelOffset: 0)
            var offset = 0
            for resampler in resamplers {
                add(try resampler.values(eventS: event, trial: trial), into: &targets, row: row, channelOffset: offset, width: resampler.series.channels)
                offset += resampler.series.channels
            }
            add(inputs.values(trial: trial, condition: conditionOfTrial[trial]!, grid: grid), into: &inputArray, row: row, channelOffset: 0)
        }
        for row in 0..<rows {
            let scale = 1 / Double(trialsInRow[row])
            scaleRow(&recorded, row, scale); scaleRow(&targets, row, scale); scaleRow(&inputArray, row, scale)
        }

        let dataset = ReachDataset(
            inputs: inputArray, targets: targets, recorded: recorded, neuronIDs: recording.units.map(\.id),
            conditionLabels: rowConditions.map { grouping.values[$0] },
            angles: options.singleTrials ? usedTrials.map { angles.perTrial[$0] } : angles.perCondition,
            isTraining: rowConditions.map { split.isTraining[$0] }, dtMs: options.binMs, goIndex: grid.eventIndex)
        // The dataset must be one `train` accepts: check it through the file form it will take.
        _ = try ReachDataset(archive: dataset.archive(fileName: URL(fileURLWithPath: file).lastPathComponent))

        var provenance = makeProvenance(
            recording: recording, options: options, grouping: grouping, split: split, inputs: inputs,
            angles: angles, grid: grid, usedTrials: usedTrials, rowConditions: rowConditions)
        provenance.nonFiniteSpikeTimesDropped = recording.units.reduce(0) { $0 + $1.timesS.lazy.filter { !$0.isFinite }.count }
        return (dataset, provenance)
    }

    /// Throws when two units share an id: `neuron_ids` must tell the neurons apart.
    static func requireDistinctUnitIDs(_ units: [SpikeTrain], file: String) throws {
        var first: [Int: Int] = [:]
        for (index, unit) in units.enumerated() {
            if let earlier = first.updateValue(index, forKey: unit.id) {
                throw CircuitFitError("\(file): unit id \(unit.id) is given twice (units \(earlier) and \(index)); unit ids must be unique")
            }
        }
    }

    /// Adds a [T, width] block into `array[row, :, channelOffset ..< channelOffset + width]`.
    private static func add(_ block: [Double], into array: inout Array3<Double>, row: Int, channelOffset: Int, width: Int? = nil) {
        let w = width ?? array.d2
        for bin in 0..<array.d1 {
            for c in 0..<w { array[row, bin, channelOffset + c] += block[bin * w + c] }
        }
    }

    private static func scaleRow(_ array: inout Array3<Double>, _ row: Int, _ scale: Double) {
        let size = array.d1 * array.d2
        for index in row * size..<(row + 1) * size { array.data[index] *= scale }
    }

    // MARK: Angles

    struct Angles {
        var perTrial: [Double]
        var perCondition: [Double]
        var rule: String
    }

    /// Each trial's and condition's angle (radians) from `angleColumn`, or NaN; the trials of one
    /// condition must agree.
    static func conditionAngles(grouping: ConditionGrouping, table: TrialTable, options: ImportOptions, file: String) throws -> Angles {
        guard !options.angleColumn.isEmpty else {
            return Angles(perTrial: Array(repeating: .nan, count: table.count), perCondition: Array(repeating: .nan, count: grouping.labels.count), rule: "none given: NaN")
        }
        let scale = options.angleUnit == .degrees ? Double.pi / 180 : 1
        let perTrial = try table.numbers(options.angleColumn, in: file, purpose: "reach angles").map { $0 * scale }
        let perCondition = try grouping.trials.enumerated().map { c, trials -> Double in
            let first = perTrial[trials[0]]
            if let other = trials.first(where: { !(abs(perTrial[$0] - first) <= 1e-9 * max(1, abs(first))) }) {
                throw CircuitFitError("\(file): angle column '\(options.angleColumn)' differs within condition '\(grouping.labels[c])' (trial \(trials[0]): \(first) rad, trial \(other): \(perTrial[other]) rad)")
            }
            return first
        }
        return Angles(perTrial: perTrial, perCondition: perCondition, rule: "trials column '\(options.angleColumn)' (\(options.angleUnit.rawValue), stored in radians)")
    }

    // MARK: Provenance

    private static func makeProvenance(
        recording: Recording, options: ImportOptions, grouping: ConditionGrouping, split: HeldOutConditionChoice,
        inputs: InputChannels, angles: Angles, grid: BinGrid, usedTrials: [Int], rowConditions: [Int]
    ) -> ImportProvenance {
        var behavior: [ImportProvenance.Behavior] = []
        var targetNames: [String] = []
        for series in recording.behavior {
            let sampling: String
            switch series.times {
            case .regular(let start, let rate): sampling = "regular, \(rate) Hz from \(start) s"
            case .timestamps(let t): sampling = "\(t.count) timestamps"
            }
            let channels = Array(targetNames.count..<targetNames.count + series.channels)
            behavior.append(.init(name: series.name, location: series.location, channels: series.channels, unit: series.unit, sampling: sampling, targetChannels: channels))
            targetNames += (0..<series.channels).map { "\(series.name)[\($0)]" }
        }
        let smoothing = options.smoothMs > 0
            ? "Gaussian kernel, SD \(options.smoothMs) ms (\(options.smoothMs / options.binMs) bins), truncated at ±4 SD, applied to each trial's rates; at the window's edges the kernel is cut and renormalised"
            : "none"
        return ImportProvenance(
            source: recording.source, format: recording.format.rawValue, options: options,
            unitIDs: recording.units.map(\.id), trialsInFile: recording.trials.count, trialsUsed: usedTrials.count,
            excludedTrials: grouping.excluded, conditionLabels: grouping.labels,
            conditionColumnIsNumeric: grouping.isNumeric, sortedColumnLabels: grouping.sortedColumnLabels,
            trialsPerCondition: grouping.trials.map(\.count),
            rows: options.singleTrials ? "single trials" : "condition averages (PSTHs)",
            rowTrials: options.singleTrials ? usedTrials : [], rowConditions: rowConditions,
            bins: grid.count, dtMs: grid.binMs, windowStartMs: grid.startMs, goIndex: grid.eventIndex,
            binning: "spikes aligned to \(options.alignTo) (offset ms = (spike s − event s)·1000), counted in half-open bins [start + k·bin, start + (k+1)·bin) ms; a spike within \(BinGrid.edgeTolerance) bin of an edge counts in the later bin",
            rates: "Hz = spike count / bin width in s",
            smoothing: smoothing,
            averaging: options.singleTrials ? "none (one row per trial)" : "mean over the trials of each condition, after binning and smoothing",
            behavior: behavior,
            behaviorResampling: "linear interpolation at bin centres (event + start + (k + 0.5)·bin), per trial, then averaged like the rates; NWB data × conversion + offset",
            targetChannels: targetNames, inputChannels: inputs.names, inputRule: inputs.rule, angles: angles.rule,
            trainConditions: zip(grouping.labels, split.isTraining).filter { $0.1 }.map(\.0),
            heldOutConditions: zip(grouping.labels, split.isTraining).filter { !$0.1 }.map(\.0),
            split: split.rule)
    }
}
