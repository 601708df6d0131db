import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

/// An experiment's folder and the state of its fits, shared by every backend (local threads,
/// Slurm array tasks): `experiment.json` (the plan), `circuits/` (generated circuits),
/// `fits/<id>/` (one folder per fit: `result.json` when done, `error.txt` when failed, plus
/// `model.npz` and `history.csv`), and the collected `results.csv`, `claims.json`, `report.html`.
///
/// Every file is written atomically and each fit writes only into its own folder, so any number
/// of processes on any number of machines (NFS) can work on one experiment, and a run killed at
/// any moment leaves only finished results behind.
public struct ExperimentFolder: Sendable {
    public let url: URL
    public let config: ExperimentConfig

    /// Opens `url` for `config`: writes `experiment.json` in a new folder; in an existing one the
    /// plan must be the same (so a resumed run never mixes two experiments).
    public static func open(_ url: URL, config: ExperimentConfig) throws -> ExperimentFolder {
        try config.validate()
        _ = try OutputFolder(url)
        let planURL = url.appendingPathComponent("experiment.json")
        if FileManager.default.fileExists(atPath: planURL.path) {
            let existing = try load(url)
            guard existing.config == config else {
                throw CircuitFitError("\(url.path) holds a different experiment (experiment.json differs from these options); use a new --out folder, or --resume to continue the one there")
            }
            return existing
        }
        try AtomicFile.write(OutputFolder.json(config), to: planURL)
        return ExperimentFolder(url: url, config: config)
    }

