import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAudit

/// The mechanism audit of a saved fit against the ground-truth circuit it was fitted to: checks
/// that the two belong together before any work, then runs `auditMechanism`.
///
/// `circuit` comes from `generate`'s folder (circuit.npz), `dataset` must be that circuit's own
/// dataset (with `rates`); `lambda` is the fit's λ when known (λ = 0 or M = 0 makes the
/// perturbations go to random units, the control), `unitExcitatory` its Dale types if any.
public func auditFit(
    model saved: SavedModel, lambda: Double?, unitExcitatory: [Bool]?, circuit: GroundTruthCircuit,
    dataset: ReachDataset, names: (model: String, circuit: String), settings: AuditSettings = AuditSettings()
) throws -> MechanismAudit {
    guard let rates = dataset.rates else {
        throw CircuitFitError("audit: the dataset has no ground truth ('rates' of every circuit neuron); the audit needs a dataset from `generate` and its circuit.npz")
    }
    let excitatory = dataset.excitatory ?? circuit.excitatory
    guard abs(saved.spec.dtMs - dataset.dtMs) < 1e-9 else {
        throw CircuitFitError("audit: \(names.model) has dt_ms \(saved.spec.dtMs) but \(names.circuit) has dt_ms \(dataset.dtMs); a model and circuit of different time steps cannot be compared")
    }
    if let dt = circuit.dtMs, abs(dt - dataset.dtMs) > 1e-9 {
        throw CircuitFitError("audit: \(names.circuit)'s circuit was binned at \(dt) ms but its dataset has dt_ms \(dataset.dtMs)")
    }
    guard rates.d2 == circuit.neurons else {
        throw CircuitFitError("audit: \(names.circuit): the dataset has \(rates.d2) neurons but circuit.npz has \(circuit.neurons)")
    }
    guard circuit.preparatoryStates.rows == dataset.conditions else {
        throw CircuitFitError("audit: \(names.circuit): circuit.npz has \(circuit.preparatoryStates.rows) preparatory states for \(dataset.conditions) conditions")
    }
    guard saved.spec.outputs == circuit.readout.rows, saved.spec.inputs == dataset.inputCount else {
        throw CircuitFitError("audit: \(names.model) has \(saved.spec.inputs) inputs and \(saved.spec.outputs) outputs, \(names.circuit) has \(dataset.inputCount) inputs and \(circuit.readout.rows) muscles")
    }
    if let bad = saved.recordedNeurons.first(where: { $0 < 0 || $0 >= circuit.neurons }) {
        throw CircuitFitError("audit: \(names.model) records neuron \(bad), outside the circuit's \(circuit.neurons): was it fitted to another circuit?")
    }
    if let e = unitExcitatory, e.count != saved.spec.hidden {
        throw CircuitFitError("audit: \(names.model): excitatory_units has \(e.count) entries for \(saved.spec.hidden) units")
    }
    let conditions = saved.split?.fit ?? dataset.trainingConditions
    if let bad = conditions.first(where: { $0 >= dataset.conditions }) {
        throw CircuitFitError("audit: \(names.model) uses condition \(bad) but \(names.circuit) has \(dataset.conditions): was it fitted to another dataset?")
    }
    let model = try AuditSubject(
        spec: saved.spec, parameters: saved.parameters, neurons: saved.recordedNeurons,
        offset: saved.neuronOffset, scale: saved.neuronScale, unitExcitatory: unitExcitatory)
    let reference = AuditSubject(circuit: circuit, neurons: saved.recordedNeurons)
    let data = AuditData(
        inputs: dataset.inputs, rates: rates, excitatory: excitatory, conditions: conditions,
        goIndex: dataset.goIndex, dtMs: dataset.dtMs)
    let fitted = !saved.recordedNeurons.isEmpty && (lambda ?? 1) > 0
    var audit = try auditMechanism(model: model, circuit: reference, data: data, tiedUnitsFitted: fitted, settings: settings)
    // the dataset's perturbation sets, scored as `evaluate` scores them
    if dataset.perturbations != nil {
        audit.datasetPerturbations = try predictPerturbations(
            spec: saved.spec, parameters: saved.parameters,
            recording: RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale),
            dataset: dataset, conditions: conditions)
    }
    return audit
}

/// Audits the fit saved at `modelURL` against the circuit in `circuitFolder` (circuit.npz and the
/// dataset.npz it generated): what `circuitfit audit` and every experiment fit run. `lambda` is
/// the fit's λ (nil: unknown, taken as a fitted neural term).
public func auditSavedFit(
    modelURL: URL, lambda: Double?, circuitFolder: URL, settings: AuditSettings = AuditSettings(),
    names: (model: String, circuit: String)? = nil
) throws -> MechanismAudit {
    let saved = try SavedModel.read(from: modelURL)
    let types = try SavedModel.unitTypes(from: modelURL)
    let datasetURL = circuitFolder.appendingPathComponent("dataset.npz")
    guard FileManager.default.fileExists(atPath: datasetURL.path) else {
        throw CircuitFitError("\(names?.circuit ?? circuitFolder.path): no dataset.npz; expected a folder written by `circuitfit generate`")
    }
    let dataset = try ReachDataset.read(from: datasetURL)
    let circuit = try GroundTruthCircuit.read(folder: circuitFolder)
    return try auditFit(
        model: saved, lambda: lambda, unitExcitatory: types, circuit: circuit, dataset: dataset,
        names: names ?? (modelURL.path, circuitFolder.path), settings: settings)
}

/// Whether `circuitFolder` holds a ground truth the audit can use: circuit.npz beside a
/// dataset.npz with the rates of every circuit neuron.
public func groundTruthAvailable(circuitFolder: URL, dataset: ReachDataset) -> Bool {
    dataset.rates != nil && FileManager.default.fileExists(atPath: circuitFolder.appendingPathComponent("circuit.npz").path)
}

extension SavedModel {
    /// The fixed E/I type of each unit (`excitatory_units` in model.npz, Dale's law), or nil.
    public static func unitTypes(from url: URL) throws -> [Bool]? {
        let a = try NPZArchive.read(from: url)
        guard a["excitatory_units"] != nil else { return nil }
        return try a.intVector("excitatory_units", dims: "[H]").map { $0 != 0 }
    }
}

/// What `evaluate --json` writes: every key of `FitMetrics`, plus "audit" (the mechanism audit,
/// or null when the ground truth is unknown or `--no-audit`) and, for a dataset with
/// perturbation trials only, "perturbation_predictions" (`predictPerturbations`).
public struct FitEvaluation: Codable, Sendable {
    public var metrics: FitMetrics
    public var audit: MechanismAudit?
    public var perturbations: [PerturbationPrediction]?

    public init(metrics: FitMetrics, audit: MechanismAudit?, perturbations: [PerturbationPrediction]? = nil) {
        self.metrics = metrics; self.audit = audit; self.perturbations = perturbations
    }

    enum CodingKeys: String, CodingKey { case audit, perturbations = "perturbation_predictions" }

    public init(from decoder: Decoder) throws {
        metrics = try FitMetrics(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        audit = try c.decodeIfPresent(MechanismAudit.self, forKey: .audit)
        perturbations = try c.decodeIfPresent([PerturbationPrediction].self, forKey: .perturbations)
    }

    public func encode(to encoder: Encoder) throws {
        try metrics.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(audit, forKey: .audit)
        try c.encodeIfPresent(perturbations, forKey: .perturbations)
    }
}
