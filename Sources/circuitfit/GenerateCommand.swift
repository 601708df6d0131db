import ArgumentParser
import CircuitFit
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Build the ground-truth circuit (stability-optimised E/I network) and its reaching dataset.",
        discussion: """
            Writes circuit.npz, dataset.npz, summary.json and config.json into --out.
            Every parameter of science.md §1 can be set in a JSON config file (keys as in the
            written config.json's "config" object); --seed and --neurons override it.

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
                  spectral abscissa \(format(s.spectral_abscissa_initial, 3)) → \(format(s.spectral_abscissa_final, 4)) \
                in \(s.optimization_steps) steps (\(s.optimization_stop == "reached_target" ? "reached target \(cfg.targetSpectralAbscissa)" : "step budget exhausted")), \(format(seconds, 1)) s
                  inhibitory connection density \(format(s.inhibitory_connection_density, 3))
                  rates: ‖r‖ \(format(s.rate_norm_at_go_hz, 1)) Hz at go → peak \(format(s.rate_norm_peak_hz, 1)) Hz at \(format(s.rate_norm_peak_ms_after_go, 0)) ms; peak |rate| \(format(s.peak_abs_rate_hz, 1)) Hz
                  variance in top PCs: \(s.top_pc_variance_fractions.prefix(6).map { format($0 * 100, 1) + "%" }.joined(separator: " "))
                  muscle readout R²: \(format(s.readout_r2_training, 4)) training, \(format(s.readout_r2_heldout, 4)) held-out conditions
                  dataset: \(s.conditions) conditions (\(s.training_conditions) training), \(s.time_steps) steps of \(format(s.dt_ms, 0)) ms, go at step \(s.go_index)
                wrote \(out)/circuit.npz, dataset.npz, summary.json, config.json
                """)
        }
    }
}
