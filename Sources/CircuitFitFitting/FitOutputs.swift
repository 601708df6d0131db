import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// The files a fit writes (docs/files.md): `model.npz`, `metrics.json`, `history.csv`,
/// `config.json`, and while it runs `checkpoint.npz`.
public enum FitOutputs {
    /// Every name a fit's output folder may hold.
    public static let fileNames: Set<String> = ["model.npz", "metrics.json", "history.csv", "config.json", "checkpoint.npz", "report.html"]

    /// history.csv: one row per iteration; `evaluations` counts loss-and-gradient evaluations so
    /// far, `relative_change` is the convergence criterion's (empty before its window is full).
    public static func historyCSV(_ history: [HistoryEntry]) -> String {
        var s = "iteration,loss_total,loss_task,loss_neural,loss_validation,seconds,evaluations,relative_change\n"
        s.reserveCapacity(history.count * 80)
        for h in history {
            let v = h.lossValidation.map { "\($0)" } ?? ""
            let r = h.relativeChange.map { "\($0)" } ?? ""
            s += "\(h.iteration),\(h.lossTotal),\(h.lossTask),\(h.lossNeural),\(v),\(h.seconds),\(h.evaluations),\(r)\n"
        }
        return s
    }

    /// Runs `fitModel`, saving `checkpoint.npz` in `folder` every `config.checkpointEvery`
    /// iterations. A diverging fit keeps its last good parameters in `checkpoint.npz` (and its
    /// history in `history.csv`) and becomes an error that names the iteration and the file.
    /// `reportedFolder` is the folder the error message names (where the checkpoint ends up, when
    /// `folder` is a staging folder that is moved there); default `folder`.
    public static func fitWithCheckpoints(
        dataset: ReachDataset, config: FitConfig, folder: URL, reportedFolder: URL? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> FittedModel {
        let checkpointURL = folder.appendingPathComponent("checkpoint.npz")
        let model = try fitModel(
            dataset: dataset, config: config, progress: progress,
            checkpoint: { _, m in try AtomicFile.write(m.archive().encoded(), to: checkpointURL) })
        if let error = model.training?.error {
            try AtomicFile.write(model.archive().encoded(), to: checkpointURL)
            try AtomicFile.writeText(historyCSV(model.training?.history ?? []), to: folder.appendingPathComponent("history.csv"))
            let reported = (reportedFolder ?? folder).appendingPathComponent("checkpoint.npz")
            throw CircuitFitError("\(error.message); the last good parameters are in \(reported.path)")
        }
        return model
    }

    /// Scores a fitted model on its dataset, with how its training converged.
    public static func metrics(_ model: FittedModel, dataset: ReachDataset) throws -> FitMetrics {
        var m = try evaluateModel(
            spec: model.spec, parameters: model.parameters, untrained: model.initialParameters, dataset: dataset,
            recording: RecordingInfo(neurons: model.neural?.neurons ?? [], offset: model.neural?.offset ?? [], scale: model.neural?.scale ?? []),
            split: model.split)
        m.converged = model.training?.convergence?.converged
        m.convergence = model.training?.convergence
        return m
    }

    /// Writes every output of a finished fit into `out` (a staged folder: the caller commits it)
    /// and removes the checkpoint.
    public static func write(
        _ model: FittedModel, metrics: FitMetrics, config: FitConfig, dataset: String,
        lambdaSelection: LambdaSelection? = nil, into out: inout OutputFolder
    ) throws {
        try out.write(model.archive(), to: "model.npz")
        try out.writeJSON(metrics, to: "metrics.json")
        try out.writeText(historyCSV(model.training?.history ?? []), to: "history.csv")
        var record = FitRecord(config: config, dataset: dataset, model: model)
        record.lambdaSelection = lambdaSelection
        try out.writeJSON(record, to: "config.json")
        try? FileManager.default.removeItem(at: out.file("checkpoint.npz"))
    }
}

/// `config.json` of a fit: the full configuration, the dataset it read and how training ended.
public struct FitRecord: Codable, Sendable {
    public var circuitfitVersion = CircuitFitVersion.string
    public var command = "train"
    public var seed: UInt64
    public var dataset: String
    public var config: FitConfig
    public var recordedNeurons: [Int]
    public var recordedUnits: [Int]
    public var split: ConditionSplit
    public var iterationsRun: Int
    public var stop: String
    public var seconds: Double
    public var finalLossTotal: Double?
    public var finalLossTask: Double?
    public var finalLossNeural: Double?
    /// How `--lambda auto` chose λ (absent when λ was given).
    public var lambdaSelection: LambdaSelection?
    /// Whether the fit met the convergence criterion (docs/method.md#convergence), and the details.
    public var converged: Bool
    public var convergence: ConvergenceReport?
    /// Loss-and-gradient evaluations the optimiser used (line searches included).
    public var evaluations: Int
    /// The objective's weights as they applied: λ is 0 when no neuron is recorded.
    public var lambdaApplied: Double

