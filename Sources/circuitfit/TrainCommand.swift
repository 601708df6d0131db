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

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a model RNN to a dataset's outputs and to M of its neurons.",
        discussion: """
            Reads DATASET (dataset.npz from `generate` or `import`), draws M recorded neurons with \
            --seed, and minimises L = L_task + λ·L_neural (+ penalties) by BPTT and Adam. Writes \
            model.npz, metrics.json, history.csv and config.json into --out; checkpoint.npz while \
            running. A diverging fit (NaN/Inf) stops, says at which iteration, and keeps the last \
            good checkpoint.

            Examples:
              circuitfit train circuit/dataset.npz --out fit --record 20 --lambda 1
              circuitfit train circuit/dataset.npz --out task-only --record 0
              circuitfit train circuit/dataset.npz --out fit --record 50 \\
                --mapping linear --iterations 3000
              circuitfit train session.npz --out fit --record 20 --report
            """)

    @Argument(help: "The dataset (.npz).")
    var dataset: String
    @Option(help: "Output folder (created if needed).")
    var out: String
    @Option(parsing: .unconditional, help: "M, the number of recorded neurons (default 20; 0 = task-only).")
    var record: Int?
    @Option(parsing: .unconditional, help: "Comma-separated recorded neuron indices (overrides --record).")
    var neurons: String?
    @Option(parsing: .unconditional, help: "λ, weight of the neural term (default 1; 0 = task-only), or 'auto': chosen by cross-validation on held-out neurons and held-out training conditions.")
    var lambda: String?
    @Option(parsing: .unconditional, help: "Seed of neuron sampling, initialisation and noise (default 1).")
    var seed: UInt64?
    @Flag(help: "Also write the fit's report, --out/report.html (as `circuitfit report`).")
    var report = false
    @OptionGroup var fit: FitOptions
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            var config = try fit.config()
            if let record { config.record = record }
            if let neurons { config.recordNeurons = try parseIndexList(neurons, option: "--neurons") }
            let autoLambda = lambda?.lowercased() == "auto"
            if let lambda, !autoLambda {
                guard let value = Double(lambda) else { throw CircuitFitError("--lambda must be a number or 'auto', got '\(lambda)'") }
                config.lambda = value
            }
            if let seed { config.seed = seed }
            try config.validate()
            let datasetURL = URL(fileURLWithPath: dataset)
            let data = try ReachDataset.read(from: datasetURL)
            // every dataset/config mismatch (M, indices, shapes) fails before --out is created
            let prepared = try prepareFit(dataset: data, config: config)
            if let warning = unseenInputWarning(unseenInputChannels(dataset: data, training: prepared.split.fit, heldOut: prepared.split.heldOut)) {
                say("warning: " + warning)
            }
            let outURL = URL(fileURLWithPath: out)
            var selection: LambdaSelection? = nil
            if autoLambda {
                let line = ProgressLine(label: "λ auto")
                selection = try selectLambda(dataset: data, config: config) { lambda, i, n in
                    line.update("fitting candidate \(i + 1)/\(n): λ = \(lambda)")
                }
                line.finish()
                for c in selection!.candidates {
                    say("  λ = \(c.lambda): validation-neuron R² \(format(c.validationNeuronR2, 4)), validation output NMSE \(format(c.validationOutputNMSE, 4))")
                }
                say("λ auto: chose λ = \(selection!.chosen): \(selection!.reason)")
                config.lambda = selection!.chosen
            }
            _ = try OutputFolder(outURL)
            let model = try runFitWithProgress(dataset: data, config: config, folder: outURL)
            let metrics = try FitOutputs.metrics(model, dataset: data)
            try FitOutputs.write(model, metrics: metrics, config: config, dataset: datasetURL.path, lambdaSelection: selection, to: outURL)
            print(MetricsTable.render(metrics, title: "fit: M = \(model.spec.recorded), λ = \(config.lambda), seed \(config.seed), \(model.training?.updates ?? 0) iterations in \(format(model.training?.seconds ?? 0, 1)) s"))
            print("wrote \(out)/model.npz, metrics.json, history.csv, config.json")
            if report {
                let target = outURL.appendingPathComponent("report.html")
                try writeFitReport(folder: outURL, dataset: data, datasetPath: dataset, to: target)
                print("wrote \(target.path)")
            }
        }
    }
}

/// Runs one fit with a live progress line and checkpoints in `folder`; a diverged fit keeps its
/// last good checkpoint and becomes an error.
func runFitWithProgress(dataset: ReachDataset, config: FitConfig, folder: URL) throws -> FittedModel {
    let progress = ProgressLine(label: "train")
    let model = try FitOutputs.fitWithCheckpoints(
        dataset: dataset, config: config, folder: folder,
        progress: { p in
            let eta = Double(p.iterations - p.iteration) / max(p.iterationsPerSecond, 1e-9)
            progress.update(
                "iter \(p.iteration)/\(p.iterations)  task \(String(format: "%.3e", p.loss.task))  neural \(String(format: "%.3e", p.loss.neural))  \(format(p.iterationsPerSecond, 0)) it/s  ETA \(formatDuration(eta))")
        })
    progress.finish()
    return model
}

/// "3,7,12" → [3, 7, 12], with an error naming the option on anything else.
func parseIndexList(_ text: String, option: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
        guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
            throw CircuitFitError("\(option): '\(part)' is not an integer (expected a comma-separated list like 0,5,12)")
        }
        return v
    }
}
