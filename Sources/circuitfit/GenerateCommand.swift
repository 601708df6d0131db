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

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Build the ground-truth circuit (stability-optimised E/I network) and its reaching dataset.",
        discussion: """
            Writes circuit.npz, dataset.npz, summary.json and config.json into --out (the \
            arrays and keys: docs/files.md#generate). Every parameter of the circuit (each default \
            and its reason: docs/method.md#the-ground-truth-circuit) can be set in a JSON config \
            file (keys as in the written config.json's "config" object); --seed and --neurons \
            override it.

            Example:
              circuitfit generate --out circuit --seed 3
            """)

    @Option(help: "Output folder (created if needed).")
    var out: String
    @Option(parsing: .unconditional, help: "Seed of every random draw of the circuit (default 1).")
    var seed: UInt64?
    @Option(parsing: .unconditional, help: "Number of neurons N (default 200, half excitatory).")
    var neurons: Int?
    @Option(help: "JSON file overriding any CircuitConfig parameter.")
    var config: String?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            var cfg = CircuitConfig()
            if let config { cfg = try ConfigFile.load(cfg, from: URL(fileURLWithPath: config)) }
            if let seed { cfg.seed = seed }
            if let neurons { cfg.neurons = neurons }
            try cfg.validate()
            // fail on an unusable folder before minutes of work
            let outURL = URL(fileURLWithPath: out)
            _ = try OutputFolder(outURL)

            let progress = ProgressLine(label: "stability optimisation")
            let start = Date()
            let circuit = try generateCircuit(cfg) { step, alpha in
                progress.update("step \(step)/\(cfg.maxOptimizationSteps)  spectral abscissa \(format(alpha, 4)) → target \(cfg.targetSpectralAbscissa)")
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(start)
            try OutputFolder.transaction(outURL) { folder in
                try folder.write(circuit.circuitArchive(), to: "circuit.npz")
                try folder.write(circuit.dataset.archive(), to: "dataset.npz")
                var summary = circuit.summary
                summary.seconds = seconds
                try folder.writeJSON(summary, to: "summary.json")
                try folder.writeJSON(RunRecord(command: "generate", seed: cfg.seed, config: cfg), to: "config.json")
            }
            let s = circuit.summary
            print("""
                circuit: \(s.neurons) neurons (\(s.excitatory) E), seed \(cfg.seed)
                  spectral abscissa \(format(s.spectralAbscissaInitial, 3)) → \(format(s.spectralAbscissaFinal, 4)) \
                in \(s.optimizationSteps) steps (\(s.optimizationStop == "reached_target" ? "reached target \(cfg.targetSpectralAbscissa)" : "step budget exhausted")), \(format(seconds, 1)) s
                  inhibitory connection density \(format(s.inhibitoryConnectionDensity, 3))
                  rates: ‖r‖ \(format(s.rateNormAtGoHz, 1)) Hz at go → peak \(format(s.rateNormPeakHz, 1)) Hz at \(format(s.rateNormPeakMsAfterGo, 0)) ms; peak |rate| \(format(s.peakAbsRateHz, 1)) Hz
                  variance in top PCs: \(s.topPCVarianceFractions.prefix(6).map { format($0 * 100, 1) + "%" }.joined(separator: " "))
                  muscle readout R²: \(format(s.readoutR2Training, 4)) training, \(format(s.readoutR2Heldout, 4)) held-out conditions
                  dataset: \(s.conditions) conditions (\(s.trainingConditions) training), \(s.timeSteps) steps of \(format(s.dtMs, 0)) ms, go at step \(s.goIndex)
                wrote \(out)/circuit.npz, dataset.npz, summary.json, config.json
                """)
        }
    }
}
