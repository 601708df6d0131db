import ArgumentParser
import CircuitFit
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a fitted model on a dataset: output error, similarity to the population, held-out neurons.",
        discussion: """
            Simulates MODEL_DIR/model.npz on every condition of DATASET (training and held out) and \
            prints a table, or with --json one JSON object (interface.md). When MODEL_DIR/config.json \
            is the fit's own record, the untrained network of the same seed is scored as the floor.

            Example:
              circuitfit evaluate fit circuit/dataset.npz --json
            """)

    @Argument(help: "Folder holding model.npz (from `train`).")
    var modelDir: String
    @Argument(help: "The dataset (.npz).")
    var dataset: String
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            let dir = URL(fileURLWithPath: modelDir)
            let saved = try SavedModel.read(from: dir.appendingPathComponent("model.npz"))
            let data = try ReachDataset.read(from: URL(fileURLWithPath: dataset))
            let split = saved.split ?? ConditionSplit(fit: data.trainingConditions, validation: [], excluded: [], heldOut: data.heldOutConditions)
            for c in split.fit + split.heldOut + split.excluded where c >= data.conditions {
                throw CircuitFitError("model.npz uses condition \(c) but \(dataset) has \(data.conditions) conditions: was the model fitted to another dataset?")
            }
            // The untrained floor: rebuilt from the fit's own config.json (same seed ⇒ same initial network).
            var untrained: RNNParameters? = nil
            if let record = try? JSONDecoder().decode(FitRecord.self, from: Data(contentsOf: dir.appendingPathComponent("config.json"))),
               let prepared = try? prepareFit(dataset: data, config: record.config),
               prepared.initialParameters.layout == saved.parameters.layout {
                // the saved J is the effective one (signs and mask applied): compare like with like
                var u = prepared.initialParameters
                u[.J] = ArraySlice(u.effectiveJ(spec: prepared.spec))
                untrained = u
            }
            let metrics = try evaluateModel(
                spec: saved.spec, parameters: saved.parameters, untrained: untrained, dataset: data,
                recording: RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale),
                split: split)
            if json {
                print(String(decoding: try OutputFolder.json(metrics), as: UTF8.self), terminator: "")
            } else {
                print(MetricsTable.render(metrics, title: "model \(modelDir) on \(dataset): H = \(saved.spec.hidden), M = \(saved.recordedNeurons.count), \(saved.spec.mapping.rawValue) mapping"))
            }
        }
    }
}
