import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitFitting
import CircuitFitExperiment

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "The paper's experiment: fits over seeds × M × λ × arms, statistics, claims and a report.",
        discussion: """
            For each seed (circuit and model initialisation), arm, M and λ: fit, evaluate, and \
            keep one result per fit in DIR/fits/. Then writes DIR/results.csv, DIR/claims.json \
            (each claim of docs/method.md#the-claims with a paired test across seeds) and \
            DIR/report.html (docs/files.md#experiment). Run it again on the same folder to resume \
            (finished fits are kept); give more seeds, M values, λ values or arms to extend it \
            (only the new fits run). One run at a time per folder: a second is refused.

            With --perturbation-sets 0,1,4,16 the number of training perturbation sets P is a \
            plan dimension too: each circuit is generated with max P training sets plus \
            --held-out-sets held-out sets, and every λ > 0, M > 0 fit is trained once per P and \
            scored on the held-out sets, with the claims p1/p2 \
            (docs/method.md#perturbation-sets-in-the-experiment).

            With --backend slurm the fits run as one Slurm job array (see README "Running on a \
            cluster"); `circuitfit status DIR` follows either backend.

            Examples:
              circuitfit experiment --out exp --jobs 2
              circuitfit experiment --out small --seeds 5 --record 0,5,20 --arms plain
              circuitfit experiment --out pexp --seeds 5 --record 20,50 --lambda 1 \\
                --arms plain --perturbation-sets 0,1,4,16
              circuitfit experiment --out exp --backend slurm --partition cpu --time 1:00:00
            """)

    @Option(help: "Experiment folder (created if needed).")
    var out: String
    @Option(help: "Number of seeds, 1…K (default 10).")
    var seeds: Int?
    @Option(help: "Recorded neuron counts M (default 0,2,5,10,20,50,100,200).")
    var record: String?
    @Option(help: "λ values (default 0,1).")
    var lambda: String?
    @Option(help: "Arms, comma-separated (default plain,priors).")
    var arms: CommaList<ExperimentArm>?
    @Option(help: "Use this dataset for every seed instead of generating one circuit per seed.")
    var dataset: String?
    @Flag(help: "Generate one circuit (seed 1) shared by all seeds instead of one per seed.")
    var sharedCircuit = false
    @Option(help: "JSON file with CircuitConfig fields for the generated circuits (as `generate --config`).")
    var circuitConfig: String?
    @Option(help: "Circuit size N for the generated circuits (default 200).")
    var neurons: Int?
    @Flag(name: .customLong("no-audit"), help: "Skip the mechanism audit of each fit against its circuit (default: audited whenever the ground truth is known; its numbers go into results.csv and the mechanism claims).")
    var noAudit = false
    @Option(parsing: .unconditional, help: "With --perturbation-sets: neurons per generated perturbation set (default 5; docs/method.md#perturbation-sets-in-the-experiment).")
    var perturbationSize: Int?
    @Option(parsing: .unconditional, help: "With --perturbation-sets: the seeded pool of E neurons every generated set is drawn from (default 20, at most the circuit's E neurons).")
    var perturbationPool: Int?
    @Option(parsing: .unconditional, help: "With --perturbation-sets: generated perturbation sets held out for scoring only (default 4).")
    var heldOutSets: Int?
    @Option(help: "Parallel fits, local backend (default: the number of cores). Each fit uses one BLAS thread.")
    var jobs: Int?
    @Option(help: "Where fits run (default local; with --resume, the backend the experiment last used).")
    var backend: ExperimentBackendKind?
    @Flag(help: "Continue the experiment in --out with the plan stored there; plan options are ignored, --jobs and the Slurm options apply.")
    var resume = false
    @OptionGroup(title: "Slurm (--backend slurm)") var slurm: SlurmCLIOptions
    @OptionGroup var fit: FitOptions

    func run() throws {
        try reportingErrors {
            BLASThreads.set(1)
            let url = URL(fileURLWithPath: out).standardizedFileURL
            let kind = ExperimentBackendKind.choose(backend, folder: url, resume: resume)
            let config = resume ? nil : try experimentConfig()
            let printer = ExperimentEventPrinter()
            let outcome = try makeBackend(kind).run(url, config: config, commandLine: CommandLine.arguments.joined(separator: " "),
                                                    events: { printer.handle($0) })
            try ExperimentOutcomePrinter(url: url, slurm: slurm).show(outcome)
        }
    }

    func makeBackend(_ kind: ExperimentBackendKind) throws -> ExperimentBackend {
        switch kind {
        case .local:
            if let option = slurm.givenOptions.first { throw CircuitFitError("\(option) is for --backend slurm") }
            let scheduler: SlurmScheduler? = SlurmTools.find("scontrol") != nil ? ScontrolScheduler() : nil
            return LocalBackend(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, scheduler: scheduler)
        case .slurm:
            if jobs != nil {
                throw CircuitFitError("--jobs is for the local backend; on Slurm, --cpus-per-task (with --fits-per-task) sets how many fits a task runs at once")
            }
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            let given = slurm
            return SlurmBackend(options: { given.options(base: $0) }, executable: executable, dryRun: slurm.dryRun)
        }
    }

    func experimentConfig() throws -> ExperimentConfig {
        var c = ExperimentConfig()
        if let seeds {
            guard seeds >= 1 else { throw CircuitFitError("--seeds must be ≥ 1, got \(seeds)") }
            c.seeds = (1...seeds).map(UInt64.init)
        }
        if let record { c.recordCounts = try parseIndexList(record, option: "--record") }
        if let lambda { c.lambdas = try parseNumberList(lambda, option: "--lambda") }
        if let arms { c.arms = arms.values }
        if let dataset {
            c.dataset = URL(fileURLWithPath: dataset).standardizedFileURL.path
            _ = try ReachDataset.read(from: URL(fileURLWithPath: c.dataset))
        }
        c.sharedCircuit = sharedCircuit
        c.audit = !noAudit
        if let circuitConfig { c.circuit = try ConfigFile.load(c.circuit, from: URL(fileURLWithPath: circuitConfig)) }
        if let neurons { c.circuit.neurons = neurons }
        var fitOptions = fit
        fitOptions.perturbationSets = nil      // here a plan dimension, not one fit's setting
        c.fit = try fitOptions.config()
        if let list = fit.perturbationSets {
            let sets = try parseIndexList(list, option: "--perturbation-sets")
            c.perturbationSets = sets == [0] ? nil : sets
        } else if perturbationSize != nil || perturbationPool != nil || heldOutSets != nil {
            throw CircuitFitError("--perturbation-size, --perturbation-pool and --held-out-sets need --perturbation-sets")
        }
        let largest = c.largestPerturbationSets
        if largest > 0 && c.dataset.isEmpty {
            for (name, value, low) in [("--perturbation-size", perturbationSize, 1), ("--perturbation-pool", perturbationPool, 1), ("--held-out-sets", heldOutSets, 1)] {
                if let value, value < low { throw CircuitFitError("\(name) must be ≥ \(low), got \(value)") }
            }
            if var trials = c.circuit.perturbationTrials {
                // a circuit config with its own perturbation trials: the options override its fields
                if let perturbationSize { trials.size = perturbationSize }
                if let perturbationPool { trials.pool = perturbationPool }
                if let heldOutSets { trials.sets += heldOutSets - trials.heldOutSets; trials.heldOutSets = heldOutSets }
                c.circuit.perturbationTrials = trials
            } else {
                c.circuit.perturbationTrials = ExperimentConfig.perturbationTrials(
                    trainingSets: largest, circuit: c.circuit, size: perturbationSize ?? 5, pool: perturbationPool ?? 20, heldOut: heldOutSets ?? 4)
            }
        } else if largest > 0, perturbationSize != nil || perturbationPool != nil || heldOutSets != nil {
            throw CircuitFitError("--perturbation-size, --perturbation-pool and --held-out-sets shape generated circuits; with --dataset the dataset's own perturbation table is used")
        }
        try c.validate()
        if largest > 0 && !c.dataset.isEmpty {
            try c.requirePerturbationSets(in: ReachDataset.read(from: URL(fileURLWithPath: c.dataset)), path: c.dataset)
        }
        return c
    }
}

/// "0,0.5,1" → [0, 0.5, 1].
func parseNumberList(_ text: String, option: String) throws -> [Double] {
    try text.split(separator: ",").map { part in
        guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw CircuitFitError("\(option): '\(part)' is not a number (expected a comma-separated list like 0,1)")
        }
        return v
    }
}
