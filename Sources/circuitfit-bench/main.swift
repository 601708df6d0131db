// circuitfit-bench: time per training iteration of CircuitFit's trainer against an equivalent
// PyTorch script (benchmarks/torch_rnn_bench.py) run in the same process tree, plus the machine's
// sgemm rate and the GFLOP/s our iteration and its recurrent products reach.
// Run it with `bash scripts/bench.sh` (builds release, writes benchmarks/results-train.md).
// Output is Markdown on stdout; progress goes to stderr. See benchmarks/README.md.

import Foundation
import CircuitFitCore
import CircuitFitModel

// MARK: options

struct Options {
    var python = "python3"
    var script = "benchmarks/torch_rnn_bench.py"
    var torch = true
    var check = true
    var scaling = true
    var quick = false
    var variants = "eager,jit"
    var repeats = 5
    var only: [Int]? = nil

    init(_ args: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw CircuitFitError("circuitfit-bench: \(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--python": python = try value()
            case "--torch-script": script = try value()
            case "--no-torch": torch = false
            case "--no-check": check = false
            case "--no-scaling": scaling = false
            case "--quick": quick = true; repeats = 3
            case "--only":
                // for `perf record`: run our trainer alone, e.g. --only 200,8,120,500
                let v = try value().split(separator: ",").compactMap { Int($0) }
                guard v.count == 4 else { throw CircuitFitError("circuitfit-bench: --only needs H,C,T,iterations") }
                only = v
            case "--variants": variants = try value()
            case "--repeats":
                guard let r = Int(try value()), r >= 1 else { throw CircuitFitError("circuitfit-bench: --repeats needs an integer ≥ 1") }
                repeats = r
            case "-h", "--help":
                print("""
                usage: circuitfit-bench [--quick] [--repeats N] [--no-torch] [--no-check] [--no-scaling]
                                        [--variants eager,jit,naive] [--python python3] [--torch-script PATH]
                                        [--only H,C,T,ITERATIONS]   (our trainer alone, for perf)
                Prints Markdown (tables) on stdout, progress on stderr. Normally run via scripts/bench.sh.
                """)
                exit(0)
            default: throw CircuitFitError("circuitfit-bench: unknown option \(args[i]) (try --help)")
            }
            i += 1
        }
    }
}

func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

let options: Options
do { options = try Options(Array(CommandLine.arguments.dropFirst())) } catch {
    log("\(error)")
    exit(2)
}

// MARK: timing helpers

let clock = ContinuousClock()
func seconds(_ body: () -> Void) -> Double {
    let d = clock.measure(body)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}
/// Median over `repeats` of the mean time of one call, each repeat running `body` enough times to
/// last about `target` seconds (at least once).
func timePerCall(repeats: Int, target: Double = 0.05, _ body: () -> Void) -> Double {
    body()  // warm-up (page faults, BLAS buffers)
    let one = max(seconds(body), 1e-7)
    let inner = max(1, Int(target / one))
    return median((0..<repeats).map { _ in seconds { for _ in 0..<inner { body() } } / Double(inner) })
}
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
        .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}
func cpuModel() -> String {
    guard let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "?" }
    let line = s.split(separator: "\n").first { $0.hasPrefix("model name") }
    return line.map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "?"
}
func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

// MARK: buffers and gemm timing (through CircuitFit's BLAS wrapper, Float.gemm = cblas_sgemm)

final class Buffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int, seed: UInt64 = 7, scale: Float = 0.1) {
        self.count = max(count, 1)
        p = .allocate(capacity: self.count)
        var rng = SeededRandom(seed: seed)
        for i in 0..<self.count { p[i] = scale * Float(rng.uniform(-1, 1)) }
    }
    deinit { p.deallocate() }
}

/// GFLOP/s of C = A·B (row-major, m×k times k×n), optionally with A transposed (A stored k×m).
func sgemmRate(m: Int, n: Int, k: Int, transA: Bool = false, repeats: Int) -> Double {
    let a = Buffer(m * k), b = Buffer(k * n, seed: 8), c = Buffer(m * n, seed: 9)
    let s = timePerCall(repeats: repeats) {
        Float.gemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: 1,
                   a: a.p, lda: transA ? m : k, b: b.p, ldb: n, beta: 0, c: c.p, ldc: n)
    }
    return 2 * Double(m * n * k) / s / 1e9
}

