import CircuitFitCore
import CircuitFitModel

// Our trainer's time per iteration: the real `Trainer.train` loop on random data.

/// Seconds per full training iteration (forward, loss, exact BPTT gradient, Adam update) of
/// `Trainer` on random data of the given sizes, identity mapping with `recorded` tied units and
/// λ = 1. Uses the current BLAS thread count (set `BLASThreads.set(1)` to compare with PyTorch
/// on one thread). The first 5 iterations are warm-up and not timed; `iterations` ≥ 1 are.
/// `perturbed` of the conditions (the last ones) are perturbation trials: from step T/4 on, 5
/// units clamped and 5 others driven (the tied units first), as `train` batches them.
func benchmarkIteration(
    hidden: Int = 200, conditions: Int = 8, steps: Int = 120, inputs: Int = 3, outputs: Int = 3,
    recorded: Int = 20, iterations: Int = 100, perturbed: Int = 0
) -> Double {
    var rng = SeededRandom(seed: 1)
    func random(_ d0: Int, _ d1: Int, _ d2: Int) -> Array3<Float> {
        Array3(d0, d1, d2, data: (0..<(d0 * d1 * d2)).map { _ in Float(rng.uniform(-0.5, 0.5)) })
    }
    let M = min(recorded, hidden)
    let spec = RNNSpec(hidden: hidden, inputs: inputs, outputs: outputs, recorded: M)
    let warmup = 5
    do {
        let data = try TrainingData(
            inputs: random(conditions, steps, inputs), targets: random(conditions, steps, outputs),
            neural: M > 0 ? random(conditions, steps, M) : nil,
            perturbations: perturbed == 0 ? nil : (0..<conditions).map { c in
                c < conditions - perturbed ? .none : UnitPerturbation(
                    clampedUnits: Array(0..<min(5, hidden)), clampStates: [Double](repeating: 0, count: min(5, hidden)),
                    stimulatedUnits: Array(min(5, hidden)..<min(10, hidden)), currents: [Double](repeating: 0.2, count: max(0, min(10, hidden) - 5)),
                    fromStep: steps / 4)
            })
        let trainer = Trainer(spec: spec, options: TrainingOptions(iterations: max(iterations, 1) + warmup))
        let result = try trainer.train(from: initialParameters(spec: spec, seed: 2), data: data)
        let h = result.history
        return (h[h.count - 1].seconds - h[warmup - 1].seconds) / Double(h.count - warmup)
    } catch {
        preconditionFailure("benchmarkIteration: \(error)")
    }
}

/// Seconds per iteration at `c`: the median of `repeats` runs of `benchmarkIteration`, each of
/// about 0.25 s of timed iterations (10 to 400, sized by a 3-iteration probe); `all` holds every run.
func ourIteration(_ c: BenchmarkCase, repeats: Int) -> (median: Double, all: [Double]) {
    func run(_ n: Int) -> Double {
        benchmarkIteration(hidden: c.H, conditions: c.C, steps: c.T, inputs: c.I, outputs: c.K,
                           recorded: c.M, iterations: n)
    }
    let probe = run(3)
    let n = min(400, max(10, Int(0.25 / max(probe, 1e-6))))
    let all = (0..<repeats).map { _ in run(n) }
    return (median(all), all)
}
