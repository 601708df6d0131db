import ArgumentParser
import CircuitFitCore

/// `circuitfit-bench iteration`: ms per training iteration of our trainer alone, one line per case.
struct IterationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iteration",
        abstract: "Milliseconds per training iteration of our trainer alone (no PyTorch), one line per case.",
        discussion: """
            Runs the real training loop (forward, loss, BPTT, clipping, Adam) on random data with \
            one BLAS thread: 5 untimed warm-up iterations, then --iterations timed ones; prints \
            `H=200, C=8, T=120: 2.820 ms/iter (83.0 GFLOP/s)` per case. Model as in the report: \
            identity mapping, M = 20 recorded units, λ = 1, I = 3 inputs, K = 3 outputs. Use it for \
            `perf record`, and in scripts/bench-compare.sh to compare two builds.

            Examples:
              swift run -c release circuitfit-bench iteration
              swift run -c release circuitfit-bench iteration --quick
              swift run -c release circuitfit-bench iteration --case 500,16,120
              swift run -c release circuitfit-bench iteration --case 200,16,120 --perturbed 8
            """)

    @Option(name: .customLong("case"),
            help: "A size H,C,T (hidden units, conditions, time steps; T ≥ 2); repeatable. (default: 200,8,120, 200,8,600 and 500,16,120)")
    var cases: [BenchmarkCase] = []

    @Option(help: "Timed iterations per case, ≥ 1, after 5 warm-up iterations. (default: 200, or 20 with --quick)")
    var iterations: Int?

    @Option(help: "How many of each case's C conditions are perturbation trials (5 units clamped, 5 driven from step T/4 on), 0…C.")
    var perturbed: Int = 0

    @Flag(help: "Only H,C,T = 200,8,120 (unless --case is given), 20 timed iterations (unless --iterations is given).")
    var quick = false

    func validate() throws {
        if let iterations, iterations < 1 { throw ValidationError("--iterations needs an integer ≥ 1, got \(iterations)") }
        if perturbed < 0 { throw ValidationError("--perturbed needs an integer ≥ 0, got \(perturbed)") }
        if let c = (cases.isEmpty ? BenchmarkCase.main : cases).first(where: { $0.C < perturbed }) { throw ValidationError("--perturbed \(perturbed) exceeds the \(c.C) conditions of case \(c.label)") }
    }

    func run() throws {
        BLASThreads.set(1)
        let sizes = !cases.isEmpty ? cases : quick ? [BenchmarkCase.main[0]] : BenchmarkCase.main
        let n = iterations ?? (quick ? 20 : 200)
        for c in sizes {
            let s = benchmarkIteration(hidden: c.H, conditions: c.C, steps: c.T, inputs: c.I, outputs: c.K,
                                       recorded: c.M, iterations: n, perturbed: perturbed)
            print("\(c.label): \(fmt(s * 1e3, 3)) ms/iter (\(fmt(c.flops / s / 1e9, 1)) GFLOP/s)")
        }
    }
}
