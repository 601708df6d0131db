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
            --seed, and minimises L = L_task + λ·L_neural (+ penalties) by BPTT and Adam (or \
            L-BFGS, Gauss-Newton: --optimizer) until the convergence criterion is met (at most \
            --max-iterations steps). Both terms are normalised MSEs: each output channel's and \
            each recorded neuron's squared error divided by its variance over the fitted samples, \
            averaged over channels or neurons, so the fit does not depend on the data's units. \
            λ = 1 weighs the recorded neurons' mean fraction of unexplained variance as much as \
            the outputs'. Writes model.npz, \
            metrics.json, history.csv and config.json into --out; checkpoint.npz while running. A \
            diverging fit (NaN/Inf) stops, says at which iteration, and keeps the last good \
            checkpoint. See docs/method.md (objective, convergence, optimiser) and docs/files.md.

            Examples:
              circuitfit train circuit/dataset.npz --out fit --record 20 --lambda 1
              circuitfit train circuit/dataset.npz --out task-only --record 0
              circuitfit train circuit/dataset.npz --out fit --record 50 \\
                --mapping linear --max-iterations 3000
              circuitfit train circuit/dataset.npz --out fit-lbfgs --record 20 \\
                --optimizer lbfgs
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
    @Option(parsing: .unconditional, help: "λ, weight of the neural term (default 1: the recorded neurons' mean normalised error counts as much as the outputs'; 0 = task-only; ignored when M = 0), or 'auto': chosen by cross-validation over folds of the recorded neurons (docs/method.md#choosing-lambda-automatically).")
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
            let outURL = try outputURL(out)
            var config = try fit.config()
            if let record { config.record = record }
            if let neurons { config.recordNeurons = try parseIndexList(neurons, option: "--neurons") }
            let autoLambda = lambda?.lowercased() == "auto"
            if let lambda, !autoLambda {
                guard let value = Double(lambda), value.isFinite else { throw CircuitFitError("--lambda must be a number or 'auto', got '\(lambda)'") }
                config.lambda = value
            }
            if let seed { config.seed = seed }
            try config.validate()
            let datasetURL = URL(fileURLWithPath: dataset)
            let data = try ReachDataset.read(from: datasetURL)
            // everything the fit and its evaluation need (M, indices, shapes, memory, degenerate
            // data) fails before --out is touched
            let prepared = try preflightFit(dataset: data, config: config, file: dataset)
            if let warning = unseenInputWarning(unseenInputChannels(dataset: data, training: prepared.split.fit, heldOut: prepared.split.heldOut)) {
                say("warning: " + warning)
            }
            var selection: LambdaSelection? = nil
            if autoLambda {
                let line = SharedProgressLine(label: "λ auto")
                selection = try selectLambda(dataset: data, config: config, workers: ProcessInfo.processInfo.activeProcessorCount) { p in
                    line.update("\(p.finished)/\(p.total) fits (last \(p.last)), \(formatDuration(p.seconds)) elapsed, ETA \(p.etaSeconds.map(formatDuration) ?? "?")")
                }
                line.finish()
                for c in selection!.candidates {
                    say("  λ = \(c.lambda): left-out-neuron R² \(format(c.validationNeuronR2, 4)) ± \(format(c.standardError, 4)); vs λ = 0: \(format(c.differenceFromZero, 4)) ± \(format(c.differenceStandardError, 4))")
                }
                say("λ auto: \(selection!.decided ? "chose" : "could not decide; using") λ = \(selection!.chosen): \(selection!.reason)")
                config.lambda = selection!.chosen
            }
            // the new fit is built in a staging folder beside --out and replaces it when complete
            var output = try OutputFolder.staged(outURL, files: FitOutputs.fileNames)
            let keepDivergedAt = output.targetHoldsOutput ? URL(fileURLWithPath: output.target.path + ".diverged") : output.target
            let model: FittedModel
            do {
                model = try runFitWithProgress(dataset: data, config: config, folder: output.url, reportedFolder: keepDivergedAt)
            } catch {
                // a diverged fit (it wrote its checkpoint and history) keeps them: in --out if it
                // held no fit, else beside it; any other failure leaves --out as it was
                let diverged = ["checkpoint.npz", "history.csv"].allSatisfy { FileManager.default.fileExists(atPath: output.file($0).path) }
                if diverged, (try? output.commit(as: keepDivergedAt)) != nil {
                    if keepDivergedAt != output.target { say("note: \(out) still holds the previous fit; the diverged run is in \(keepDivergedAt.path)") }
                } else {
                    output.discard()
                }
                throw error
            }
            do {
                let metrics = try FitOutputs.metrics(model, dataset: data)
                try FitOutputs.write(model, metrics: metrics, config: config, dataset: datasetURL.path, lambdaSelection: selection, into: &output)
                if report {   // part of the fit's folder: written before it replaces --out
                    try writeFitReport(folder: output.url, shownAs: output.target, dataset: data, datasetPath: dataset, to: output.file("report.html"))
                }
                try output.commit()
                let lambdaText = model.spec.recorded == 0 ? "task only (no recorded neurons, λ does not apply)" : "λ = \(config.lambda)"
                print(MetricsTable.render(metrics, title: "fit: M = \(model.spec.recorded), \(lambdaText), seed \(config.seed), \(config.optimizer.rawValue), \(model.training?.updates ?? 0) iterations in \(format(model.training?.seconds ?? 0, 1)) s"))
                print("wrote \(out)/model.npz, metrics.json, history.csv, config.json")
                if report { print("wrote \(out)/report.html") }
            } catch {
                output.discard()
                throw error
            }
        }
    }
}

