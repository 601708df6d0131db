import CircuitFitCore
import CircuitFitModel

/// Seconds per full training iteration (forward, loss, exact BPTT gradient, Adam update) of
/// `Trainer` on random data of the given sizes, identity mapping with `recorded` tied units and
/// λ = 1. Uses the current BLAS thread count (set `BLASThreads.set(1)` to compare with PyTorch
/// on one thread). The first few iterations are warm-up and not timed.
public func benchmarkIteration(
    hidden: Int = 200, conditions: Int = 8, steps: Int = 120, inputs: Int = 3, outputs: Int = 3,
    recorded: Int = 20, iterations: Int = 100
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
            neural: M > 0 ? random(conditions, steps, M) : nil)
        let trainer = Trainer(spec: spec, options: TrainingOptions(iterations: max(iterations, 1) + warmup))
        let result = try trainer.train(from: initialParameters(spec: spec, seed: 2), data: data)
        let h = result.history
        return (h[h.count - 1].seconds - h[warmup - 1].seconds) / Double(h.count - warmup)
    } catch {
        preconditionFailure("benchmarkIteration: \(error)")
    }
}
