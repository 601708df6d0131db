import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitAudit
import CircuitFitFitting

/// One row of `results.csv`: the settings of one (seed, arm, M, λ) and all its metrics.
public struct ResultRow: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var arm: ExperimentArm
    public var record: Int
    public var lambda: Double
    public var fitID: String
    public var mapping: NeuralMapping
    public var hidden: Int
    public var iterationsRun: Int
    public var stop: String
    public var trainSeconds: Double
    public var metrics: FitMetrics
    /// Whether the fit met the convergence criterion (claims are judged on converged fits only).
    public var converged: Bool
    public var convergence: ConvergenceReport?
    /// Loss-and-gradient evaluations the optimiser used.
    public var evaluations: Int
    public var optimizer: OptimizerKind
    /// The mechanism audit's headline numbers for this row's network (nil when the audit is off
    /// or the dataset has no ground truth; a task-only network's audit is the same in all its rows).
    public var audit: AuditSummary?
    /// P, the training perturbation sets of this row's fit (nil, absent from JSON: none).
    public var perturbationSets: Int?
    /// The held-out perturbation sets' prediction by this row's network (nil when the dataset
    /// has no perturbation table or the network has no recorded neurons tied to units).
    public var perturbation: HeldOutPerturbationScore?

    /// P (0 without perturbation trials).
    public var perturbationSetCount: Int { perturbationSets ?? 0 }

    public init(
        seed: UInt64, arm: ExperimentArm, record: Int, lambda: Double, fitID: String, mapping: NeuralMapping,
        hidden: Int, iterationsRun: Int, stop: String, trainSeconds: Double, metrics: FitMetrics,
        converged: Bool, convergence: ConvergenceReport?, evaluations: Int, optimizer: OptimizerKind,
        audit: AuditSummary? = nil
    ) {
        self.seed = seed; self.arm = arm; self.record = record; self.lambda = lambda; self.fitID = fitID
        self.mapping = mapping; self.hidden = hidden; self.iterationsRun = iterationsRun; self.stop = stop
        self.trainSeconds = trainSeconds; self.metrics = metrics; self.converged = converged
        self.convergence = convergence; self.evaluations = evaluations; self.optimizer = optimizer
        self.audit = audit
    }

    /// The CSV header and the row's cells, in a fixed column order; the audit's columns
    /// (`AuditSummary.columns`) come last, empty when the row has no audit.
    public static let columns: [String] = [
        "seed", "arm", "record", "lambda", "fit_id", "mapping", "hidden", "iterations_run", "stop", "train_seconds",
        "output_nmse_train", "output_nmse_heldout", "output_nmse_excluded",
        "cca_mean", "cca_mean_heldout", "procrustes_distance", "procrustes_angular_distance",
        "heldout_neuron_r2", "heldout_neuron_r2_per_neuron_mean", "recorded_nmse_train", "recorded_nmse_heldout",
        "heldout_neurons", "population_neurons",
        "untrained_output_nmse_heldout", "untrained_cca_mean", "untrained_procrustes_angular_distance", "untrained_heldout_neuron_r2",
        "cca_mean_relative", "procrustes_angular_relative", "heldout_neuron_r2_relative",
    ] + (1...10).map { "cc\($0)" } + [
        "converged", "convergence_iteration", "relative_change", "evaluations", "optimizer",
    ] + AuditSummary.columns + ["perturbation_sets"] + HeldOutPerturbationScore.columns

    public var cells: [String] {
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        let m = metrics, u = metrics.untrained
        var out = [
            "\(seed)", arm.rawValue, "\(record)", "\(lambda)", fitID, mapping.rawValue, "\(hidden)", "\(iterationsRun)", stop, f(trainSeconds),
            f(m.outputNMSETrain), f(m.outputNMSEHeldout), f(m.outputNMSEExcluded),
            f(m.ccaMean), f(m.ccaMeanHeldout), f(m.procrustesDistance), f(m.procrustesAngularDistance),
            f(m.heldoutNeuronR2), f(m.heldoutNeuronR2PerNeuronMean), f(m.recordedNMSETrain), f(m.recordedNMSEHeldout),
            "\(m.heldoutNeurons)", "\(m.populationNeurons)",
            f(u?.outputNMSEHeldout), f(u?.ccaMean), f(u?.procrustesAngularDistance), f(u?.heldoutNeuronR2),
            f(m.ccaMeanRelative), f(m.procrustesAngularRelative), f(m.heldoutNeuronR2Relative),
        ]
        out += (0..<10).map { $0 < m.canonicalCorrelations.count ? f(m.canonicalCorrelations[$0]) : "" }
        out += [
            converged ? "true" : "false", convergence?.iteration.map(String.init) ?? "", f(convergence?.relativeChange),
            "\(evaluations)", optimizer.rawValue,
        ]
        out += audit?.cells ?? Array(repeating: "", count: AuditSummary.columns.count)
        out += ["\(perturbationSetCount)"]
        let p = perturbation
        out += p.map { ["\($0.sets)", f($0.outputR2), f($0.neuronR2), f($0.outputSizeRatio)] } ?? Array(repeating: "", count: HeldOutPerturbationScore.columns.count)
        return out
    }

    /// The whole table as CSV (comma-separated, no quoting needed: no cell holds a comma).
    public static func csv(_ rows: [ResultRow]) -> String {
        var s = columns.joined(separator: ",") + "\n"
        for r in rows { s += r.cells.joined(separator: ",") + "\n" }
        return s
    }

    enum CodingKeys: String, CodingKey {
        case seed
        case arm
        case record
        case lambda
        case fitID = "fit_id"
        case mapping
        case hidden
        case iterationsRun = "iterations_run"
        case stop
        case trainSeconds = "train_seconds"
        case metrics
        case converged
        case convergence
        case evaluations
        case optimizer
        case audit
        case perturbationSets = "perturbation_sets"
        case perturbation
    }
}

/// What one finished fit unit wrote: its rows, or the error that stopped it.
public struct UnitResult: Codable, Equatable, Sendable {
    public var unit: FitUnit
    public var rows: [ResultRow]
    public var circuitfitVersion = CircuitFitVersion.string

    enum CodingKeys: String, CodingKey {
        case unit
        case rows
        case circuitfitVersion = "circuitfit_version"
    }
}
