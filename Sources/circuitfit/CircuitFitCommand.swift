import ArgumentParser
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

@main
struct CircuitFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuitfit",
        abstract: "Train RNN models of brain circuits on task outputs and sparse neural recordings.",
        discussion: """
            CircuitFit builds a ground-truth circuit (a stability-optimised E/I network driving \
            muscle-like outputs), trains rate RNNs on its outputs and on a few of its neurons, and \
            scores how well the model captures the whole circuit (Salatiello & Giese 2020).

            Start with `circuitfit demo`, or:
              circuitfit generate --out circuit
              circuitfit train circuit/dataset.npz --out fit --record 20 --lambda 1
            """,
        version: CircuitFitVersion.string,
        subcommands: [DemoCommand.self, GenerateCommand.self, ImportCommand.self, TrainCommand.self, EvaluateCommand.self, ReportCommand.self, AuditCommand.self, SimulateCommand.self, CompareCommand.self, ExperimentCommand.self, StatusCommand.self,
                      ExperimentTaskCommand.self, ExperimentCollectCommand.self, HDF5ReadCommand.self])
}
