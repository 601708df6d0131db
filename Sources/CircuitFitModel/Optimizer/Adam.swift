import Foundation
import CircuitFitCore

/// A learning-rate schedule over iterations i = 1, 2, … (dimensionless factors).
public enum LearningRateDecay: Sendable, Equatable, Codable {
    /// Constant learning rate.
    case none
    /// lr_i = lr · factor^(i−1), e.g. factor 0.9995.
    case exponential(factor: Double)
    /// lr_i = lr · factor^⌊(i−1)/every⌋, e.g. halve every 1000 iterations.
    case step(every: Int, factor: Double)

    /// The multiplier of the base learning rate at iteration i (1-based).
    public func multiplier(at i: Int) -> Double {
        switch self {
        case .none: return 1
        case .exponential(let f): return pow(f, Double(i - 1))
        case .step(let every, let f): return pow(f, Double((i - 1) / max(every, 1)))
        }
    }
}

/// Settings of the Adam optimiser with global gradient-norm clipping
/// (docs/method.md#the-optimiser-and-stopping).
public struct AdamConfig: Sendable, Equatable, Codable {
    /// Base learning rate (default 2e-3).
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Largest allowed Euclidean norm of the whole gradient (default 1); nil = no clipping.
    public var clipNorm: Double?
    public var decay: LearningRateDecay

    public init(
        learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        clipNorm: Double? = 1, decay: LearningRateDecay = .none
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.clipNorm = clipNorm
        self.decay = decay
    }

    /// Throws a one-line `CircuitFitError` for an unusable setting.
    public func validate() throws {
        guard learningRate > 0, learningRate.isFinite else { throw CircuitFitError("adam: learning rate must be > 0, got \(learningRate)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw CircuitFitError("adam: beta1 and beta2 must be in [0, 1), got \(beta1) and \(beta2)")
        }
        guard epsilon > 0 else { throw CircuitFitError("adam: epsilon must be > 0, got \(epsilon)") }
        if let c = clipNorm, !(c > 0) { throw CircuitFitError("adam: clip norm must be > 0, got \(c)") }
        switch decay {
        case .none: break
        case .exponential(let f):
            guard f > 0, f <= 1 else { throw CircuitFitError("adam: exponential decay factor must be in (0, 1], got \(f)") }
        case .step(let every, let f):
            guard every >= 1, f > 0, f <= 1 else { throw CircuitFitError("adam: step decay needs every ≥ 1 and factor in (0, 1], got \(every), \(f)") }
        }
    }
}

/// Adam's state over the one parameter vector. Only the trainable blocks are read and changed:
/// frozen blocks keep their values exactly.
public struct Adam: Sendable {
    public let config: AdamConfig
    /// Index ranges of the trainable blocks.
    public let ranges: [Range<Int>]
    /// Number of updates applied so far.
    public private(set) var step = 0
    private var m: [Float]
    private var v: [Float]

    public init(config: AdamConfig, layout: ParameterLayout, trainable: Set<ParameterBlock>) {
        self.config = config
        ranges = layout.blocks.filter { trainable.contains($0) }.map { layout.range($0) }.filter { !$0.isEmpty }
        m = [Float](repeating: 0, count: layout.count)
        v = [Float](repeating: 0, count: layout.count)
    }

    /// Euclidean norm of the gradient over the trainable blocks (NaN/Inf if any entry is).
    public func gradientNorm(_ g: [Float]) -> Double {
        var s = 0.0
        g.withUnsafeBufferPointer { g in
            for range in ranges {
                var block: Float = 0
                for k in range { block += g[k] * g[k] }
                s += Double(block)
            }
        }
        return s.squareRoot()
    }

    /// One Adam step on p from gradient g, whose norm is `gradientNorm` (from `gradientNorm(_:)`):
    /// g is scaled by min(1, clip/‖g‖), then m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
    /// p ← p − lr_i · m̂ / (√v̂ + ε) with bias-corrected m̂, v̂.
    public mutating func update(_ p: inout [Float], gradient g: [Float], gradientNorm: Double) {
        step += 1
        let clip = config.clipNorm.map { gradientNorm > $0 ? $0 / gradientNorm : 1 } ?? 1
        let b1 = config.beta1, b2 = config.beta2
        let lr = config.learningRate * config.decay.multiplier(at: step)
        // step size with both bias corrections folded in: lr √(1−β2^t) / (1−β1^t)
        let stepSize = Float(lr * (1 - pow(b2, Double(step))).squareRoot() / (1 - pow(b1, Double(step))))
        let epsHat = Float(config.epsilon * (1 - pow(b2, Double(step))).squareRoot())
        let c = Float(clip), fb1 = Float(b1), fb2 = Float(b2)
        let ranges = self.ranges
        p.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for range in ranges {
                            for k in range {
                                let gk = c * g[k]
                                m[k] = fb1 * m[k] + (1 - fb1) * gk
                                v[k] = fb2 * v[k] + (1 - fb2) * gk * gk
                                p[k] -= stepSize * m[k] / (v[k].squareRoot() + epsHat)
                            }
                        }
                    }
                }
            }
        }
    }
}
