import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitAnalysis
import CircuitFitImport

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a recording (NWB, MAT v5/v7.3, NPZ) into a dataset that `train` reads.",
        discussion: """
            Selects trials, aligns each trial's spikes to an event, bins them, turns counts \
            into rates (Hz), averages the trials of each condition (or keeps single trials) and \
            smooths them (by default with the Gaussian width that best predicts one half of the \
            trials from the other); resamples behaviour (EMG, hand velocity…) to the same bins as \
            targets; builds inputs (a one-hot of the condition, cos/sin of the reach angle, or \
            named trial columns, each with a hold/go channel). Writes DATASET.npz with \
            `recorded` [C,T,M] (Hz), each neuron's split-half `reliability` (the noise ceiling \
            `evaluate` reports) and DATASET.provenance.json with every choice. Layouts and \
            arrays: docs/files.md; the method: docs/method.md.

            NWB: the units table, intervals/trials and TimeSeries under processing/ or \
            acquisition/. MAT/NPZ: flat arrays (`spike_times`, `trials_<column>`, behaviour \
            `<name>` with `<name>_rate` or `<name>_timestamps`), or in a MAT file a struct \
            array of trials (`trials(k).spikes{u}`, `trials(k).target = '45deg'`, event and \
            behaviour fields). Condition labels may be numbers or text in every format.

            Perturbation trials (optogenetic silencing or stimulation): --perturbation-column \
            names the trials column of each trial's perturbed units ("3;7;12"; empty or 'none' = \
            a control trial), with the kind, window and stimulus size from options or columns, or \
            NWB's OptogeneticSeries gives the windows (--optogenetic-series). Control trials give \
            `recorded` as without them; each perturbation set's PSTHs go to \
            `perturbed_recorded` [P,C,T,M] (docs/files.md, Perturbation trials of a recording).

            Examples:
              circuitfit import session.nwb --out session.npz \\
                --condition-column target --align-to go_cue_time \\
                --window-ms -200,600 --bin-ms 10 --behavior EMG \\
                --inputs angle --angle-column reach_dir_deg \\
                --angle-unit deg --where outcome=success
              circuitfit import trials.mat --out session.npz \\
                --trials-variable trials --spikes-field spikes \\
                --condition-column condition --behavior emg
              circuitfit import session.nwb --out opto.npz \\
                --condition-column target --window-ms -200,600 \\
                --perturbation-column perturbed_units \\
                --perturbation-window-ms 0,300 --held-out-sets 1
              circuitfit train session.npz --out fit --record 20
            """)

    @Argument(help: "The recording (.nwb, .mat or .npz).")
    var file: String
    @Option(help: "The dataset file to write (.npz); DATASET.provenance.json is written beside it.")
    var out: String
    @Option(help: "JSON file with any import option (the \"options\" object of a provenance file works); flags override it.")
    var config: String?
    @Option(help: "Trials column naming each trial's condition: numbers or text (default 'condition').")
    var conditionColumn: String?
    @Option(help: "Trials column with the event time (s) every trial is aligned to (default 'go_cue_time').")
    var alignTo: String?
    @Option(parsing: .unconditional, help: "Window around the event, ms: START,END, END exclusive, a whole number of bins (default -400,600).")
    var windowMs: String?
    @Option(parsing: .unconditional, help: "Bin width, ms: the dataset's dt_ms (default 20).")
    var binMs: Double?
    @Option(parsing: .unconditional, help: "SD of the Gaussian smoothing kernel, ms (0 = none), or 'auto': the width that best predicts one half of the trials from the other (default auto).")
    var smoothMs: String?
    @Option(help: "Behavioural series used as targets: an NWB TimeSeries name or path, a MAT/NPZ variable or trials-struct field (repeatable; channels are concatenated).")
    var behavior: [String] = []
    @Option(help: "Inputs: one-hot (a channel per condition; held-out conditions' channels are never trained), angle (cos θ, sin θ of --angle-column, like the built-in dataset) or columns (see --input-column). Default one-hot.")
    var inputs: InputsChoice?
    @Option(help: "Numeric trials column used as an input channel (repeatable; implies --inputs columns).")
    var inputColumn: [String] = []
    @Option(help: "Conditions held out of training (comma-separated labels); default: a random quarter (seeded).")
    var heldOut: String?
    @Option(help: "Numeric trials column with each trial's reach angle (for --inputs angle, and the dataset's angles).")
    var angleColumn: String?
    @Option(help: "Unit of --angle-column: deg or rad. Required when a value exceeds 2π; values are range-checked (±360° or ±2π).")
    var angleUnit: AngleUnitChoice?
    @Option(name: .customLong("where"), help: "Keep only trials passing COLUMN=VALUE, COLUMN!=VALUE or a numeric COLUMN<VALUE (also <=, >, >=), e.g. outcome=success (repeatable: all must pass).")
    var filters: [String] = []
    @Option(help: "Keep only these trial ids (comma-separated, ranges allowed: 0,4,10-19); ids are the trials table's, else row numbers from 0.")
    var trials: String?
    @Option(help: "Leave out these trial ids (comma-separated, ranges allowed).")
    var dropTrials: String?
    @Option(help: "MAT files: the struct array of trials (default: the file's only one).")
    var trialsVariable: String?
    @Option(help: "MAT trials struct: the field with each trial's spike times, a cell of one vector (s) per unit (default 'spikes').")
    var spikesField: String?
    @Option(parsing: .unconditional, help: "Leave out neurons whose split-half reliability is below this, in [0, 1] (default 0: keep all; below 0.5 they are flagged).")
    var minReliability: Double?
    @Option(help: "Trials column with each trial's perturbed units: text \"3;7;12\", one number, or a list (an NWB ragged column, a MAT cell of vectors); empty, 'none', [] or NaN = a control trial. Perturbation trials are kept apart from the controls (docs/recordings.md, Perturbation trials). Default: none (every trial is a control).")
    var perturbationColumn: String?
    @Option(help: "How --perturbation-column names units: ids (the units table's ids, the dataset's neuron_ids) or indices (positions from 0). Default ids.")
    var perturbationUnits: PerturbationImportOptions.UnitReference?
    @Option(help: "Kind of every perturbation: silence (clamped at baseline) or stimulate (a step input of --stimulus-hz). Default silence.")
    var perturbationKind: PerturbationKind?
    @Option(help: "Trials column of text giving each perturbation trial's kind (silence or stimulate), instead of --perturbation-kind.")
    var perturbationKindColumn: String?
    @Option(parsing: .unconditional, help: "Window of every perturbation, ms from the --align-to event: START,END (moved to the nearest bin edges). No default: give this, the start/stop columns, or --optogenetic-series.")
    var perturbationWindowMs: String?
    @Option(help: "Trials column with each perturbation's start time (s, on the trial's clock, like start_time); goes with --perturbation-stop-column.")
    var perturbationStartColumn: String?
    @Option(help: "Trials column with each perturbation's stop time (s, on the trial's clock).")
    var perturbationStopColumn: String?
    @Option(parsing: .unconditional, help: "Stimulus size of stimulate trials, Hz (the step input added to the neuron's rate equation; docs/method.md, Perturbation trials). No default: stimulate needs this or --stimulus-hz-column.")
    var stimulusHz: Double?
    @Option(help: "Trials column with each stimulate trial's stimulus size, Hz, instead of --stimulus-hz.")
    var stimulusHzColumn: String?
    @Option(help: "How many perturbation sets (the last ones, numbered by their first trial in the trials table) are held out of training, for testing only (default 0).")
    var heldOutSets: Int?
    @Option(help: "NWB: the OptogeneticSeries (name, path, or 'auto' = the file's only one) whose nonzero samples give each trial's perturbation window; trials without light are controls. Power (W) is recorded, not converted to Hz.")
    var optogeneticSeries: String?
    @Option(help: "NWB with --optogenetic-series: a units-table column of numbers or booleans, nonzero for the units the light acts on (e.g. opto_tagged); alternatively --perturbation-column.")
    var perturbedUnitsColumn: String?
    @Flag(help: "Allow windows that reach outside their trial's start_time…stop_time (spikes and behaviour there are used as recorded).")
    var allowOutsideTrials = false
    @Flag(help: "One row per trial instead of condition averages.")
    var singleTrials = false
    /// Reads NWB / MAT v7.3 in this process instead of a child (no protection from libhdf5
    /// crashes): for measuring what the child process costs (scripts/bench-import.sh).
    @Flag(help: .hidden)
    var hdf5InProcess = false

    /// The value of `--inputs`.
    enum InputsChoice: String, ExpressibleByArgument, CaseIterable {
        case oneHot = "one-hot", angle, columns
    }

    /// The value of `--angle-unit`.
    enum AngleUnitChoice: String, ExpressibleByArgument, CaseIterable {
        case deg, rad
    }

    func options() throws -> ImportOptions {
        var options = ImportOptions()
        options.perturbation = PerturbationImportOptions()   // so that a config file may set it
        if let config { options = try ConfigFile.load(options, from: URL(fileURLWithPath: config)) }
        if let conditionColumn { options.conditionColumn = conditionColumn }
        if let alignTo { options.alignTo = alignTo }
        if let windowMs {
            let w = try parseNumberList(windowMs, option: "--window-ms")
            guard w.count == 2 else { throw CircuitFitError("--window-ms takes START,END in ms, got '\(windowMs)'") }
            options.windowStartMs = w[0]; options.windowEndMs = w[1]
        }
        if let binMs { options.binMs = binMs }
        if let smoothMs {
            if smoothMs.lowercased() == "auto" {
                options.smoothMs = .auto
            } else if let value = Double(smoothMs) {
                options.smoothMs = .ms(value)
            } else {
                throw CircuitFitError("--smooth-ms takes a number of ms or 'auto', got '\(smoothMs)'")
            }
        }
        if !behavior.isEmpty { options.behavior = behavior }
        if !inputColumn.isEmpty { options.inputs = .columns; options.inputColumns = inputColumn }
        if let inputs {
            switch inputs {
            case .oneHot: options.inputs = .conditionOneHot
            case .angle: options.inputs = .angle
            case .columns:
                guard !options.inputColumns.isEmpty else { throw CircuitFitError("--inputs columns needs at least one --input-column NAME") }
                options.inputs = .columns
            }
        }
        if let heldOut { options.heldOutConditions = heldOut.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let angleColumn { options.angleColumn = angleColumn }
        if let angleUnit { options.angleUnit = angleUnit == .deg ? .degrees : .radians }
        if !filters.isEmpty { options.filters = filters }
        if let trials { options.keepTrials = try parseIDList(trials, option: "--trials") }
        if let dropTrials { options.dropTrials = try parseIDList(dropTrials, option: "--drop-trials") }
        if let trialsVariable { options.trialsVariable = trialsVariable }
        if let spikesField { options.spikesField = spikesField }
        if let minReliability { options.minReliability = minReliability }
        if allowOutsideTrials { options.requireWindowInsideTrials = false }
        if singleTrials { options.singleTrials = true }
        var p = options.perturbation ?? PerturbationImportOptions()
        if let perturbationColumn { p.column = perturbationColumn }
        if let perturbationUnits { p.units = perturbationUnits }
        if let perturbationKind { p.kind = perturbationKind }
        if let perturbationKindColumn { p.kindColumn = perturbationKindColumn }
        if let perturbationWindowMs {
            let w = try parseNumberList(perturbationWindowMs, option: "--perturbation-window-ms")
            guard w.count == 2 else { throw CircuitFitError("--perturbation-window-ms takes START,END in ms from the alignment event, got '\(perturbationWindowMs)'") }
            p.windowMs = w
        }
        if let perturbationStartColumn { p.startColumn = perturbationStartColumn }
        if let perturbationStopColumn { p.stopColumn = perturbationStopColumn }
        if let stimulusHz { p.stimulusHz = stimulusHz }
        if let stimulusHzColumn { p.amplitudeColumn = stimulusHzColumn }
        if let heldOutSets { p.heldOutSets = heldOutSets }
        if let optogeneticSeries { p.optogeneticSeries = optogeneticSeries }
        if let perturbedUnitsColumn { p.perturbedUnitsColumn = perturbedUnitsColumn }
        // untouched = no perturbation trials (and no "perturbation" key in the provenance)
        options.perturbation = p == PerturbationImportOptions() ? nil : p
        try options.validate()
        return options
    }

    func run() throws {
        try reportingErrors {
            let outURL = try outputURL(out)
            try requireWritableFileLocation(outURL)
            let options = try options()
            let source = URL(fileURLWithPath: file)
            // libhdf5 crashes on some damaged files: NWB and MAT v7.3 are read by a child process
            let isolation = hdf5InProcess ? nil : HDF5Isolation(executable: currentExecutable(), arguments: ["hdf5-read"], timeoutSeconds: HDF5Isolation.defaultTimeout(for: source))
            let (dataset, provenance) = try RecordingImporter.importRecording(url: source, options: options, isolation: isolation)
            let provenanceURL = outURL.deletingPathExtension().appendingPathExtension("provenance.json")
            let record = ImportRecord(source: source.standardizedFileURL.path, dataset: outURL.standardizedFileURL.path, provenance: provenance)
            // the pair is replaced together: never a new dataset beside an old provenance
            let folder = outURL.deletingLastPathComponent()
            let names = [outURL.lastPathComponent, provenanceURL.lastPathComponent]
            AtomicFileSet.recover(names, in: folder)
            try AtomicFileSet.write(
                [(names[0], dataset.archive(fileName: outURL.lastPathComponent).encoded()), (names[1], try OutputFolder.json(record))],
                in: folder)
            if provenance.nonFiniteSpikeTimesDropped > 0 {
                say("note: \(provenance.nonFiniteSpikeTimesDropped) spike time(s) were NaN or infinite and were left out (recorded in the provenance)")
            }
            let m = dataset.recorded?.d2 ?? 0
            let excluded = provenance.excludedTrials.count
            let reliable = provenance.reliability.compactMap { $0 }
            let median = reliable.sorted()[safe: reliable.count / 2]
            if let unused = provenance.optogeneticSeriesNotUsed {
                say("warning: the file has OptogeneticSeries \(unused.joined(separator: ", ")), not used: trials with light are imported as control trials unless --optogenetic-series (or --perturbation-column) sets them apart")
            }
            if let record = provenance.perturbations, let table = dataset.perturbations {
                say("perturbation trials: \(record.perturbedTrials) trials in \(table.sets.count) set(s) (\(table.trainingSets.count) training, \(table.heldOutSets.count) held out), kept apart from the \(record.controlTrials) control trials; see perturbations in the provenance")
            }
            print("""
                imported \(file) (\(provenance.layout)): \(m) neurons, \(dataset.conditions) \(options.singleTrials ? "trials" : "conditions") (\(dataset.trainingConditions.count) training), \
                \(dataset.steps) bins of \(format(dataset.dtMs, 1)) ms, go at bin \(dataset.goIndex), \(dataset.outputCount) target channel(s), \(dataset.inputCount) input channel(s)
                trials: \(provenance.trialsUsed) used of \(provenance.trialsInFile)\(excluded > 0 ? " (\(excluded) left out: see excludedTrials in the provenance)" : "")
                smoothing: \(provenance.smoothingMs > 0 ? "Gaussian SD \(format(provenance.smoothingMs, 1)) ms" : "none")\(options.smoothMs == .auto ? " (auto)" : "")
                split-half reliability: median \(median.map { format($0, 3) } ?? "undefined") over \(reliable.count) neurons; \(provenance.unreliableUnits.count) below \(SplitHalfReliability.unreliableBelow) (flagged)\(provenance.droppedUnits.isEmpty ? "" : "; \(provenance.droppedUnits.count) left out by --min-reliability")
                wrote \(out) and \(provenanceURL.path)
                """)
            if options.inputs == .conditionOneHot && dataset.heldOutConditions.count > 0 {
                say("warning: one-hot inputs: the held-out conditions' input channels are never active in training, so their score measures nothing the network could have learned; use --inputs angle --angle-column NAME (or --input-column) to give every condition inputs a network can generalise over")
            }
        }
    }
}

