import Foundation
import CircuitFitCore

/// Everything `circuitfit-bench train` measures, in one run: the machine's sgemm rate, our
/// trainer and its recurrent products at the benchmark cases, the PyTorch peer, the equivalence
/// check and the scaling sweeps. Times in seconds (PyTorch's in ms, as its script reports them).
struct TrainMeasurements {
    /// The reported cases (`BenchmarkCase.main`); the first is the default model.
    var cases = BenchmarkCase.main
    var repeats: Int
    var started = Date()
    var loadStart = Machine.loadAverage(), loadEnd = "?"
    /// sgemm GFLOP/s on square 512 and 256 matrices, one thread; the 512 rate is "the peak".
    var peak512 = 0.0, peak256 = 0.0
    var ours: [BenchmarkCase: (median: Double, all: [Double])] = [:]
    var recurrent: [BenchmarkCase: RecurrentTiming] = [:]
    /// Single-call sgemm GFLOP/s at the per-step shape and at the dJ shape.
    var stepRates: [BenchmarkCase: (step: Double, dJ: Double)] = [:]
    var torch: TorchReport?
    /// Why the PyTorch numbers are missing or incomplete (nil when complete).
    var torchMissing: String?
    var check: EquivalenceCheck?
    /// Our time per iteration as one of T, C or H varies around the default model.
    var scaling: [(varied: String, case: BenchmarkCase, seconds: Double)] = []

    var peak: Double { peak512 }

    /// Runs every measurement `options` asks for, reporting progress on stderr.
    static func measure(_ options: TrainReportOptions) -> TrainMeasurements {
        BLASThreads.set(1)
        var m = TrainMeasurements(repeats: options.effectiveRepeats)
        let R = m.repeats

        log("bench: sgemm rates (1 thread)")
        m.peak512 = sgemmRate(m: 512, n: 512, k: 512, repeats: R)
        m.peak256 = sgemmRate(m: 256, n: 256, k: 256, repeats: R)

        log("bench: our trainer")
        for c in m.cases {
            m.ours[c] = ourIteration(c, repeats: R)
            m.recurrent[c] = recurrentProducts(c, repeats: R)
            m.stepRates[c] = (sgemmRate(m: c.C, n: c.H, k: c.H, repeats: R),
                              sgemmRate(m: c.H, n: c.H, k: (c.T - 1) * c.C, transA: true, repeats: R))
            log("  \(c.label): \(fmt(m.ours[c]!.median * 1e3, 3)) ms/iter")
        }

        let peer = TorchPeer(python: options.python, script: options.torchScript)
        let variants = options.variants.variants
        if options.noTorch {
            m.torchMissing = "skipped (--no-torch)"
        } else {
            log("bench: PyTorch (\(options.torchScript), variants \(variants.map(\.rawValue).joined(separator: ",")))")
            (m.torch, m.torchMissing) = peer.bench(m.cases, variants: variants, repeats: R)
        }
        if let e = m.torch?.errors, !e.isEmpty { m.torchMissing = e.joined(separator: "; ") }

        if !options.noTorch && !options.noCheck && m.torch?.torch != nil {
            log("bench: equivalence check (same start and data, \(EquivalenceCheck.iterations) iterations)")
            m.check = peer.equivalenceCheck(m.cases[0])
        }

        if !options.noScaling {
            log("bench: scaling (ours only)")
            let base = m.cases[0]
            let sweeps: [(String, [BenchmarkCase])] = [
                ("T", [60, 120, 240, 600].map { BenchmarkCase(H: base.H, C: base.C, T: $0) }),
                ("C", [1, 4, 8, 16, 32].map { BenchmarkCase(H: base.H, C: $0, T: base.T) }),
                ("H", [50, 100, 200, 500].map { BenchmarkCase(H: $0, C: base.C, T: base.T) }),
            ]
            for (name, cases) in sweeps {
                for c in cases {
                    let t = m.ours[c]?.median ?? ourIteration(c, repeats: 3).median
                    m.scaling.append((name, c, t))
                }
            }
        }
        m.loadEnd = Machine.loadAverage()
        return m
    }
}
