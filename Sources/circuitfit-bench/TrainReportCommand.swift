import ArgumentParser

/// `circuitfit-bench train`: the full training benchmark, ours against PyTorch, as Markdown.
struct TrainReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "The training benchmark against PyTorch: Markdown tables on stdout (the default command).",
        discussion: """
            Times one training iteration (forward + BPTT + Adam) of our trainer and of the PyTorch \
            script at H,C,T = 200,8,120, 200,8,600 and 500,16,120; the recurrent products alone; \
            the machine's sgemm rate; an equivalence check (same start and data, 5 iterations, \
            both sides); and how our time grows with T, C and H. About 45 s on 2 cores. \
            `bash scripts/bench.sh` builds this program and writes the tables to \
            benchmarks/results-train.md.

            Examples:
              bash scripts/bench.sh
              bash scripts/bench.sh --quick --no-torch
              swift run -c release circuitfit-bench train --variants eager,jit,naive
            """)

    @OptionGroup var options: TrainReportOptions

    func run() throws {
        let measurements = TrainMeasurements.measure(options)
        print(measurements.markdown())
    }
}

/// The options of `circuitfit-bench train`.
struct TrainReportOptions: ParsableArguments {
    @Flag(help: "Fewer repeats: 3 instead of 5 (an explicit --repeats wins).")
    var quick = false

    @Option(help: "Repeats per timing, ≥ 1; the tables show medians. (default: 5, or 3 with --quick)")
    var repeats: Int?

    @Flag(name: .customLong("no-torch"), help: "Skip the PyTorch peer (and the equivalence check): our numbers only.")
    var noTorch = false

    @Flag(name: .customLong("no-check"), help: "Skip the equivalence check against PyTorch.")
    var noCheck = false

    @Flag(name: .customLong("no-scaling"), help: "Skip the sweeps over T, C and H (ours only).")
    var noScaling = false

    @Option(help: "PyTorch variants to time, comma-separated, from: eager, jit, naive.")
    var variants = TorchVariants([.eager, .jit])

    @Option(help: "The Python interpreter for the PyTorch script: a path, or a name found on PATH.")
    var python = "python3"

    @Option(name: .customLong("torch-script"), help: "The PyTorch script, relative to the current folder.")
    var torchScript = "benchmarks/torch_rnn_bench.py"

    /// The repeats to use: --repeats, else 3 with --quick, else 5.
    var effectiveRepeats: Int { repeats ?? (quick ? 3 : 5) }

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats needs an integer ≥ 1, got \(repeats)") }
    }
}

/// A comma-separated list of PyTorch variants, e.g. `eager,jit`.
struct TorchVariants: ExpressibleByArgument {
    var variants: [TorchVariant]

    init(_ variants: [TorchVariant]) { self.variants = variants }

    init?(argument: String) {
        let names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = names.compactMap(TorchVariant.init(rawValue:))
        guard !parsed.isEmpty, parsed.count == names.count else { return nil }
        variants = parsed
    }

    var defaultValueDescription: String { variants.map(\.rawValue).joined(separator: ",") }
}
