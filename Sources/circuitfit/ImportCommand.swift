import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a recording (NWB, MAT v5/v7.3, NPZ) into a dataset that `train` reads.",
        discussion: """
            Aligns each trial's spikes to an event, bins them, turns counts into rates (Hz), \
            optionally smooths them, and averages the trials of each condition (or keeps single \
            trials); resamples behaviour (EMG, hand velocity…) to the same bins as targets; builds \
            inputs (a one-hot of the condition plus a hold/go channel, or named trial columns). \
            Writes DATASET.npz with `recorded` [C,T,M] (Hz), `neuron_ids`, `conditions` and the \
            provenance of every choice in DATASET.provenance.json.

            NWB: the units table (spike_times), intervals/trials (start_time, stop_time, the \
            event and condition columns) and TimeSeries under processing/ or acquisition/. \
            MAT/NPZ: `spike_times` (cell array, or flat with `spike_times_index`), optional \
            `unit_ids`, one `trials_<column>` per trials column (`trials_start_time`, \
            `trials_stop_time`, …), and behaviour `<name>` with `<name>_timestamps` or `<name>_rate`.

            Example:
              circuitfit import session.nwb --out session.npz --condition-column reach_target \\
                  --align-to go_cue_time --window-ms -200,600 --bin-ms 10 --smooth-ms 20 --behavior emg
              circuitfit train session.npz --out fit --record 20 --lambda auto
            """)

    @Argument(help: "The recording (.nwb, .mat or .npz).")
    var file: String
    @Option(help: "The dataset file to write (.npz).")
    var out: String
    @Option(help: "JSON file with any ImportOptions field; flags override it.")
    var config: String?
    @Option(help: "Trials column naming each trial's condition (default 'condition').")
    var conditionColumn: String?
    @Option(help: "Trials column with the event time (s) to align to (default 'go_cue_time').")
    var alignTo: String?
    @Option(parsing: .unconditional, help: "Window around the event, ms: START,END (default -400,600).")
    var windowMs: String?
    @Option(parsing: .unconditional, help: "Bin width, ms (default 20).")
    var binMs: Double?
    @Option(parsing: .unconditional, help: "SD of the Gaussian smoothing kernel, ms (default 0 = none).")
    var smoothMs: Double?
    @Option(help: "Behavioural series used as targets (repeatable; channels are concatenated).")
    var behavior: [String] = []
    @Option(help: "Trials columns used as inputs instead of the condition one-hot (repeatable).")
    var inputColumn: [String] = []
    @Option(help: "Conditions held out of training (comma-separated labels); default: a random quarter.")
    var heldOut: String?
    @Option(help: "Numeric trials column with each condition's reach angle.")
    var angleColumn: String?
    @Flag(help: "One row per trial instead of condition averages.")
    var singleTrials = false
    /// Reads NWB / MAT v7.3 in this process instead of a child (no protection from libhdf5
    /// crashes): for measuring what the child process costs (scripts/bench-import.sh).
    @Flag(help: .hidden)
    var hdf5InProcess = false

    func run() throws {
        try reportingErrors {
            let outURL = try outputURL(out)
            try requireWritableFileLocation(outURL)
            var options = ImportOptions()
            if let config { options = try ConfigFile.load(options, from: URL(fileURLWithPath: config)) }
            if let conditionColumn { options.conditionColumn = conditionColumn }
            if let alignTo { options.alignTo = alignTo }
            if let windowMs {
                let w = try parseNumberList(windowMs, option: "--window-ms")
                guard w.count == 2 else { throw CircuitFitError("--window-ms takes START,END in ms, got '\(windowMs)'") }
                options.windowStartMs = w[0]; options.windowEndMs = w[1]
            }
            if let binMs { options.binMs = binMs }
            if let smoothMs { options.smoothMs = smoothMs }
            if !behavior.isEmpty { options.behavior = behavior }
            if !inputColumn.isEmpty { options.inputs = .columns; options.inputColumns = inputColumn }
            if let heldOut { options.heldOutConditions = heldOut.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            if let angleColumn { options.angleColumn = angleColumn }
            if singleTrials { options.singleTrials = true }
            try options.validate()
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
            print("""
                imported \(file): \(m) neurons, \(dataset.conditions) \(options.singleTrials ? "trials" : "conditions") (\(dataset.trainingConditions.count) training), \
                \(dataset.steps) bins of \(format(dataset.dtMs, 1)) ms, go at bin \(dataset.goIndex), \(dataset.outputCount) target channel(s), \(dataset.inputCount) input channel(s)
                wrote \(out) and \(provenanceURL.path)
                """)
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