    public init(config: FitConfig, dataset: String, model: FittedModel) {
        seed = config.seed
        self.dataset = dataset
        self.config = config
        recordedNeurons = model.neural?.neurons ?? []
        recordedUnits = model.spec.mapping == .identity ? model.spec.recordedUnits : []
        split = model.split
        iterationsRun = model.training?.updates ?? 0
        stop = model.training?.stopReason.label ?? "not_trained"
        converged = model.training?.convergence?.converged ?? false
        convergence = model.training?.convergence
        evaluations = model.training?.evaluations ?? 0
        lambdaApplied = model.spec.recorded == 0 ? 0 : config.lambda
        seconds = model.training?.seconds ?? 0
        finalLossTotal = model.training?.finalLoss.total
        finalLossTask = model.training?.finalLoss.task
        finalLossNeural = model.training?.finalLoss.neural
    }

    enum CodingKeys: String, CodingKey {
        case circuitfitVersion = "circuitfit_version"
        case command
        case seed
        case dataset
        case config
        case recordedNeurons = "recorded_neurons"
        case recordedUnits = "recorded_units"
        case split
        case iterationsRun = "iterations_run"
        case stop
        case seconds
        case finalLossTotal = "final_loss_total"
        case finalLossTask = "final_loss_task"
        case finalLossNeural = "final_loss_neural"
        case lambdaSelection = "lambda_selection"
        case converged
        case convergence
        case evaluations
        case lambdaApplied = "lambda_applied"
    }

    /// Reads a record, also one of circuitfit 0.1, which had no convergence keys: its fit counts
    /// as not converged (0.1 had no criterion), one evaluation per iteration (Adam), and λ as it
    /// applied (0 without recorded neurons).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        circuitfitVersion = try c.decode(String.self, forKey: .circuitfitVersion)
        command = try c.decode(String.self, forKey: .command)
        seed = try c.decode(UInt64.self, forKey: .seed)
        dataset = try c.decode(String.self, forKey: .dataset)
        config = try c.decode(FitConfig.self, forKey: .config)
        recordedNeurons = try c.decode([Int].self, forKey: .recordedNeurons)
        recordedUnits = try c.decode([Int].self, forKey: .recordedUnits)
        split = try c.decode(ConditionSplit.self, forKey: .split)
        iterationsRun = try c.decode(Int.self, forKey: .iterationsRun)
        stop = try c.decode(String.self, forKey: .stop)
        seconds = try c.decode(Double.self, forKey: .seconds)
        finalLossTotal = try c.decodeIfPresent(Double.self, forKey: .finalLossTotal)
        finalLossTask = try c.decodeIfPresent(Double.self, forKey: .finalLossTask)
        finalLossNeural = try c.decodeIfPresent(Double.self, forKey: .finalLossNeural)
        lambdaSelection = try c.decodeIfPresent(LambdaSelection.self, forKey: .lambdaSelection)
        converged = try c.decodeIfPresent(Bool.self, forKey: .converged) ?? false
        convergence = try c.decodeIfPresent(ConvergenceReport.self, forKey: .convergence)
        evaluations = try c.decodeIfPresent(Int.self, forKey: .evaluations) ?? iterationsRun
        lambdaApplied = try c.decodeIfPresent(Double.self, forKey: .lambdaApplied) ?? (recordedNeurons.isEmpty ? 0 : config.lambda)
    }
}
