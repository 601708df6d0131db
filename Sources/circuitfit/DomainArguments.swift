import ArgumentParser
import CircuitFitCore
import CircuitFitModel
import CircuitFitCircuit
import CircuitFitExperiment
import CircuitFitImport

// Domain values as command-line arguments: `--help` lists the allowed values, and a wrong one is
// refused by the parser with that list.

extension ExperimentArm: ExpressibleByArgument {}
extension ExperimentBackendKind: ExpressibleByArgument {}
extension NeuralMapping: ExpressibleByArgument {}
extension PerturbedPopulation: ExpressibleByArgument {}
extension PerturbationKind: ExpressibleByArgument {}
extension PerturbationImportOptions.UnitReference: ExpressibleByArgument {}

/// A comma-separated list of values of a CaseIterable type, as one argument (`--arms plain,priors`).
struct CommaList<Value: ExpressibleByArgument & CaseIterable & RawRepresentable>: ExpressibleByArgument
where Value.RawValue == String {
    var values: [Value]

    init?(argument: String) {
        var out: [Value] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Value(argument: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            out.append(v)
        }
        guard !out.isEmpty else { return nil }
        values = out
    }

    static var allValueStrings: [String] { Value.allCases.map(\.rawValue) }
    var defaultValueDescription: String { values.map(\.rawValue).joined(separator: ",") }
}
