import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitFitting

/// `circuitfit-bench converge`: time to a converged fit, ours against what a PyTorch user runs.
struct ConvergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "Time to a converged fit: CircuitFit's default against PyTorch Adam (lr 2e-3, clip 1) on the same objective.",
        discussion: """
            Fits the built-in circuit's dataset (M recorded neurons, λ = 1, plain arm, every \
            other setting the default) with CircuitFit's default optimiser until the convergence \
            criterion is met, then hands the same problem — the standardised arrays, the \
            objective's weights and the same initial parameters — to the PyTorch script, which \
            minimises the same objective with Adam (lr 2e-3, gradient clip 1) until it reaches the \
            objective CircuitFit reached, or for --max-torch-steps steps (then the best it reached \
            is reported and the ratio is a lower bound). Both wall times come from this one run, \
            one thread each. Prints a Markdown section. `bash scripts/bench.sh` runs it after the \
            per-iteration report (skip with --no-converge).

            Examples:
              circuitfit generate --out .build-bench/circuit && circuitfit-bench converge --dataset .build-bench/circuit/dataset.npz
              circuitfit-bench converge --dataset circuit/dataset.npz --max-torch-steps 2000
            """)

    @Option(help: "The dataset (.npz) from `circuitfit generate` (the built-in circuit).")
    var dataset: String
    @Option(help: "M, recorded neurons.")
    var record = 20
    @Option(help: "Fit seed.")
    var seed: UInt64 = 1
    @Option(name: .customLong("max-torch-steps"), help: "The most PyTorch Adam steps.")
    var maxTorchSteps = 20_000
    @Option(help: "The Python interpreter for the PyTorch script.")
    var python = "python3"
    @Option(name: .customLong("torch-script"), help: "The PyTorch script, relative to the current folder.")
    var torchScript = "benchmarks/torch_rnn_bench.py"

    func validate() throws {
        guard record >= 1 else { throw ValidationError("--record must be ≥ 1, got \(record)") }
        guard maxTorchSteps >= 1 else { throw ValidationError("--max-torch-steps must be ≥ 1, got \(maxTorchSteps)") }
    }

    func run() throws {
        BLASThreads.set(1)
        var config = FitConfig()
        config.record = record
        config.seed = seed
        config.checkpointEvery = 0
        let data = try ReachDataset.read(from: URL(fileURLWithPath: dataset))
        let problem = try FitProblem(dataset: data, config: config)
        FileHandle.standardError.write(Data("converge: fitting with CircuitFit's default (\(config.optimizer.rawValue))\n".utf8))
        let loadBefore = loadAverage(), cpuBefore = processCPUSeconds()
        let ours = try problem.trainer.train(from: problem.initial, data: problem.data)
        let oursCPU = processCPUSeconds() - cpuBefore, loadBetween = loadAverage()
        let target = ours.finalLoss.total

        // the same problem for the peer: time-major arrays, the objective's weights, the start
        let d = problem.data, spec = problem.model.spec
        let T = d.steps, C = d.conditions.count, K = d.outputCount, M = d.recordedCount
        var present = [Int](repeating: 0, count: M)
        for (i, v) in d.neural.enumerated() where !v.isNaN { present[i % M] += 1 }
        let withSamples = Double(present.filter { $0 > 0 }.count)
        let steps = d.timeMask.reduce(0) { $0 + Double($1) }
        var npz = NPZArchive(fileName: "bench-converge.npz")
        npz.set("u", NPYArray(d.inputs, shape: [T, C, d.inputCount]))
        npz.set("zs", NPYArray(d.targets, shape: [T, C, K]))
        npz.set("ys", NPYArray(d.neural, shape: [T, C, M]))
        npz.set("task_weight", NPYArray(d.outputVariance.map { 1 / (Double(K * C) * steps * $0) }))
        npz.set("neural_weight", NPYArray((0..<M).map { present[$0] == 0 ? 0 : 1 / (withSamples * Double(present[$0]) * d.neuralVariance[$0]) }))
        npz.set("units", NPYArray(spec.recordedUnits))
        npz.set("alpha", NPYArray(scalar: spec.alpha))
        npz.set("lam", NPYArray(scalar: problem.trainer.objective.lambda))
        npz.set("target", NPYArray(scalar: target))
        npz.set("max_steps", NPYArray(scalar: Double(maxTorchSteps)))
        npz.set("swift_initial_loss", NPYArray(scalar: ours.history.first?.lossTotal ?? .nan))
        for block in [ParameterBlock.J, .B, .b, .C, .d] {
            npz.set(block.rawValue, NPYArray(problem.initial.block(block), shape: spec.layout.shape(block)))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("circuitfit-bench-converge-\(getpid()).npz")
        try npz.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        FileHandle.standardError.write(Data("converge: PyTorch Adam from the same start to L = \(target) (at most \(maxTorchSteps) steps)\n".utf8))
        let (out, why) = TorchPeer(python: python, script: torchScript).run(["--converge", url.path])
        var peer: TorchConvergence? = nil
        var failure = why
        if let out {
            do { peer = try JSONDecoder().decode(TorchConvergence.self, from: out) } catch {
                failure = "could not read the script's JSON: \(String(decoding: out.prefix(300), as: UTF8.self))"
            }
        }
        print(ConvergeReport(
            ours: ours, oursCPUSeconds: oursCPU, target: target, record: record, seed: seed, peer: peer, failure: failure,
            loads: [loadBefore, loadBetween, loadAverage()]).markdown())
    }
}

