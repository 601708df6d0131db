import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitCircuit
import CircuitFitAudit
import CircuitFitFitting

/// The two kinds of work in an experiment — generating a circuit, and training and scoring one
/// fit unit — each written once and run by every backend (local threads and Slurm array tasks).
extension ExperimentFolder {

    /// Generates circuit `index` of `config.circuitsToGenerate` and returns a one-line summary.
    /// Does nothing if it is already complete. A failure is recorded in the circuit's `error.txt`.
    /// `progress` receives each stability-optimisation step (step, spectral abscissa).
    @discardableResult
    public func prepareCircuit(_ index: Int, progress: StabilityProgress? = nil) throws -> String {
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
            let circuit = try generateCircuit(cfg, progress: progress)
            let seconds = Date().timeIntervalSince(start)
            try OutputFolder.transaction(target) { out in
                try out.write(circuit.circuitArchive(), to: "circuit.npz")
                var summary = circuit.summary
                summary.seconds = seconds
                try out.writeJSON(summary, to: "summary.json")
                try out.writeJSON(RunRecord(command: "generate", seed: cfg.seed, config: cfg), to: "config.json")
                // dataset last: its presence marks the circuit as complete (with the perturbation
                // trials the plan asks for, docs/method.md#perturbation-sets-in-the-experiment)
                try out.write(addingPerturbationTrials(to: circuit).archive(), to: "dataset.npz")
            }
            return "circuit \(folderName): spectral abscissa \(String(format: "%.3f", circuit.stability.spectralAbscissaFinal)) after \(circuit.stability.steps) steps, \(String(format: "%.1f", seconds)) s"
        } catch {
            let message = (error as? CircuitFitError)?.message ?? "\(error)"
            if (try? OutputFolder(target)) != nil { try? AtomicFile.writeText("\(message)\n", to: errorURL) }
            throw CircuitFitError("circuit \(folderName): \(message)")
        }
    }

    /// Trains and scores one unit and writes its folder; a failure is recorded in `error.txt`
    /// (and rethrown) so `status` can show it. While it runs, `running.json` says who runs it.
    /// A task-only unit whose network is already trained (its `model.npz` and `result.json` are
    /// there, e.g. after the plan gained M values) is only scored for the M values it lacks.
    @discardableResult
    public func run(_ unit: FitUnit, progress: ((TrainingProgress) -> Void)? = nil) throws -> UnitResult {
        let folder = fitFolder(unit)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: errorURL(unit))
        AtomicFile.removeStaleTemporaries(in: folder)   // what a killed attempt left half-written
        try? AtomicFile.write(OutputFolder.json(RunningFit.current), to: runningURL(unit))
        defer { try? FileManager.default.removeItem(at: runningURL(unit)) }
        do {
            let result: UnitResult
            if let stored = storedResult(unit), stored.unit.seed == unit.seed, stored.unit.arm == unit.arm,
               stored.unit.lambda == unit.lambda, !stored.rows.isEmpty,
               FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.npz").path) {
                result = try rescore(unit, stored: stored)
            } else {
                result = try train(unit, folder: folder, progress: progress)
            }
            try AtomicFile.write(OutputFolder.json(result), to: resultURL(unit))
            return result
        } catch {
            let message = (error as? CircuitFitError)?.message ?? "\(error)"
            try? AtomicFile.writeText("\(message)\n", to: errorURL(unit))
            throw CircuitFitError("fit \(unit.id): \(message)")
        }
    }

    private func dataset(for unit: FitUnit) throws -> (ReachDataset, URL) {
        let dataURL = datasetURL(seed: unit.seed)
        if config.dataset.isEmpty, !FileManager.default.fileExists(atPath: dataURL.path) {
            throw CircuitFitError("the circuit this fit needs was not generated: no \(dataURL.path) (see \(config.circuitFolder(seed: unit.seed))/error.txt or the circuit job's log)")
        }
        return (try ReachDataset.read(from: dataURL), dataURL)
    }

    private func train(_ unit: FitUnit, folder: URL, progress: ((TrainingProgress) -> Void)?) throws -> UnitResult {
        let (dataset, dataURL) = try dataset(for: unit)
        let config = unit.fitConfig(self.config)
        let model = try FitOutputs.fitWithCheckpoints(dataset: dataset, config: config, folder: folder, progress: progress)
        try AtomicFile.write(model.archive().encoded(), to: folder.appendingPathComponent("model.npz"))
        try AtomicFile.writeText(FitOutputs.historyCSV(model.training?.history ?? []), to: folder.appendingPathComponent("history.csv"))
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("checkpoint.npz"))
        let record = FitRecord(config: config, dataset: dataURL.path, model: model)
        let audit = audited(unit, dataset: dataset, dataURL: dataURL)   // one audit per trained network, whatever its M rows
        let rows = try unit.recordCounts.map { m in
            var row = try scoredRow(unit, record: m, spec: model.spec, parameters: model.parameters, untrained: model.initialParameters,
                                    split: model.split, dataset: dataset, training: record)
            row.audit = audit
            return row
        }
        return UnitResult(unit: unit, rows: rows)
    }

    /// Scores an already trained network for the M values its result lacks (a task-only unit of
    /// an extended plan), and audits it when its rows lack the audit the plan asks for.
    private func rescore(_ unit: FitUnit, stored: UnitResult) throws -> UnitResult {
        let (dataset, dataURL) = try dataset(for: unit)
        let config = unit.fitConfig(self.config)
        let saved = try SavedModel.read(from: fitFolder(unit).appendingPathComponent("model.npz"))
        let fresh = try prepareFit(dataset: dataset, config: config)   // same seed ⇒ the same untrained network and split
        let template = stored.rows[0]
        let audit = self.config.audit ? (template.audit ?? audited(unit, dataset: dataset, dataURL: dataURL)) : nil
        // rows scored while the audit was off gain it (the network is the same)
        var rows = stored.rows.filter { unit.recordCounts.contains($0.record) }.map { row in
            var row = row
            if row.audit == nil { row.audit = audit }
            return row
        }
        for m in unit.recordCounts where !rows.contains(where: { $0.record == m }) {
            var row = try scoredRow(unit, record: m, spec: saved.spec, parameters: saved.parameters,
                                    untrained: try RNNParameters(layout: saved.spec.layout, effectiveOf: fresh.initialParameters, spec: fresh.spec),
                                    split: saved.split ?? fresh.split, dataset: dataset, training: nil)
            row.iterationsRun = template.iterationsRun
            row.stop = template.stop
            row.trainSeconds = template.trainSeconds
            row.converged = template.converged
            row.convergence = template.convergence
            row.evaluations = template.evaluations
            row.optimizer = template.optimizer
            row.audit = audit
            rows.append(row)
        }
        rows.sort { $0.record < $1.record }
        return UnitResult(unit: unit, rows: rows)
    }

    /// The mechanism audit of the unit's saved network against its ground-truth circuit, written
    /// to the fit folder as `audit.json`; nil when the plan turns the audit off or the dataset has
    /// no ground truth. An audit that fails does not lose the fit: its message goes to
    /// `audit-error.txt` and the rows carry no audit numbers (the claims on them are undecided).
    private func audited(_ unit: FitUnit, dataset: ReachDataset, dataURL: URL) -> AuditSummary? {
        let circuitFolder = dataURL.deletingLastPathComponent()
        guard config.audit, groundTruthAvailable(circuitFolder: circuitFolder, dataset: dataset) else { return nil }
        let folder = fitFolder(unit)
        let errorURL = folder.appendingPathComponent("audit-error.txt")
        try? FileManager.default.removeItem(at: errorURL)
        do {
            let audit = try auditSavedFit(modelURL: folder.appendingPathComponent("model.npz"), lambda: unit.lambda, circuitFolder: circuitFolder)
            try AtomicFile.write(OutputFolder.json(audit), to: folder.appendingPathComponent("audit.json"))
            return audit.summary
        } catch {
            try? AtomicFile.writeText("\((error as? CircuitFitError)?.message ?? "\(error)")\n", to: errorURL)
            return nil
        }
    }

    /// One result row: the unit's network scored against the recorded set of `record` (the same
    /// draw a λ > 0 fit of that M uses).
    private func scoredRow(_ unit: FitUnit, record m: Int, spec: RNNSpec, parameters: RNNParameters, untrained: RNNParameters,
                           split: ConditionSplit, dataset: ReachDataset, training: FitRecord?) throws -> ResultRow {
        var scoring = unit.fitConfig(config)
        scoring.record = m
        let recorded = try prepareFit(dataset: dataset, config: scoring).neural
        let recording = RecordingInfo(neurons: recorded?.neurons ?? [], offset: recorded?.offset ?? [], scale: recorded?.scale ?? [])
        let metrics = try evaluateModel(
            spec: spec, parameters: parameters, untrained: untrained, dataset: dataset, recording: recording, split: split)
        // the held-out perturbation sets, as `evaluate` scores them (a network with tied units only)
        let perturbation = dataset.perturbations != nil && spec.recordedUnits.count == recording.neurons.count
            ? HeldOutPerturbationScore(try predictPerturbations(spec: spec, parameters: parameters, recording: recording, dataset: dataset, conditions: split.fit))
            : nil
        var row = ResultRow(
            seed: unit.seed, arm: unit.arm, record: m, lambda: unit.lambda, fitID: unit.id,
            mapping: scoring.mapping, hidden: scoring.hidden, iterationsRun: training?.iterationsRun ?? 0,
            stop: training?.stop ?? "", trainSeconds: training?.seconds ?? 0, metrics: metrics,
            converged: training?.converged ?? false, convergence: training?.convergence,
            evaluations: training?.evaluations ?? 0, optimizer: scoring.optimizer)
        row.perturbationSets = unit.perturbationSets
        row.perturbation = perturbation
        return row
    }
}
