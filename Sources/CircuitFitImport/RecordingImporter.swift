import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// Turns a recording (NWB, MAT v5/v7.3, NPZ) into the dataset `train` reads, plus the provenance
/// of every choice.
///
/// Pipeline: select trials (`TrialSelection`: id lists and filters) and group them by condition
/// (`ConditionGrouping`); per used trial, align spikes to the event column (`alignTo`), count them
/// in the bins of the window (`BinGrid`: half-open bins, ms from the event), counts → Hz
/// (count / bin s); behaviour by linear interpolation at the bin centres (`BehaviorResampler`);
/// inputs (`InputChannels`). Rows are the average over each condition's trials (PSTHs) or, with
/// `singleTrials`, the trials themselves. Each condition's trials are also split into odd and
/// even halves: their PSTHs choose the default smoothing width (`SmoothingSelection`) and give
/// each neuron's split-half reliability (`SplitHalfReliability`), the noise ceiling `evaluate`
/// reports. Then the rows (and halves) are smoothed with a Gaussian (`GaussianSmoother`,
/// renormalised at the window's edges). Nothing is written: every error is thrown before a
/// dataset exists.
///
/// What each format must hold (times in s):
/// - NWB 2.x: `units` (spike_times + spike_times_index, id), `intervals/trials` (start_time,
///   stop_time, the event and condition columns), TimeSeries under `processing` or `acquisition`
///   (see `NWBReader`).
/// - MAT (v5 or v7.3) and NPZ, as flat named arrays: `spike_times` (a cell of per-unit vectors,
///   or flat with `spike_times_index`), optional `unit_ids`, one `trials_<column>` per trials
///   column (numbers or text; `trials_start_time`, `trials_stop_time` required), and behaviour
///   `<name>` [T] or [T, K] with `<name>_timestamps` or `<name>_rate` (see `NamedArrayLayout`).
/// - MAT, as a struct array of trials (`trials(k).spikes{u}`, `trials(k).condition = '45deg'`,
///   event fields, per-trial behaviour matrices): see `TrialStructLayout`.
public enum RecordingImporter {
    /// Reads the recording at `url` and builds the dataset. With `isolation`, an HDF5-based file
    /// (NWB, MAT v7.3) is read in a child process, so a crash inside libhdf5 becomes an error.
    public static func importRecording(url: URL, options: ImportOptions = ImportOptions(), isolation: HDF5Isolation? = nil) throws -> (dataset: ReachDataset, provenance: ImportProvenance) {
        try options.validate()
        let recording: Recording
        if let isolation, try usesHDF5(url) {
            recording = try isolation.readRecording(url: url, options: options)
        } else {
            recording = try readRecording(url: url, options: options)
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
        var options = ImportOptions()
        options.behavior = behavior
        return try readRecording(url: url, options: options)
    }

    /// Reads units, trials and the behavioural series `options.behavior`; for MAT files, the
    /// layout (flat arrays or a struct array of trials) follows from what the file holds and
    /// `options.trialsVariable` / `options.spikesField`.
    public static func readRecording(url: URL, options: ImportOptions) throws -> Recording {
        switch try format(of: url) {
        case .nwb: return try NWBReader.read(url, behavior: options.behavior, perturbation: options.perturbation)
        case .matV5, .matV73: return try readMAT(MATReader(url: url), options: options)
        case .npz: return try NamedArrayLayout.recording(from: NPZArraySource(url: url), behavior: options.behavior)
        }
    }

    /// A MAT file in the flat layout (`spike_times`) or as a struct array of trials.
    static func readMAT(_ reader: MATReader, options: ImportOptions) throws -> Recording {
        let source = MATArraySource(reader: reader)
        if !options.trialsVariable.isEmpty {
            guard reader.variableNames.contains(options.trialsVariable) else {
                throw CircuitFitError("\(reader.url.path): no variable '\(options.trialsVariable)' (the struct array of trials named by --trials-variable); the file has: \(source.inventory)")
            }
            return try TrialStructLayout.recording(from: reader, variable: options.trialsVariable, options: options)
        }
        if reader.variableNames.contains("spike_times") {
            return try NamedArrayLayout.recording(from: source, behavior: options.behavior)
        }
        let candidates = TrialStructLayout.candidates(reader, spikesField: options.spikesField)
        switch candidates.count {
        case 1:
            return try TrialStructLayout.recording(from: reader, variable: candidates[0], options: options)
        case 0:
            throw CircuitFitError("\(reader.url.path): neither layout found: no variable 'spike_times' (the flat layout: spike_times, trials_start_time, trials_stop_time, …) and no struct array of trials (trials(k).\(options.spikesField){u} = spike times of unit u in trial k); the file has: \(source.inventory)")
        default:
            throw CircuitFitError("\(reader.url.path): several struct arrays could be the trials (\(candidates.joined(separator: ", "))): name one with --trials-variable; the file has: \(source.inventory)")
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
        if let perTrial = recording.trialSpikes, perTrial.count != recording.trials.count {
            throw CircuitFitError("\(file): \(perTrial.count) trials of spikes for a trials table of \(recording.trials.count)")
        }
        var grouping = try ConditionGrouping(table: recording.trials, options: options, file: file)
        let grid = BinGrid(options: options)
        // perturbation trials are set apart: everything below the controls see is as without them
        var perturbations: TrialPerturbations? = nil
        if let p = options.perturbation {
            let found = try TrialPerturbations(recording: recording, grouping: grouping, grid: grid, options: options, perturbation: p)
            grouping.trials = found.controls
            perturbations = found
        }
        let split = try HeldOutConditionChoice(grouping: grouping, options: options, file: file)
        let angles = try ReachAngles(grouping: grouping, table: recording.trials, options: options, file: file)
        let inputs = try InputChannels(options: options, grouping: grouping, table: recording.trials, angles: angles, file: file)
        let binner = SpikeBinner(recording: recording, grid: grid)
        let resamplers = recording.behavior.map { BehaviorResampler(signal: $0, grid: grid, file: file) }

        // Rows: one per condition, or one per used trial (in trials-table order).
        let usedTrials = grouping.trials.joined().sorted()
        var conditionOfTrial: [Int: Int] = [:]
        var halfOfTrial: [Int: Int] = [:]  // 0 = odd trials (1st, 3rd, …) of the condition, 1 = even
        for (c, trials) in grouping.trials.enumerated() {
            for (position, trial) in trials.enumerated() { conditionOfTrial[trial] = c; halfOfTrial[trial] = position % 2 }
        }
        let rowOfTrial = options.singleTrials ? Dictionary(uniqueKeysWithValues: usedTrials.enumerated().map { ($1, $0) }) : conditionOfTrial
        let rowConditions = options.singleTrials ? usedTrials.map { conditionOfTrial[$0]! } : Array(grouping.labels.indices)
        let rows = rowConditions.count, t = grid.count, m = binner.unitCount, conditions = grouping.labels.count
        let k = recording.behavior.reduce(0) { $0 + $1.channels }, i = inputs.names.count
        let perturbedRows = (perturbations?.sets.count ?? 0) * conditions
        try ImportLimits.check(
            rows: rows, bins: t, units: m, targets: k, inputs: i, conditions: conditions,
            perturbedRows: perturbedRows, options: options, file: file)

        var recorded = Array3<Double>(rows, t, m, repeating: 0)
        var targets = Array3<Double>(rows, t, k, repeating: 0)
        var inputArray = Array3<Double>(rows, t, i, repeating: 0)
        var halves = [Array3<Double>(conditions, t, m, repeating: 0), Array3<Double>(conditions, t, m, repeating: 0)]
        var trialsInRow = [Int](repeating: 0, count: rows)
        var trialsInHalf = [[Int]](repeating: [0, 0], count: conditions)
        /// Adds one trial's behaviour (every signal's channels side by side) to `row` of `into`.
        func addBehavior(trial: Int, eventS: Double, into array: inout Array3<Double>, row: Int) throws {
            var offset = 0
            for resampler in resamplers {
                add(try resampler.values(eventS: eventS, trial: trial, trialID: recording.trials.ids[trial]), into: &array, row: row, channelOffset: offset, width: resampler.signal.channels)
                offset += resampler.signal.channels
            }
        }
        for trial in usedTrials {
            let row = rowOfTrial[trial]!, event = grouping.eventsS[trial], condition = conditionOfTrial[trial]!
            trialsInRow[row] += 1
            let rates = binner.rates(trial: trial, eventS: event)
            add(rates, into: &recorded, row: row, channelOffset: 0)
            add(rates, into: &halves[halfOfTrial[trial]!], row: condition, channelOffset: 0)
            trialsInHalf[condition][halfOfTrial[trial]!] += 1
            try addBehavior(trial: trial, eventS: event, into: &targets, row: row)
            add(inputs.values(trial: trial, condition: condition, grid: grid), into: &inputArray, row: row, channelOffset: 0)
        }
        for row in 0..<rows {
            let scale = 1 / Double(trialsInRow[row])
            scaleRow(&recorded, row, scale); scaleRow(&targets, row, scale); scaleRow(&inputArray, row, scale)
        }
        // each set's PSTH in each condition [P·C, T, M] (and its behaviour), like the controls'
        var perturbedRecorded = Array3<Double>(perturbedRows, t, m, repeating: 0)
        var perturbedTargets = Array3<Double>(perturbedRows, t, k, repeating: 0)
        for (s, byCondition) in (perturbations?.trials ?? []).enumerated() {
            for (c, trials) in byCondition.enumerated() {
                let row = s * conditions + c
                for trial in trials {
                    let event = grouping.eventsS[trial]
                    add(binner.rates(trial: trial, eventS: event), into: &perturbedRecorded, row: row, channelOffset: 0)
                    try addBehavior(trial: trial, eventS: event, into: &perturbedTargets, row: row)
                }
                scaleRow(&perturbedRecorded, row, 1 / Double(trials.count)); scaleRow(&perturbedTargets, row, 1 / Double(trials.count))
            }
        }
        let splitConditions = (0..<conditions).filter { trialsInHalf[$0][1] > 0 }
        for c in 0..<conditions {
            for h in 0..<2 {
                let n = trialsInHalf[c][h]
                scaleRow(&halves[h], c, n > 0 ? 1 / Double(n) : .nan)
            }
        }

        // Smoothing: the width given, or chosen by split-half cross-validation.
        var selection: SmoothingSelection? = nil
        let smoothMs: Double
        switch options.smoothMs {
        case .ms(let sd): smoothMs = sd
        case .auto:
            if splitConditions.isEmpty {
                smoothMs = 0
            } else {
                selection = SmoothingSelection(halfA: halves[0], halfB: halves[1], conditions: splitConditions, binMs: options.binMs)
                smoothMs = selection!.chosenMs
            }
        }
        let smoother = GaussianSmoother(sdMs: smoothMs, binMs: options.binMs)
        smooth(&recorded, with: smoother)
        smooth(&halves[0], with: smoother)
        smooth(&halves[1], with: smoother)
        smooth(&perturbedRecorded, with: smoother)

        // Reliability, and the neurons kept.
        let reliability = SplitHalfReliability.perNeuron(halfA: halves[0], halfB: halves[1], conditions: splitConditions)
        var kept = Array(0..<m)
        var dropped: [ImportProvenance.DroppedNeuron] = []
        if options.minReliability > 0 {
            kept = (0..<m).filter { reliability[$0] >= options.minReliability }
            dropped = (0..<m).filter { !(reliability[$0] >= options.minReliability) }.map {
                .init(unitID: recording.units[$0].id, reliability: reliability[$0].isFinite ? reliability[$0] : nil)
            }
            guard !kept.isEmpty else {
                throw CircuitFitError("\(file): every neuron's split-half reliability is below minReliability \(options.minReliability) (best: \(reliability.filter(\.isFinite).max().map { String(format: "%.3f", $0) } ?? "undefined")): lower --min-reliability")
            }
        }
        let keptRecorded = kept.count == m ? recorded : select(recorded, channels: kept)
        let keptHalves = halves.map { kept.count == m ? $0 : select($0, channels: kept) }
        let keptIDs = kept.map { recording.units[$0].id }
        let keptReliability = kept.map { reliability[$0] }
        var perturbationTrials: PerturbationTrials? = nil
        var perturbationRecord = perturbations?.record
        if let found = perturbations {
            let column = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            let sets = try found.sets.enumerated().map { s, proto in
                let columns = try proto.units.map { unit in
                    guard let c = column[unit] else {
                        throw CircuitFitError("\(file): unit id \(recording.units[unit].id) of perturbation set \(s) was left out by --min-reliability \(options.minReliability) (reliability \(reliability[unit])); a perturbed unit must stay in the dataset: lower --min-reliability")
                    }
                    return c
                }
                perturbationRecord!.sets[s].neurons = columns
                return PerturbationSet(neurons: columns, kind: proto.kind, window: proto.window, amplitudeHz: proto.amplitudeHz, isTraining: found.isTraining[s])
            }
            perturbationTrials = PerturbationTrials(
                sets: sets, recorded: kept.count == m ? perturbedRecorded : select(perturbedRecorded, channels: kept), targets: perturbedTargets)
        }

        let dataset = ReachDataset(
            inputs: inputArray, targets: targets, recorded: keptRecorded, neuronIDs: keptIDs,
            conditionLabels: rowConditions.map { grouping.values[$0] },
            angles: options.singleTrials ? usedTrials.map { angles.perTrial[$0] } : angles.perCondition,
            isTraining: rowConditions.map { split.isTraining[$0] }, dtMs: options.binMs, goIndex: grid.eventIndex,
            reliability: keptReliability,
            recordedHalfA: options.singleTrials ? nil : keptHalves[0], recordedHalfB: options.singleTrials ? nil : keptHalves[1],
            perturbations: perturbationTrials)
        // The dataset must be one `train` accepts: check it through the file form it will take.
        _ = try ReachDataset(archive: dataset.archive(fileName: URL(fileURLWithPath: file).lastPathComponent))

        var provenance = makeProvenance(
            recording: recording, options: options, grouping: grouping, split: split, inputs: inputs,
            angles: angles, grid: grid, usedTrials: usedTrials, rowConditions: rowConditions,
            smoothMs: smoothMs, selection: selection, splitConditions: splitConditions,
            trialsInHalf: trialsInHalf, keptIDs: keptIDs, keptReliability: keptReliability, dropped: dropped)
        if options.perturbation?.optogeneticSeries.isEmpty ?? true, !recording.optogeneticSeriesPaths.isEmpty {
            provenance.optogeneticSeriesNotUsed = recording.optogeneticSeriesPaths
        }
        if let perturbationRecord {
            provenance.perturbations = perturbationRecord
            provenance.trialsUsed += perturbationRecord.perturbedTrials
        }
        provenance.nonFiniteSpikeTimesDropped = recording.units.reduce(0) { $0 + $1.timesS.lazy.filter { !$0.isFinite }.count }
            + (recording.trialSpikes ?? []).reduce(0) { $0 + $1.reduce(0) { $0 + $1.lazy.filter { !$0.isFinite }.count } }
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

    /// Smooths every (row, channel) time series of `array` in place.
    private static func smooth(_ array: inout Array3<Double>, with smoother: GaussianSmoother) {
        guard !smoother.isIdentity else { return }
        for row in 0..<array.d0 {
            for channel in 0..<array.d2 {
                let smoothed = smoother.smooth((0..<array.d1).map { array[row, $0, channel] })
                for bin in 0..<array.d1 { array[row, bin, channel] = smoothed[bin] }
            }
        }
    }

    /// `array[:, :, channels]`.
    private static func select(_ array: Array3<Double>, channels: [Int]) -> Array3<Double> {
        var out = Array3<Double>(array.d0, array.d1, channels.count, repeating: 0)
        for a in 0..<array.d0 {
            for b in 0..<array.d1 {
                for (j, channel) in channels.enumerated() { out[a, b, j] = array[a, b, channel] }
            }
        }
        return out
    }

    // MARK: Provenance

    private static func makeProvenance(
        recording: Recording, options: ImportOptions, grouping: ConditionGrouping, split: HeldOutConditionChoice,
        inputs: InputChannels, angles: ReachAngles, grid: BinGrid, usedTrials: [Int], rowConditions: [Int],
        smoothMs: Double, selection: SmoothingSelection?, splitConditions: [Int], trialsInHalf: [[Int]],
        keptIDs: [Int], keptReliability: [Double], dropped: [ImportProvenance.DroppedNeuron]
    ) -> ImportProvenance {
        var behavior: [ImportProvenance.Behavior] = []
        var targetNames: [String] = []
        for signal in recording.behavior {
            let channels = Array(targetNames.count..<targetNames.count + signal.channels)
            behavior.append(.init(name: signal.name, location: signal.location, channels: signal.channels, unit: signal.unit, sampling: signal.sampling, targetChannels: channels))
            targetNames += (0..<signal.channels).map { "\(signal.name)[\($0)]" }
        }
        var smoothing = smoothMs > 0
            ? "Gaussian kernel, SD \(smoothMs) ms (\(smoothMs / options.binMs) bins), truncated at ±4 SD, applied to the binned rates (of each row and of each split half); at the window's edges the kernel is cut and renormalised"
            : "none"
        if options.smoothMs == .auto {
            smoothing += selection == nil
                ? " (auto: no condition has two trials to split, so no smoothing)"
                : " (auto: the candidate SD with the lowest split-half cross-validation error, see smoothingCandidates\(selection!.atWidest ? "; the widest candidate tried, so the data would take more" : ""))"
        }
        let unreliable = zip(keptIDs, keptReliability).filter { !($0.1 >= SplitHalfReliability.unreliableBelow) }.map(\.0)
        return ImportProvenance(
            source: recording.source, format: recording.format.rawValue, layout: recording.layout, options: options,
            unitIDs: keptIDs, trialsInFile: recording.trials.count, trialsUsed: usedTrials.count,
            excludedTrials: grouping.excluded, conditionLabels: grouping.labels,
            conditionColumnIsNumeric: grouping.isNumeric, sortedColumnLabels: grouping.sortedColumnLabels,
            trialsPerCondition: grouping.trials.map(\.count),
            rows: options.singleTrials ? "single trials" : "condition averages (PSTHs)",
            rowTrials: options.singleTrials ? usedTrials : [], rowConditions: rowConditions,
            bins: grid.count, dtMs: grid.binMs, windowStartMs: grid.startMs, goIndex: grid.eventIndex,
            binning: "spikes aligned to \(options.alignTo) (offset ms = (spike s − event s)·1000), counted in half-open bins [start + k·bin, start + (k+1)·bin) ms; a spike within \(BinGrid.edgeTolerance) bin of an edge counts in the later bin",
            rates: "Hz = spike count / bin width in s",
            smoothing: smoothing, smoothingMs: smoothMs,
            smoothingCandidates: selection?.candidates.map { .init(sdMs: $0.sdMs, crossValidationMSE: $0.crossValidationMSE) } ?? [],
            averaging: options.singleTrials ? "none (one row per trial)" : "mean over the trials of each condition, then smoothing",
            reliability: keptReliability.map { $0.isFinite ? $0 : nil },
            reliabilityRule: "split-half: each condition's trials in table order split into odd (1st, 3rd, …) and even halves; r = Pearson correlation of the two halves' smoothed PSTHs over the \(splitConditions.count) conditions with trials in both halves × \(grid.count) bins; reliability = 2r/(1+r) (Spearman–Brown); below \(SplitHalfReliability.unreliableBelow) a neuron is flagged unreliable",
            trialsPerHalf: trialsInHalf,
            unreliableUnits: unreliable, droppedUnits: dropped,
            behavior: behavior,
            behaviorResampling: "linear interpolation at bin centres (event + start + (k + 0.5)·bin), per trial, then averaged like the rates; NWB data × conversion + offset",
            targetChannels: targetNames, inputChannels: inputs.names, inputRule: inputs.rule, angles: angles.rule,
            trainConditions: zip(grouping.labels, split.isTraining).filter { $0.1 }.map(\.0),
            heldOutConditions: zip(grouping.labels, split.isTraining).filter { !$0.1 }.map(\.0),
            split: split.rule)
    }
}