/// Runs one fit with a live progress line and checkpoints in `folder`; a diverged fit keeps its
/// last good checkpoint and becomes an error.
func runFitWithProgress(dataset: ReachDataset, config: FitConfig, folder: URL, reportedFolder: URL? = nil) throws -> FittedModel {
    let progress = ProgressLine(label: "train")
    let model = try FitOutputs.fitWithCheckpoints(
        dataset: dataset, config: config, folder: folder, reportedFolder: reportedFolder,
        progress: { p in
            let eta = Double(p.iterations - p.iteration) / max(p.iterationsPerSecond, 1e-9)
            let change = p.relativeChange.map { "  Δ \(String(format: "%.1e", $0))/\(String(format: "%.0e", p.tolerance ?? 0))" } ?? ""
            progress.update(
                "iter \(p.iteration)/\(p.iterations)  task \(String(format: "%.3e", p.loss.task))  neural \(String(format: "%.3e", p.loss.neural))\(change)  \(format(p.iterationsPerSecond, 0)) it/s  ETA ≤ \(formatDuration(eta))")
        })
    progress.finish()
    return model
}

/// "3,7,12" → [3, 7, 12], with an error naming the option on anything else (an empty list or
/// an empty item such as in "3,,7" or "," included).
func parseIndexList(_ text: String, option: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw CircuitFitError("\(option) needs a comma-separated list of indices like 0,5,12, got an empty string")
    }
    return try parts.map { part in
        let item = part.trimmingCharacters(in: .whitespaces)
        guard let v = Int(item) else {
            let what = item.isEmpty ? "an item is empty" : "'\(item)' is not an integer"
            throw CircuitFitError("\(option) '\(text)': \(what) (expected a comma-separated list like 0,5,12)")
        }
        return v
    }
}

/// A progress line that worker threads may update (one at a time).
final class SharedProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let line: ProgressLine
    init(label: String) { line = ProgressLine(label: label, interval: 0) }
    func update(_ text: String) { lock.lock(); line.update(text); lock.unlock() }
    func finish() { lock.lock(); line.finish(); lock.unlock() }
}
