import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitAudit
import CircuitFitFitting
import CircuitFitExperiment

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a fitted model on a dataset: output error, similarity to the population, held-out neurons.",
        discussion: """
            Simulates MODEL_DIR/model.npz on every condition of DATASET (training and held out) and \
            prints a table, or with --json one JSON object (keys: docs/files.md#metricsjson). When MODEL_DIR/config.json \
            is the fit's own record, the untrained network of the same seed is scored as the floor.

            With --reference CIRCUIT_DATASET (a dataset.npz from `generate`), the similarities \
            (CCA, Procrustes) and the held-out-neuron R² are against the reference's `rates` (every \
            neuron of the circuit) instead of DATASET's neurons, with the model still simulated on \
            DATASET's inputs; output errors stay on DATASET. Made for a model fitted to a \
            recording simulated from that circuit: the reference must have DATASET's conditions \
            (same order) and time steps, and the imported `neuron_ids` must be circuit indices \
            (scripts/circuit_to_nwb.py writes them as the NWB unit ids). The held-out neurons are \
            then every circuit neuron the model was not fitted to.

            Whenever the ground truth is known (DATASET is a `generate` dataset with `rates` and \
            a circuit.npz beside it, or --circuit DIR is given) the mechanism audit of \
            `circuitfit audit` runs too: printed below the table, and under the key "audit" of \
            --json (null otherwise; docs/files.md § audit). --no-audit skips it.

            Examples:
              circuitfit evaluate fit circuit/dataset.npz --json
              circuitfit evaluate fit session.npz --reference circuit/dataset.npz
            """)

    @Argument(help: "Folder holding model.npz (from `train`).")
    var modelDir: String
    @Argument(help: "The dataset (.npz).")
    var dataset: String
    @Option(help: "A generated dataset (from `generate`) whose `rates` (every circuit neuron) the similarities and held-out-neuron R² are computed against.")
    var reference: String?
    @Option(help: "A circuit folder (from `generate`: circuit.npz, dataset.npz) to audit the model's mechanism against (default: DATASET's own folder when it holds circuit.npz).")
    var circuit: String?
    @Flag(help: "Skip the mechanism audit even when the ground truth is known.")
    var noAudit = false
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            let dir = URL(fileURLWithPath: modelDir)
            var saved = try SavedModel.read(from: dir.appendingPathComponent("model.npz"))
            let data = try ReachDataset.read(from: URL(fileURLWithPath: dataset))
            if !saved.recordsTimeStep {
                // a model file of CircuitFit 0.1 without dt_ms: it steps with the dataset's dt
                let alpha = saved.spec.alpha
                saved.spec.dtMs = data.dtMs
                saved.spec.tauMs = data.dtMs / alpha
            }
            try MemoryBudget.current.require(
                evaluationMemoryEstimate(hidden: saved.spec.hidden, dataset: data),
                for: "scoring a model of H = \(saved.spec.hidden) units on \(data.conditions) conditions × \(data.steps) steps")
            let split = saved.split ?? ConditionSplit(fit: data.trainingConditions, validation: [], excluded: [], heldOut: data.heldOutConditions)
            for c in split.fit + split.heldOut + split.excluded where c >= data.conditions {
                throw CircuitFitError("model.npz uses condition \(c) but \(dataset) has \(data.conditions) conditions: was the model fitted to another dataset?")
            }
            if reference == nil {
                try requireScorableData(data, split: split, hidden: saved.spec.hidden, file: dataset)
            }
            // The untrained floor: rebuilt from the fit's own config.json (same seed ⇒ same initial network).
            var untrained: RNNParameters? = nil
            let record = try? JSONDecoder().decode(FitRecord.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
            if let record, let prepared = try? prepareFit(dataset: data, config: record.config),
               prepared.initialParameters.layout == saved.parameters.layout {
                // the saved J is the effective one (signs and mask applied): compare like with like
                var u = prepared.initialParameters
                u[.J] = ArraySlice(u.effectiveJ(spec: prepared.spec))
                untrained = u
            }
            var population: ReferencePopulation? = nil
            if let reference {
                population = try ReferencePopulation(
                    reference: ReachDataset.read(from: URL(fileURLWithPath: reference)), dataset: data,
                    recordedNeurons: saved.recordedNeurons, names: (dataset, reference))
            }
            var metrics = try evaluateModel(
                spec: saved.spec, parameters: saved.parameters, untrained: untrained, dataset: data,
                recording: RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale),
                split: split, reference: population)
            metrics.converged = record?.converged
            metrics.convergence = record?.convergence
            if let warning = unseenInputWarning(metrics.unseenInputChannels ?? []) {
                say("warning: " + warning)
            }
            // The mechanism audit, whenever the ground truth is known.
            var audit: MechanismAudit? = nil
            let beside = URL(fileURLWithPath: dataset).deletingLastPathComponent()
            if !noAudit, let circuitDir = circuit ?? (data.rates != nil && FileManager.default.fileExists(atPath: beside.appendingPathComponent("circuit.npz").path) ? beside.path : nil) {
                if !json { say("auditing the mechanism against \(circuitDir) …") }
                audit = try runFitAudit(modelDir: modelDir, circuitDir: circuitDir)
            }
            // Held-out (and training) perturbation sets of the dataset, when it has them.
            let predictions = data.perturbations == nil ? nil : try predictPerturbations(
                spec: saved.spec, parameters: saved.parameters,
                recording: RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale),
                dataset: data, conditions: split.fit)
            if json {
                print(String(decoding: try OutputFolder.json(FitEvaluation(metrics: metrics, audit: audit, perturbations: predictions)), as: UTF8.self), terminator: "")
            } else {
                let against = reference.map { "; similarities and held-out neurons against reference \($0) (\(metrics.populationNeurons) neurons)" } ?? ""
                print(MetricsTable.render(metrics, title: "model \(modelDir) on \(dataset): H = \(saved.spec.hidden), M = \(saved.recordedNeurons.count), \(saved.spec.mapping.rawValue) mapping\(against)"))
                if let audit { print("\n" + AuditTable.render(audit, title: "mechanism audit")) }
                // the audit's table already lists the dataset's sets
                if let predictions, audit?.datasetPerturbations == nil { print("\n" + PerturbationLines.render(predictions)) }
            }
        }
    }
}