// MARK: FLOP count of one training iteration (matrix products only)

struct Case: Hashable {
    var H: Int, C: Int, T: Int
    var I = 3, K = 3, M = 20
    var label: String { "H=\(H), C=\(C), T=\(T)" }

    /// Recurrent products: forward r[t]·Jᵀ and backward dh[t+1]·J, each 2·C·H² per step over the
    /// T−1 transitions, and the weight gradient dJ = Σ dh[t+1]ᵀ r[t], one gemm of 2·H²·(T−1)·C.
    var recurrentFlops: Double { 6 * Double((T - 1) * C) * Double(H * H) }
    /// Everything else that is a matrix product: input drive B·u (forward) and dB (backward),
    /// 2·(T−1)·C·H·I each; readout C·r (forward), dC and dr = dz·C (backward), 2·T·C·H·K each.
    var otherFlops: Double { 4 * Double((T - 1) * C * H * I) + 6 * Double(T * C * H * K) }
    var flops: Double { recurrentFlops + otherFlops }
}

// MARK: the recurrent products alone, with the trainer's shapes and loop structure

struct RecurrentTiming {
    var forward: Double, backward: Double, dJ: Double   // seconds per iteration
    var total: Double { forward + backward + dJ }
}

func recurrentProducts(_ c: Case, repeats: Int) -> RecurrentTiming {
    let (H, C, T) = (c.H, c.C, c.T)
    let CH = C * H, a: Float = 0.1
    let r = Buffer(T * CH, seed: 1), h = Buffer(T * CH, seed: 2), dh = Buffer(T * CH, seed: 3)
    let dr = Buffer(T * CH, seed: 4), J = Buffer(H * H, seed: 5), JT = Buffer(H * H, seed: 6)
    let dJ = Buffer(H * H, seed: 7)
    // as RNNWorkspace.recurrenceForward: h[t+1] += α r[t]·Jᵀ, [C,H]·[H,H] per step, through the
    // trainer's own RecurrentProduct (one sgemm, or column blocks of it: see Recurrence.swift)
    let fwd = timePerCall(repeats: repeats) {
        for t in 0..<(T - 1) {
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, r.p + t * CH, JT.p, h.p + (t + 1) * CH)
        }
    }
    // as recurrenceBackward: dr[t] += α dh[t+1]·J, backwards in time
    let bwd = timePerCall(repeats: repeats) {
        for t in stride(from: T - 2, through: 0, by: -1) {
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, dh.p + (t + 1) * CH, J.p, dr.p + t * CH)
        }
    }
    // dJ = α Σ_t dh[t+1]ᵀ r[t], one gemm over all (T−1)·C rows
    let rows = (T - 1) * C
    let gJ = timePerCall(repeats: repeats) {
        Float.gemm(transA: true, transB: false, m: H, n: H, k: rows, alpha: a,
                   a: dh.p + CH, lda: H, b: r.p, ldb: H, beta: 0, c: dJ.p, ldc: H)
    }
    return RecurrentTiming(forward: fwd, backward: bwd, dJ: gJ)
}

// MARK: our trainer

/// Seconds per iteration (median of `repeats` runs of `benchmarkIteration`, each ≈ 0.25 s).
func ourIteration(_ c: Case, repeats: Int) -> (median: Double, all: [Double]) {
    func run(_ n: Int) -> Double {
        benchmarkIteration(hidden: c.H, conditions: c.C, steps: c.T, inputs: c.I, outputs: c.K,
                           recorded: c.M, iterations: n)
    }
    let probe = run(3)
    let n = min(400, max(10, Int(0.25 / max(probe, 1e-6))))
    let all = (0..<repeats).map { _ in run(n) }
    return (median(all), all)
}

// MARK: PyTorch peer

struct TorchResult: Decodable {
    var variant: String, hidden: Int, conditions: Int, steps: Int
    var ms_per_iter: Double
    var ms_repeats: [Double]
}
struct TorchReport: Decodable {
    var torch: String?
    var results: [TorchResult]
    var errors: [String]
}
struct TorchCheck: Decodable {
    var torch: String?
    var losses: [Double]?
    var max_rel_loss_diff: Double?
    var max_abs_param_diff: Double?
    var max_abs_param_change: Double?
    var errors: [String]
}

