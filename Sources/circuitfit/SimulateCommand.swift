import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitFitting

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a fitted model on a dataset's inputs and save its rates and outputs as arrays.",
        discussion: """
            Simulates MODEL_DIR/model.npz noise-free on every condition of DATASET's inputs and \
            writes one .npz (docs/files.md#simulatenpz): rates [C,T,H] (tanh of the state), \
            outputs [C,T,K], recorded_predictions [C,T,M] (the model's prediction of each recorded \
            neuron, in the dataset's units), t_ms [T] and recorded_neurons [M]. Nothing else is \
            computed; the file is written atomically.

            Example:
              circuitfit simulate fit circuit/dataset.npz --out fit/simulate.npz
            """)

    @Argument(help: "Folder holding model.npz (from `train`).")
    var modelDir: String
    @Argument(help: "The dataset (.npz) whose inputs drive the model.")
    var dataset: String
    @Option(help: "The .npz file to write (its folder must exist).")
    var out: String
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            let outURL = URL(fileURLWithPath: out)
            var isFolder: ObjCBool = false
            let parent = outURL.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: parent.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw CircuitFitError("--out \(out): the folder \(parent.path) does not exist")
            }
            if FileManager.default.fileExists(atPath: outURL.path, isDirectory: &isFolder), isFolder.boolValue {
                throw CircuitFitError("--out \(out) is a folder; give the .npz file to write")
            }
            let model = try SavedModel.read(from: URL(fileURLWithPath: modelDir).appendingPathComponent("model.npz"))
            let data = try ReachDataset.read(from: URL(fileURLWithPath: dataset))
            guard data.inputCount == model.spec.inputs else {
                throw CircuitFitError("\(modelDir)/model.npz has \(model.spec.inputs) inputs but \(dataset) has \(data.inputCount) input channels: was the model fitted to another dataset?")
            }
            let run = try simulate(model, inputs: data.inputs, dtMs: data.dtMs)
            try run.archive(recordedNeurons: model.recordedNeurons).write(to: outURL)
            say("wrote \(out): rates \(run.rates.shape), outputs \(run.outputs.shape), recorded_predictions \(run.recordedPredictions.shape)")
        }
    }
}
