import Foundation
import CircuitFitCore
import CircuitFitModel

/// The variants of the PyTorch script (benchmarks/torch_rnn_bench.py --variants).
enum TorchVariant: String, CaseIterable, Codable {
    /// The peer the ratio uses: input drive and readout as one matmul each, a Python loop over time.
    case eager
    /// The forward loop compiled by `torch.jit.script`.
    case jit
    /// Input drive and readout inside the time loop, as tutorials write it.
    case naive
}

/// What the script prints with `--json`: ms per iteration of each variant and case.
struct TorchReport: Decodable {
    struct Result: Decodable {
        var variant: TorchVariant, hidden: Int, conditions: Int, steps: Int
        var msPerIteration: Double
        var msRepeats: [Double]
        enum CodingKeys: String, CodingKey {
            case variant, hidden, conditions, steps
            case msPerIteration = "ms_per_iter"
            case msRepeats = "ms_repeats"
        }
    }
    var torch: String?
    var results: [Result]
    var errors: [String]

    /// ms per iteration of `variant` at `c`, if the script measured it.
    func milliseconds(_ c: BenchmarkCase, _ variant: TorchVariant) -> Double? {
        results.first { $0.variant == variant && $0.hidden == c.H && $0.conditions == c.C && $0.steps == c.T }?.msPerIteration
    }
}

/// What the script prints with `--check`: its losses from our start, and how far its parameters
/// after the same iterations are from ours.
struct TorchCheck: Decodable {
    var torch: String?
    var losses: [Double]?
    var maxRelativeLossDifference: Double?
    var maxParameterDifference: Double?
    var maxParameterChange: Double?
    var errors: [String]
    enum CodingKeys: String, CodingKey {
        case torch, losses, errors
        case maxRelativeLossDifference = "max_rel_loss_diff"
        case maxParameterDifference = "max_abs_param_diff"
        case maxParameterChange = "max_abs_param_change"
    }
}

/// Our losses and the script's over the same iterations from the same start (or why not).
struct EquivalenceCheck {
    var ours: [Double]
    var torch: TorchCheck?
    var failure: String?
    /// The number of iterations both sides ran.
    static let iterations = 5
}

/// The PyTorch peer: `python script args…` as a child process (through the library's
/// `ProcessRunner`), its JSON on stdout; what it writes to stderr (a pip install of the pinned
/// torch, if missing; warnings) is passed on to ours.
struct TorchPeer {
    var python: String
    var script: String

    /// Runs the script and returns its stdout (nil and a reason when it cannot run).
    func run(_ arguments: [String]) -> (Data?, String?) {
        guard let executable = ProcessRunner.find(python) else {
            return (nil, "cannot start \(python): not found\(python.contains("/") ? "" : " on PATH")")
        }
        let output: ProcessRunner.Output
        do { output = try ProcessRunner(executable: executable, arguments: [script] + arguments).run() } catch {
            return (nil, "\(error)")
        }
        FileHandle.standardError.write(Data(output.stderr.utf8))
        if output.status != 0 && output.stdoutData.isEmpty {
            return (nil, "\(python) \(script) exited with status \(output.status)")
        }
        return (output.stdoutData, nil)
    }

    /// ms per iteration of `variants` at `cases`, `repeats` repeats each, the same model as ours
    /// (I = K = 3, M = 20, λ = 1, α = 0.1).
    func bench(_ cases: [BenchmarkCase], variants: [TorchVariant], repeats: Int) -> (TorchReport?, String?) {
        guard FileManager.default.fileExists(atPath: script) else {
            return (nil, "\(script) not found (run from the repository root, or pass --torch-script)")
        }
        var args = ["--json", "--variants", variants.map(\.rawValue).joined(separator: ","),
                    "--repeats", "\(repeats)", "--iterations", "0"]
        for c in cases { args += ["--case", "\(c.H),\(c.C),\(c.T)"] }
        args += ["--inputs", "3", "--outputs", "3", "--recorded", "20", "--lam", "1", "--alpha", "0.1"]
        let (data, why) = run(args)
        guard let data else { return (nil, why) }
        do { return (try JSONDecoder().decode(TorchReport.self, from: data), nil) } catch {
            return (nil, "could not read the script's JSON: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
    }

    /// Same start, same data: the losses of our trainer's first iterations and the parameters
    /// after them, against the script's (shows the peer computes the same thing).
    func equivalenceCheck(_ c: BenchmarkCase) -> EquivalenceCheck {
        let steps = EquivalenceCheck.iterations
        var rng = SeededRandom(seed: 11)
        func random(_ d0: Int, _ d1: Int, _ d2: Int) -> Array3<Float> {
            Array3(d0, d1, d2, data: (0..<(d0 * d1 * d2)).map { _ in Float(rng.uniform(-0.5, 0.5)) })
        }
        let spec = RNNSpec(hidden: c.H, inputs: c.I, outputs: c.K, recorded: c.M)
        do {
            let data = try TrainingData(inputs: random(c.C, c.T, c.I), targets: random(c.C, c.T, c.K),
                                        neural: random(c.C, c.T, c.M))
            let start = initialParameters(spec: spec, seed: 12)
            let result = try Trainer(spec: spec, options: TrainingOptions(iterations: steps)).train(from: start, data: data)
            let ours = result.history.map(\.lossTotal)
            guard ours.count == steps else {
                return EquivalenceCheck(ours: ours, failure: "our trainer stopped after \(ours.count) iterations")
            }
            var npz = NPZArchive(fileName: "bench-check.npz")
            npz.set("u", NPYArray(data.inputs, shape: [c.T, c.C, c.I]))
            npz.set("zs", NPYArray(data.targets, shape: [c.T, c.C, c.K]))
            npz.set("ys", NPYArray(data.neural, shape: [c.T, c.C, c.M]))
            for (name, block) in [("J", ParameterBlock.J), ("B", .B), ("b", .b), ("C", .C), ("d", .d)] {
                npz.set(name, NPYArray(start.block(block), shape: spec.layout.shape(block)))
                npz.set(name + "_after", NPYArray(result.parameters.block(block), shape: spec.layout.shape(block)))
            }
            npz.set("steps", NPYArray(scalar: steps))
            npz.set("swift_losses", NPYArray(ours))
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("circuitfit-bench-\(getpid()).npz")
            try npz.write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let (out, why) = run(["--check", url.path, "--alpha", "0.1", "--lam", "1"])
            guard let out else { return EquivalenceCheck(ours: ours, failure: why) }
            return EquivalenceCheck(ours: ours, torch: try JSONDecoder().decode(TorchCheck.self, from: out))
        } catch {
            return EquivalenceCheck(ours: [], failure: "\(error)")
        }
    }
}