    /// The folder `open` would give, without writing anything: validates `config` and, if the
    /// folder already holds a plan, checks it is the same one (for `--dry-run`).
    public static func preview(_ url: URL, config: ExperimentConfig) throws -> ExperimentFolder {
        try config.validate()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("experiment.json").path) {
            let existing = try load(url)
            guard existing.config == config else {
                throw CircuitFitError("\(url.path) holds a different experiment (experiment.json differs from these options); use a new --out folder, or --resume to continue the one there")
            }
        }
        return ExperimentFolder(url: url, config: config)
    }

    /// Opens an existing experiment folder with the plan stored in it.
    public static func load(_ url: URL) throws -> ExperimentFolder {
        let planURL = url.appendingPathComponent("experiment.json")
        guard let data = try? Data(contentsOf: planURL) else {
            throw CircuitFitError("\(url.path) is not an experiment folder (no experiment.json)")
        }
        do {
            return ExperimentFolder(url: url, config: try JSONDecoder().decode(ExperimentConfig.self, from: data))
        } catch {
            throw CircuitFitError("\(planURL.path): cannot read the experiment plan (\(error))")
        }
    }

    public func fitFolder(_ unit: FitUnit) -> URL { url.appendingPathComponent("fits/\(unit.id)") }
    func resultURL(_ unit: FitUnit) -> URL { fitFolder(unit).appendingPathComponent("result.json") }
    func errorURL(_ unit: FitUnit) -> URL { fitFolder(unit).appendingPathComponent("error.txt") }

    /// The dataset a unit's fits read.
    public func datasetURL(seed: UInt64) -> URL {
        let path = config.datasetPath(seed: seed)
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : url.appendingPathComponent(path)
    }

    // MARK: state

    /// The state of one fit, from its files.
    public enum FitState: String, Sendable { case done, failed, pending }

    public func state(_ unit: FitUnit) -> FitState {
        if FileManager.default.fileExists(atPath: resultURL(unit).path) { return .done }
        if FileManager.default.fileExists(atPath: errorURL(unit).path) { return .failed }
        return .pending
    }

    /// The units of batch `task` when the plan's units (in their fixed order) are cut into
    /// batches of `fitsPerTask`: what Slurm array task `task` runs.
    public func units(task: Int, fitsPerTask: Int) throws -> [FitUnit] {
        let all = config.units
        let count = Self.taskCount(units: all.count, fitsPerTask: fitsPerTask)
        guard fitsPerTask >= 1, task >= 0, task < count else {
            throw CircuitFitError("task \(task) does not exist: \(all.count) fits in batches of \(fitsPerTask) make \(count) task(s), 0…\(count - 1)")
        }
        return Array(all[(task * fitsPerTask)..<min((task + 1) * fitsPerTask, all.count)])
    }

    /// How many batches of `fitsPerTask` hold `units` fits.
    public static func taskCount(units: Int, fitsPerTask: Int) -> Int {
        fitsPerTask >= 1 ? (units + fitsPerTask - 1) / fitsPerTask : 0
    }

    /// The batches (tasks, for `fitsPerTask`) holding at least one unfinished fit.
    public func unfinishedTasks(fitsPerTask: Int) -> [Int] {
        let all = config.units
        return (0..<Self.taskCount(units: all.count, fitsPerTask: fitsPerTask)).filter { t in
            all[(t * fitsPerTask)..<min((t + 1) * fitsPerTask, all.count)].contains { state($0) != .done }
        }
    }

    /// The units not yet done (failed ones included: they are retried).
    public var unfinishedUnits: [FitUnit] { config.units.filter { state($0) != .done } }

    public func errorMessage(_ unit: FitUnit) -> String? {
        try? String(contentsOf: errorURL(unit), encoding: .utf8)
    }

    // MARK: work

    /// The circuits the plan needs that are not there yet, as indices into `config.circuitsToGenerate`.
    public var missingCircuits: [Int] {
        config.circuitsToGenerate.indices.filter { !circuitReady($0) }
    }

    /// Whether circuit `index` of `config.circuitsToGenerate` is complete (its dataset is written last).
    public func circuitReady(_ index: Int) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("\(config.circuitsToGenerate[index].folder)/dataset.npz").path)
    }

    /// Generates the circuits the plan needs that are not there yet, `workers` at a time.
    public func prepareCircuits(workers: Int, progress: (@Sendable (String) -> Void)? = nil) throws {
        let todo = missingCircuits
        if todo.isEmpty {
            if !config.dataset.isEmpty { _ = try ReachDataset.read(from: datasetURL(seed: config.seeds[0])) }
            return
        }
        let folder = self
        let errors = parallelMap(todo.count, workers: workers) { i -> String? in
            do {
                progress?(try folder.prepareCircuit(todo[i]))
                return nil
            } catch {
                return "\(error)"
            }
        }
        if let first = errors.compactMap({ $0 }).first { throw CircuitFitError(first) }
    }

    /// Generates circuit `index` of `config.circuitsToGenerate` (the one code path of every
    /// backend: local threads and Slurm array tasks alike) and returns a one-line summary. Does
    /// nothing if it is already complete. A failure is recorded in the circuit's `error.txt`.
    @discardableResult
    public func prepareCircuit(_ index: Int) throws -> String {
        let circuits = config.circuitsToGenerate
        guard circuits.indices.contains(index) else {
            throw CircuitFitError("circuit \(index) does not exist: the plan has \(circuits.count) circuit(s) to generate")
        }
        let (folderName, seed) = circuits[index]
        if circuitReady(index) { return "circuit \(folderName): already generated" }
        let target = url.appendingPathComponent(folderName)
        let errorURL = target.appendingPathComponent("error.txt")
        try? FileManager.default.removeItem(at: errorURL)
        var cfg = config.circuit
        cfg.seed = seed
        do {
            let start = Date()
            let circuit = try generateCircuit(cfg)
            let seconds = Date().timeIntervalSince(start)
            try OutputFolder.transaction(target) { out in
                try out.write(circuit.circuitArchive(), to: "circuit.npz")
                var summary = circuit.summary
                summary.seconds = seconds
                try out.writeJSON(summary, to: "summary.json")
                try out.writeJSON(RunRecord(command: "generate", seed: cfg.seed, config: cfg), to: "config.json")
                // dataset last: its presence marks the circuit as complete
                try out.write(circuit.dataset.archive(), to: "dataset.npz")
            }
            return "circuit \(folderName): spectral abscissa \(String(format: "%.3f", circuit.stability.spectralAbscissaFinal)) after \(circuit.stability.steps) steps, \(String(format: "%.1f", seconds)) s"
        } catch {
            let message = (error as? CircuitFitError)?.message ?? "\(error)"
            if (try? OutputFolder(target)) != nil { try? AtomicFile.writeText("\(message)\n", to: errorURL) }
            throw CircuitFitError("circuit \(folderName): \(message)")
        }
    }

    /// The error a failed circuit generation left, if any.
    public func circuitError(_ index: Int) -> String? {
        try? String(contentsOf: url.appendingPathComponent("\(config.circuitsToGenerate[index].folder)/error.txt"), encoding: .utf8)
    }

    /// Trains and scores one unit and writes its folder; a failure is recorded in `error.txt`
    /// (and rethrown) so `status` can show it.
    @discardableResult
    public func run(_ unit: FitUnit, progress: ((TrainingProgress) -> Void)? = nil) throws -> UnitResult {
        let folder = fitFolder(unit)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: errorURL(unit))
        do {
            let result = try train(unit, folder: folder, progress: progress)
            try AtomicFile.write(OutputFolder.json(result), to: resultURL(unit))
            return result
        } catch {
            let message = (error as? CircuitFitError)?.message ?? "\(error)"
            try? AtomicFile.writeText("\(message)\n", to: errorURL(unit))
            throw CircuitFitError("fit \(unit.id): \(message)")
        }
    }

    private func train(_ unit: FitUnit, folder: URL, progress: ((TrainingProgress) -> Void)?) throws -> UnitResult {
        let dataURL = datasetURL(seed: unit.seed)
        if config.dataset.isEmpty, !FileManager.default.fileExists(atPath: dataURL.path) {
            let circuit = config.datasetPath(seed: unit.seed).replacingOccurrences(of: "/dataset.npz", with: "")
            throw CircuitFitError("the circuit this fit needs was not generated: no \(dataURL.path) (see \(circuit)/error.txt or the circuit job's log)")
        }
        let dataset = try ReachDataset.read(from: dataURL)
        let config = unit.fitConfig(self.config)
        let model = try FitOutputs.fitWithCheckpoints(dataset: dataset, config: config, folder: folder, progress: progress)
        try AtomicFile.write(model.archive().encoded(), to: folder.appendingPathComponent("model.npz"))
        try AtomicFile.writeText(FitOutputs.historyCSV(model.training?.history ?? []), to: folder.appendingPathComponent("history.csv"))
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("checkpoint.npz"))
        let record = FitRecord(config: config, dataset: dataURL.path, model: model)
        var rows: [ResultRow] = []
        for m in unit.recordCounts {
            // the recorded set this row is scored against: the same draw a λ > 0 fit of this M uses
            var scoring = config
            scoring.record = m
            let recorded = try prepareFit(dataset: dataset, config: scoring).neural
            let metrics = try evaluateModel(
                spec: model.spec, parameters: model.parameters, untrained: model.initialParameters, dataset: dataset,
                recording: RecordingInfo(neurons: recorded?.neurons ?? [], offset: recorded?.offset ?? [], scale: recorded?.scale ?? []),
                split: model.split)
            rows.append(ResultRow(
                seed: unit.seed, arm: unit.arm, record: m, lambda: unit.lambda, fitID: unit.id,
                mapping: config.mapping, hidden: config.hidden, iterationsRun: record.iterationsRun,
                stop: record.stop, trainSeconds: record.seconds, metrics: metrics,
                converged: record.converged, convergence: record.convergence, evaluations: record.evaluations,
                optimizer: config.optimizer))
        }
        return UnitResult(unit: unit, rows: rows)
    }

    // MARK: collect

    /// Every finished unit's rows in plan order (rows of λ = 0 units interleaved by M as planned).
    public func finishedRows() throws -> (rows: [ResultRow], missing: [FitUnit]) {
        var rows: [ResultRow] = [], missing: [FitUnit] = []
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        for unit in config.units {
            guard let data = try? Data(contentsOf: resultURL(unit)) else { missing.append(unit); continue }
            do { rows += try decoder.decode(UnitResult.self, from: data).rows } catch {
                throw CircuitFitError("\(resultURL(unit).path): unreadable result (\(error)); delete it to rerun that fit")
            }
        }
        rows.sort { ($0.seed, $0.arm.rawValue, $0.record, $0.lambda) < ($1.seed, $1.arm.rawValue, $1.record, $1.lambda) }
        return (rows, missing)
    }
}