/// Throws unless a file can be written at `url`: its folder exists and is a folder, and `url`
/// itself is not a folder (checked before any work).
func requireWritableFileLocation(_ url: URL) throws {
    let folder = url.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
        throw CircuitFitError("cannot write \(url.path): its folder \(folder) does not exist")
    }
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
        throw CircuitFitError("cannot write \(url.path): it is a folder")
    }
    guard access(folder, W_OK) == 0 else {
        throw CircuitFitError("cannot write \(url.path): \(String(cString: strerror(errno)))")
    }
}

/// This program's own executable (for child processes of the same binary).
func currentExecutable() -> URL {
    let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    if FileManager.default.isExecutableFile(atPath: link.path) { return link }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
}

/// "0,4,10-19" → [0, 4, 10, …, 19], with an error naming the option on anything else.
func parseIDList(_ text: String, option: String) throws -> [Int] {
    var ids: [Int] = []
    for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
        let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0) }
        if ends.count == 1, let id = ends[0] {
            ids.append(id)
        } else if ends.count == 2, let a = ends[0], let b = ends[1], a <= b, b - a < 10_000_000 {
            ids += Array(a...b)
        } else {
            throw CircuitFitError("\(option): '\(part)' is not a trial id or a range like 10-19 (expected e.g. 0,4,10-19)")
        }
    }
    return ids
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
