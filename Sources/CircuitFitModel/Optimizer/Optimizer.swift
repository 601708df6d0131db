import CircuitFitCore

/// Which optimiser fits the model (docs/method.md#the-optimiser-and-stopping). Both minimise the same
/// full-batch objective; they differ in how a step is chosen.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// Limited-memory BFGS with a strong-Wolfe line search: deterministic objectives only
    /// (no recurrent noise). The default, chosen by measured time to convergence.
    case lbfgs
    /// Adam with global gradient-norm clipping and an optional warm-up and decay schedule.
    case adam
    /// Truncated Gauss-Newton with conjugate gradients and Levenberg-Marquardt damping
    /// (deterministic objectives only).
    case gaussNewton = "gauss-newton"
}

/// The objective as the optimisers see it: loss and gradient at a parameter vector, evaluated by
/// the model's preallocated workspace (no allocation per call). Counts its evaluations.
final class LossFunction {
    let workspace: RNNWorkspace<Float>
    let objective: Objective
    private var noiseRandom: SeededRandom
    /// Fresh recurrent noise for each evaluation (Adam's stochastic objective), or none.
    let drawsNoise: Bool
    /// Loss-and-gradient evaluations so far.
    private(set) var evaluations = 0

    init(workspace: RNNWorkspace<Float>, objective: Objective, noiseRandom: SeededRandom) {
        self.workspace = workspace
        self.objective = objective
        self.noiseRandom = noiseRandom
        drawsNoise = workspace.noiseSD > 0
    }

    /// The loss at p and its gradient into g (same layout; frozen blocks 0).
    func callAsFunction(_ p: [Float], _ g: inout [Float]) -> LossParts {
        evaluations += 1
        if drawsNoise { workspace.drawNoise(&noiseRandom) }
        return p.withUnsafeBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { workspace.lossAndGradient(pp.baseAddress!, objective, $0.baseAddress!) }
        }
    }

    /// Gauss-Newton products so far.
    private(set) var curvatureProducts = 0

    /// out = G v at p; the workspace's forward caches must be those of p (the last evaluation).
    func gaussNewton(_ p: [Float], _ v: [Float], _ out: inout [Float]) {
        curvatureProducts += 1
        p.withUnsafeBufferPointer { pp in
            v.withUnsafeBufferPointer { vv in
                out.withUnsafeMutableBufferPointer { workspace.gaussNewtonProduct(pp.baseAddress!, objective, vv.baseAddress!, $0.baseAddress!) }
            }
        }
    }

    /// The noise-free loss at p (forward pass only).
    func quietLoss(_ p: [Float]) -> LossParts {
        workspace.clearNoise()
        return p.withUnsafeBufferPointer { workspace.loss($0.baseAddress!, objective) }
    }
}

/// A parameter vector's loss and gradient, as the training loop carries them from step to step.
struct Evaluated {
    var loss: LossParts
    var gradient: [Float]
    /// ‖gradient‖ (frozen blocks are 0), set by `measure()` after each evaluation.
    var gradientNorm = 0.0

    /// Computes `gradientNorm` once for the checks and the optimiser step that use it.
    mutating func measure() { gradientNorm = dot(gradient, gradient).squareRoot() }

    /// True if the loss and every gradient entry are finite (after `measure()`).
    var isFinite: Bool { loss.total.isFinite && gradientNorm.isFinite }
}

/// What one optimiser step did.
enum StepOutcome: Equatable {
    /// Moved to a new point (whose loss may be non-finite: the trainer checks).
    case moved
    /// No step lowered the loss (line search failed twice, once from a fresh memory).
    case stalled
}

/// The two optimisers behind one interface, so the training loop is written once.
protocol Optimizer {
    /// Moves p from the point whose loss and gradient are `current` to a new point, leaving the
    /// new point's loss and gradient in `current`.
    mutating func step(_ p: inout [Float], _ current: inout Evaluated, _ f: LossFunction) -> StepOutcome
}

// MARK: vector helpers (Double accumulation over Float vectors)

@inline(__always) func dot(_ a: [Float], _ b: [Float]) -> Double {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            var s = 0.0
            var k = 0
            let n = a.count
            // blocks of 256 in Float, summed in Double: fast and accurate to ~1e-7 relative
            while k < n {
                let end = min(k + 256, n)
                var part: Float = 0
                for i in k..<end { part += a[i] * b[i] }
                s += Double(part)
                k = end
            }
            return s
        }
    }
}

/// y += a·x.
@inline(__always) func axpy(_ a: Double, _ x: [Float], _ y: inout [Float]) {
    let fa = Float(a)
    x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in for i in 0..<x.count { y[i] += fa * x[i] } }
    }
}