/// Runs the Python script and returns its stdout (nil and a reason when it cannot run).
func runPython(_ args: [String]) -> (Data?, String?) {
    let proc = Process()
    proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    proc.arguments = [options.python, options.script] + args
    let out = Pipe()
    proc.standardOutput = out
    proc.standardError = FileHandle.standardError
    do { try proc.run() } catch { return (nil, "cannot start \(options.python): \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    proc.waitUntilExit()
    if proc.terminationStatus != 0 && data.isEmpty {
        return (nil, "\(options.python) \(options.script) exited with status \(proc.terminationStatus)")
    }
    return (data, nil)
}

func torchBench(_ cases: [Case]) -> (TorchReport?, String?) {
    guard FileManager.default.fileExists(atPath: options.script) else {
        return (nil, "\(options.script) not found (run from the repository root, or pass --torch-script)")
    }
    var args = ["--json", "--variants", options.variants, "--repeats", "\(options.repeats)", "--iterations", "0"]
    for c in cases { args += ["--case", "\(c.H),\(c.C),\(c.T)"] }
    args += ["--inputs", "3", "--outputs", "3", "--recorded", "20", "--lam", "1", "--alpha", "0.1"]
    let (data, why) = runPython(args)
    guard let data else { return (nil, why) }
    do { return (try JSONDecoder().decode(TorchReport.self, from: data), nil) } catch {
        return (nil, "could not read the script's JSON: \(String(decoding: data.prefix(300), as: UTF8.self))")
    }
}

/// Same start, same data: the losses of the first `steps` iterations and the parameters after
/// them, ours against the PyTorch script's (shows the peer computes the same thing).
func equivalenceCheck(_ c: Case, steps: Int = 5) -> (ours: [Double], TorchCheck?, String?) {
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
        guard ours.count == steps else { return (ours, nil, "our trainer stopped after \(ours.count) iterations") }
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
        let (out, why) = runPython(["--check", url.path, "--alpha", "0.1", "--lam", "1"])
        guard let out else { return (ours, nil, why) }
        return (ours, try JSONDecoder().decode(TorchCheck.self, from: out), nil)
    } catch {
        return ([], nil, "\(error)")
    }
}

// MARK: run

BLASThreads.set(1)
if let v = options.only {
    let s = benchmarkIteration(hidden: v[0], conditions: v[1], steps: v[2], iterations: v[3])
    print("H=\(v[0]), C=\(v[1]), T=\(v[2]): \(fmt(s * 1e3, 3)) ms/iter")
    exit(0)
}
let R = options.repeats
let loadStart = loadAverage()
let started = Date()
let mainCases = [Case(H: 200, C: 8, T: 120), Case(H: 200, C: 8, T: 600), Case(H: 500, C: 16, T: 120)]

log("bench: sgemm rates (1 thread)")
let peak512 = sgemmRate(m: 512, n: 512, k: 512, repeats: R)
let peak256 = sgemmRate(m: 256, n: 256, k: 256, repeats: R)
let peak = peak512

log("bench: our trainer")
var ours: [Case: (median: Double, all: [Double])] = [:]
var recurrent: [Case: RecurrentTiming] = [:]
var stepRates: [Case: (step: Double, dJ: Double)] = [:]
for c in mainCases {
    ours[c] = ourIteration(c, repeats: R)
    recurrent[c] = recurrentProducts(c, repeats: R)
    stepRates[c] = (sgemmRate(m: c.C, n: c.H, k: c.H, repeats: R),
                    sgemmRate(m: c.H, n: c.H, k: (c.T - 1) * c.C, transA: true, repeats: R))
    log("  \(c.label): \(fmt(ours[c]!.median * 1e3, 3)) ms/iter")
}

var torch: TorchReport? = nil
var torchMissing: String? = nil
if options.torch {
    log("bench: PyTorch (\(options.script), variants \(options.variants))")
    (torch, torchMissing) = torchBench(mainCases)
} else {
    torchMissing = "skipped (--no-torch)"
}
if let e = torch?.errors, !e.isEmpty { torchMissing = e.joined(separator: "; ") }

var check: (ours: [Double], TorchCheck?, String?)? = nil
if options.torch && options.check && torch?.torch != nil {
    log("bench: equivalence check (same start and data, \(5) iterations)")
    check = equivalenceCheck(mainCases[0])
}

var scalingRows: [(String, Case, Double)] = []
if options.scaling {
    log("bench: scaling (ours only)")
    let base = mainCases[0]
    let sweeps: [(String, [Case])] = [
        ("T", [60, 120, 240, 600].map { Case(H: base.H, C: base.C, T: $0) }),
        ("C", [1, 4, 8, 16, 32].map { Case(H: base.H, C: $0, T: base.T) }),
        ("H", [50, 100, 200, 500].map { Case(H: $0, C: base.C, T: base.T) }),
    ]
    for (name, cases) in sweeps {
        for c in cases {
            let t = ours[c]?.median ?? ourIteration(c, repeats: 3).median
            scalingRows.append((name, c, t))
        }
    }
}
let loadEnd = loadAverage()

// MARK: report (Markdown)

@MainActor func torchMs(_ c: Case, _ variant: String) -> Double? {
    torch?.results.first { $0.variant == variant && $0.hidden == c.H && $0.conditions == c.C && $0.steps == c.T }?.ms_per_iter
}

var md: [String] = []
md.append("# CircuitFit training benchmark")
md.append("")
md.append("Generated by `bash scripts/bench.sh` on \(ISO8601DateFormatter().string(from: started)) (\(fmt(Date().timeIntervalSince(started), 0)) s).")
md.append("CPU: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; load average (1/5/15 min) at start \(loadStart), at end \(loadEnd).")
md.append("One BLAS thread for us, `torch.set_num_threads(1)` for PyTorch\(torch?.torch.map { " \($0)" } ?? ""). Model: identity mapping, M = 20 recorded units, λ = 1, I = 3 inputs, K = 3 outputs, α = 0.1, Adam + clipping at norm 1. Times are medians of \(R) repeats.")
md.append("")
md.append("## Per training iteration (forward + BPTT + Adam)")
md.append("")
md.append("| case | ours ms/iter | PyTorch eager ms/iter | ratio (PyTorch/ours) | PyTorch jit ms/iter | our GFLOP/s | % of sgemm peak |")
md.append("|---|---:|---:|---:|---:|---:|---:|")
for c in mainCases {
    let o = ours[c]!.median
    let te = torchMs(c, "eager"), tj = torchMs(c, "jit")
    let gf = c.flops / o / 1e9
    md.append("| \(c.label) | \(fmt(o * 1e3, 2)) | \(te.map { fmt($0, 2) } ?? "–") | \(te.map { fmt($0 / (o * 1e3), 1) + "×" } ?? "–") | \(tj.map { fmt($0, 2) } ?? "–") | \(fmt(gf, 1)) | \(fmt(100 * gf / peak, 0)) % |")
}
if let naive = torch?.results.filter({ $0.variant == "naive" }), !naive.isEmpty {
    md.append("")
    md.append("PyTorch naive (input drive and readout inside the time loop): " + naive.map { r in
        "H=\(r.hidden), C=\(r.conditions), T=\(r.steps): \(fmt(r.ms_per_iter, 2)) ms" }.joined(separator: "; "))
}
if let torchMissing { md.append(""); md.append("**PyTorch peer missing or incomplete:** \(torchMissing)") }
md.append("")
md.append("sgemm peak (square 512, 1 thread): **\(fmt(peak512, 1)) GFLOP/s** (square 256: \(fmt(peak256, 1))). GFLOP/s count matrix-product FLOPs only (see benchmarks/README.md): per iteration 6·(T−1)·C·H² recurrent + 4·(T−1)·C·H·I + 6·T·C·H·K.")
md.append("")
md.append("## Recurrent products alone (same shapes and loop structure, timed in isolation)")
md.append("")
md.append("| case | MFLOP/iter | forward T−1 × [C,H]·[H,H] | backward T−1 × [C,H]·[H,H] | dJ [H,(T−1)C]·[(T−1)C,H] | all recurrent | % of sgemm peak | share of our iteration |")
md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for c in mainCases {
    let r = recurrent[c]!
    let step = 2 * Double((c.T - 1) * c.C * c.H * c.H)
    func cell(_ s: Double) -> String { "\(fmt(s * 1e3, 2)) ms, \(fmt(step / s / 1e9, 1)) GF/s" }
    let gf = c.recurrentFlops / r.total / 1e9
    md.append("| \(c.label) | \(fmt(c.recurrentFlops / 1e6, 1)) | \(cell(r.forward)) | \(cell(r.backward)) | \(cell(r.dJ)) | \(fmt(r.total * 1e3, 2)) ms, **\(fmt(gf, 1)) GF/s** | \(fmt(100 * gf / peak, 0)) % | \(fmt(100 * r.total / ours[c]!.median, 0)) % |")
}
md.append("")
md.append("Single-call sgemm rates at the RNN's shapes: " + mainCases.map { c in
    "[\(c.C),\(c.H)]·[\(c.H),\(c.H)] \(fmt(stepRates[c]!.step, 1)), [\(c.H),\((c.T - 1) * c.C)]·[\((c.T - 1) * c.C),\(c.H)] \(fmt(stepRates[c]!.dJ, 1))"
}.joined(separator: "; ") + " GFLOP/s.")

if let check {
    md.append("")
    md.append("## Equivalence check (\(mainCases[0].label), same start and data, 5 iterations)")
    md.append("")
    if let t = check.1, t.errors.isEmpty, let tl = t.losses {
        md.append("Loss per iteration, ours: \(check.ours.map { String(format: "%.6f", $0) }.joined(separator: ", ")); PyTorch: \(tl.map { String(format: "%.6f", $0) }.joined(separator: ", ")).")
        md.append("Largest relative loss difference \(String(format: "%.1e", t.max_rel_loss_diff ?? .nan)); parameters after 5 Adam steps differ by at most \(String(format: "%.1e", t.max_abs_param_diff ?? .nan)) (they moved by up to \(String(format: "%.1e", t.max_abs_param_change ?? .nan))).")
    } else {
        md.append("Not available: \(check.2 ?? check.1?.errors.joined(separator: "; ") ?? "?")")
    }
}

if !scalingRows.isEmpty {
    md.append("")
    md.append("## How our time grows with T, C and H (ours only, one thread)")
    md.append("")
    md.append("| varied | case | ms/iter | µs per step | µs per step·condition | GFLOP/s |")
    md.append("|---|---|---:|---:|---:|---:|")
    for (name, c, t) in scalingRows {
        md.append("| \(name) | \(c.label) | \(fmt(t * 1e3, 2)) | \(fmt(t * 1e6 / Double(c.T), 1)) | \(fmt(t * 1e6 / Double(c.T * c.C), 2)) | \(fmt(c.flops / t / 1e9, 1)) |")
    }
    func slope(_ name: String, _ key: (Case) -> Int) -> String {
        let rows = scalingRows.filter { $0.0 == name }
        guard let a = rows.first, let b = rows.last, key(a.1) != key(b.1) else { return "?" }
        return fmt(log(b.2 / a.2) / log(Double(key(b.1)) / Double(key(a.1))), 2)
    }
    md.append("")
    md.append("Log–log slope from the smallest to the largest value: time ∝ T^\(slope("T") { $0.T }), C^\(slope("C") { $0.C }), H^\(slope("H") { $0.H }) (FLOPs ∝ T¹, C¹, H²).")
}

// requirements
md.append("")
md.append("## Requirements")
md.append("")
let base = mainCases[0]
if let te = torchMs(base, "eager") {
    let ratio = te / (ours[base]!.median * 1e3)
    md.append("- ≥ 5× faster than PyTorch eager at \(base.label): **\(fmt(ratio, 1))×, \(ratio >= 5 ? "met" : "NOT met")**.")
} else {
    md.append("- ≥ 5× faster than PyTorch at \(base.label): **not measured** (PyTorch missing).")
}
let recGF = base.recurrentFlops / recurrent[base]!.total / 1e9
let worst = mainCases.map { $0.recurrentFlops / recurrent[$0]!.total / 1e9 / peak }.min()!
md.append("- Recurrent products ≥ ½ of the sgemm peak at \(base.label): **\(fmt(100 * recGF / peak, 0)) % (\(fmt(recGF, 1)) of \(fmt(peak, 1)) GFLOP/s), \(recGF >= peak / 2 ? "met" : "NOT met")**; lowest over the three cases \(fmt(100 * worst, 0)) %.")

print(md.joined(separator: "\n"))
