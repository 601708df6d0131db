import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitAudit
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

            Perturbation trials (docs/method.md#perturbation-trials): --perturbation-sets P adds, \
            for P seeded sets of --perturbation-size neurons, the circuit run with those neurons \
            silenced (clamped at baseline) or stimulated (a step input of --stimulus-hz) during \
            --perturbation-window-ms, in every condition; dataset.npz then holds the table and the \
            perturbed rates and outputs (docs/files.md#datasetnpz). The last --held-out-sets sets \
            are for testing only. The same settings are the config file's "perturbationTrials" \
            object.

            Examples:
              circuitfit generate --out circuit --seed 3
              circuitfit generate --out circuit --perturbation-sets 8 \\
                --perturbation-size 5 --perturbation-type E \\
                --perturbation-kind silence --perturbation-window-ms 0,500 \\
                --held-out-sets 4
            """)

    @Option(help: "Output folder (created if needed).")
    var out: String
    @Option(parsing: .unconditional, help: "Seed of every random draw of the circuit (default 1).")
    var seed: UInt64?
    @Option(parsing: .unconditional, help: "Number of neurons N (default 200, half excitatory).")
    var neurons: Int?
    @Option(help: "JSON file overriding any CircuitConfig parameter.")
    var config: String?
    @Option(help: "Perturbation sets to simulate, ≥ 0 (default 0: none).")
    var perturbationSets: Int?
    @Option(help: "Neurons per perturbation set, ≥ 1 (default 5).")
    var perturbationSize: Int?
    @Option(help: "Population the sets are drawn from: E, I or mixed (default E).")
    var perturbationType: PerturbedPopulation?
    @Option(help: "silence (clamp at baseline, 0 Hz) or stimulate (a step input of --stimulus-hz) (default silence).")
    var perturbationKind: PerturbationKind?
    @Option(help: "Step input of a stimulated neuron, Hz, added to τ dx/dt (default 10).")
    var stimulusHz: Double?
    @Option(help: "Window START,END in ms after the go cue, whole steps (default 0,500: the movement epoch).")
    var perturbationWindowMs: String?
    @Option(help: "How many of the sets (the last ones) are held out for testing only, 0…P (default 0).")
    var heldOutSets: Int?
    @Option(help: "Draw all sets from one seeded pool of this many neurons of --perturbation-type (the neurons a lab can perturb); 0 = the whole population (default 0).")
    var perturbationPool: Int?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            let outURL = try outputURL(out)
            var cfg = CircuitConfig()
            cfg.perturbationTrials = PerturbationTrialConfig()     // so that a config file may set it
            if let config { cfg = try ConfigFile.load(cfg, from: URL(fileURLWithPath: config)) }
            if let seed { cfg.seed = seed }
            if let neurons { cfg.neurons = neurons }
            var trials = cfg.perturbationTrials ?? PerturbationTrialConfig()
            if let perturbationSets { trials.sets = perturbationSets }
            if let perturbationSize { trials.size = perturbationSize }
            if let perturbationType { trials.population = perturbationType }
            if let perturbationKind { trials.kind = perturbationKind }
            if let stimulusHz { trials.stimulusHz = stimulusHz }
            if let heldOutSets { trials.heldOutSets = heldOutSets }
            if let perturbationPool { trials.pool = perturbationPool }
            if let perturbationWindowMs {
                let parts = perturbationWindowMs.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2, let start = parts[0], let end = parts[1] else {
                    throw CircuitFitError("--perturbation-window-ms needs START,END in ms after the go cue, got '\(perturbationWindowMs)'")
                }
                trials.windowMs = [start, end]
            }
            cfg.perturbationTrials = trials.sets > 0 ? trials : nil
            try cfg.validate()
            try cfg.requireMemory()
            // fail on an unusable folder before minutes of work; the new output is staged beside
            // it and replaces it only when complete
            var folder = try OutputFolder.staged(outURL, files: Self.files)
            do {
                let progress = ProgressLine(label: "stability optimisation")
                let start = Date()
                let circuit = try generateCircuit(cfg) { step, alpha in
                    progress.update("step \(step)/\(cfg.maxOptimizationSteps)  spectral abscissa \(format(alpha, 4)) → target \(cfg.targetSpectralAbscissa)")
                }
                progress.finish()
                let seconds = Date().timeIntervalSince(start)
                try folder.write(circuit.circuitArchive(), to: "circuit.npz")
                let dataset = try addingPerturbationTrials(to: circuit)
                try folder.write(dataset.archive(), to: "dataset.npz")
                var summary = circuit.summary
                summary.seconds = seconds
                try folder.writeJSON(summary, to: "summary.json")
                try folder.writeJSON(RunRecord(command: "generate", seed: cfg.seed, config: cfg), to: "config.json")
                try folder.commit()
                report(circuit, seconds: seconds, seed: cfg.seed, target: cfg.targetSpectralAbscissa)
                if let p = dataset.perturbations {
                    print("  perturbation trials: \(p.sets.count) sets (\(p.heldOutSets.count) held out) × \(dataset.conditions) conditions, steps \(p.sets[0].window.lowerBound)..<\(p.sets[0].window.upperBound)")
                }
            } catch {
                folder.discard()
                throw error
            }
        }
    }

    /// The files `generate` writes.
    static let files: Set<String> = ["circuit.npz", "dataset.npz", "summary.json", "config.json"]

    private func report(_ circuit: GeneratedCircuit, seconds: Double, seed: UInt64, target: Double) {
            let s = circuit.summary
            print("""
                circuit: \(s.neurons) neurons (\(s.excitatory) E), seed \(seed)
                  spectral abscissa \(format(s.spectralAbscissaInitial, 3)) → \(format(s.spectralAbscissaFinal, 4)) \
                in \(s.optimizationSteps) steps (\(s.optimizationStop == "reached_target" ? "reached target \(target)" : "step budget exhausted")), \(format(seconds, 1)) s
                  inhibitory connection density \(format(s.inhibitoryConnectionDensity, 3))
                  rates: ‖r‖ \(format(s.rateNormAtGoHz, 1)) Hz at go → peak \(format(s.rateNormPeakHz, 1)) Hz at \(format(s.rateNormPeakMsAfterGo, 0)) ms; peak |rate| \(format(s.peakAbsRateHz, 1)) Hz
                  variance in top PCs: \(s.topPCVarianceFractions.prefix(6).map { format($0 * 100, 1) + "%" }.joined(separator: " "))
                  muscle readout R²: \(format(s.readoutR2Training, 4)) training, \(format(s.readoutR2Heldout, 4)) held-out conditions
                  dataset: \(s.conditions) conditions (\(s.trainingConditions) training), \(s.timeSteps) steps of \(format(s.dtMs, 0)) ms, go at step \(s.goIndex)
                wrote \(out)/circuit.npz, dataset.npz, summary.json, config.json
                """)
    }
}