/// What the script prints with `--converge`.
struct TorchConvergence: Decodable {
    var torch: String?
    var reached: Bool?
    var steps: Int?
    var seconds: Double?
    var cpuSeconds: Double?
    var bestLoss: Double?
    var initialLoss: Double?
    var errors: [String]
    enum CodingKeys: String, CodingKey {
        case torch, reached, steps, seconds, errors
        case cpuSeconds = "cpu_seconds"
        case bestLoss = "best_loss"
        case initialLoss = "initial_loss"
    }
}

/// The Markdown section of the time-to-converged case.
struct ConvergeReport {
    var ours: TrainingResult
    /// CPU seconds of this process during our fit (one BLAS thread).
    var oursCPUSeconds: Double
    var target: Double
    var record: Int
    var seed: UInt64
    var peer: TorchConvergence?
    var failure: String?
    /// Load averages (1, 5, 15 min) before our fit, between the two fits and after PyTorch's.
    var loads: [String]

    func markdown() -> String {
        let c = ours.convergence
        var s = "## Time to a converged fit (built-in circuit, M = \(record), λ = 1, seed \(seed))\n\n"
        s += "CircuitFit's default (`\(FitConfig().optimizer.rawValue)`, learning rate \(FitConfig().learningRate) with warm-up and plateau schedule) "
        s += "until its convergence criterion is met (docs/method.md#convergence), then PyTorch Adam (lr 2e-3, gradient clip 1: what users write) from the same initial parameters on the same objective "
        s += "until it reaches the objective CircuitFit reached. One thread each, same run. "
        s += "Load average (1/5/15 min) before our fit \(loads[0]), between the two fits \(loads[1]), after PyTorch's \(loads[2]). "
        s += "CPU time is each process's own (all its threads) and leaves out the time it waited for a core: the ratio to read when the load changed during the run.\n\n"
        s += "| | updates | loss evaluations | objective reached | wall time | CPU time |\n|---|---:|---:|---:|---:|---:|\n"
        s += "| CircuitFit | \(ours.updates)\(c?.converged == true ? " (converged)" : " (NOT converged)") | \(ours.evaluations) | \(String(format: "%.6f", target)) | \(fmt(ours.seconds, 2)) s | \(fmt(oursCPUSeconds, 2)) s |\n"
        guard let peer, peer.errors.isEmpty, let steps = peer.steps, let seconds = peer.seconds else {
            s += "\nPyTorch peer not run: \(failure ?? peer?.errors.joined(separator: "; ") ?? "unknown reason").\n"
            return s
        }
        let reached = peer.reached == true
        s += "| PyTorch Adam | \(steps) | \(steps) | \(String(format: "%.6f", reached ? target : (peer.bestLoss ?? .nan)))\(reached ? "" : " (best; target not reached)") | \(fmt(seconds, 2)) s | \(peer.cpuSeconds.map { "\(fmt($0, 2)) s" } ?? "—") |\n\n"
        let bound = reached ? "" : ", a lower bound: PyTorch had not reached it after \(steps) steps"
        s += "Ratio (PyTorch / CircuitFit) to the same objective: wall time **\(fmt(seconds / max(ours.seconds, 1e-9), 1))×\(bound)**"
        if let peerCPU = peer.cpuSeconds { s += "; CPU time **\(fmt(peerCPU / max(oursCPUSeconds, 1e-9), 1))×\(bound)**" }
        s += ".\n"
        if let a = peer.initialLoss, let b = ours.history.first?.lossTotal {
            s += "Same objective: initial loss \(String(format: "%.6f", b)) (ours) vs \(String(format: "%.6f", a)) (PyTorch), relative difference \(String(format: "%.1e", abs(a - b) / max(abs(b), 1e-30))).\n"
        }
        return s
    }
}

/// CPU seconds (user + system) this process has used so far, all its threads.
private func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

private func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}
