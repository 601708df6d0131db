import ArgumentParser

/// `circuitfit-bench`: the training benchmark of CircuitFit's trainer against an equivalent PyTorch
/// script (`train`, the default) and the time per iteration of our trainer alone (`iteration`).
/// Not part of the test suite and never run by `circuitfit`; see benchmarks/README.md.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuitfit-bench",
        abstract: "Time CircuitFit's trainer, alone or against an equivalent PyTorch script.",
        discussion: """
            Results go to stdout (Markdown tables, or one line per case), progress to stderr. \
            Everything runs on one BLAS thread. Without a subcommand, `train` runs. Run from the \
            repository root (the PyTorch script is found there); see benchmarks/README.md.

            Examples:
              bash scripts/bench.sh --quick
              swift run -c release circuitfit-bench train --no-torch --repeats 3
              swift run -c release circuitfit-bench iteration --quick
            """,
        subcommands: [TrainReportCommand.self, IterationCommand.self],
        defaultSubcommand: TrainReportCommand.self)
}
