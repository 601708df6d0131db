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

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A short version of the paper's experiment on the built-in circuit (a few minutes on 2 cores).",
        discussion: """
            Generates the built-in circuit (seed 1), fits 5 seeds × M ∈ {0, 5, 20, 100} × λ ∈ {0, 1} \
            in both arms (plain, biological priors) with 1500 optimiser steps each, prints the \
            claims table and writes results.csv, claims.json and report.html into --out. For the \
            full experiment use `circuitfit experiment`.
            """)

    @Option(help: "Output folder (default demo-output).")
    var out: String = "demo-output"
    @Option(help: "Parallel fits (default: the number of cores).")
    var jobs: Int?

    func run() throws {
        try reportingErrors {
            BLASThreads.set(1)
            let url = URL(fileURLWithPath: out).standardizedFileURL
            let start = Date()
            let printer = ExperimentEventPrinter()
            let backend = LocalBackend(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, scheduler: nil)
            let outcome = try backend.run(url, config: Self.plan, commandLine: "circuitfit demo --out \(out)", events: { printer.handle($0) })
            try ExperimentOutcomePrinter(url: url, slurm: SlurmCLIOptions()).show(outcome)
            print("demo finished in \(formatDuration(Date().timeIntervalSince(start))); open \(out)/report.html")
        }
    }

    /// The demo's reduced experiment.
    static var plan: ExperimentConfig {
        var c = ExperimentConfig()
        c.seeds = Array(1...5)
        c.recordCounts = [0, 5, 20, 100]
        c.lambdas = [0, 1]
        c.arms = [.plain, .priors]
        c.sharedCircuit = true
        c.fit.iterations = 1500
        c.fit.earlyStopping = false
        return c
    }
}
