import CircuitFitCore

/// Settings of the truncated Gauss-Newton optimiser ("Hessian-free", Martens 2010).
public struct GaussNewtonConfig: Sendable, Equatable, Codable {
    /// Levenberg-Marquardt damping λ_LM at the start (adapted every step).
    public var initialDamping: Double
    /// Most conjugate-gradient iterations (Gauss-Newton products) per step.
    public var maxCGIterations: Int

    public init(initialDamping: Double = 1, maxCGIterations: Int = 50) {
        self.initialDamping = initialDamping
        self.maxCGIterations = maxCGIterations
    }

    public func validate() throws {
        guard initialDamping > 0, initialDamping.isFinite else { throw CircuitFitError("gauss-newton: initial damping must be > 0, got \(initialDamping)") }
        guard maxCGIterations >= 1 else { throw CircuitFitError("gauss-newton: maxCGIterations must be ≥ 1, got \(maxCGIterations)") }
    }
}

/// Truncated Gauss-Newton: each step solves (G + λ_LM I) δ = −g approximately by conjugate
/// gradients (G v from `gaussNewtonProduct`, no matrix formed), warm-started from the previous
/// step's δ, stopped by Martens' relative-progress rule; δ is tried, halved while the loss does
/// not fall (up to 4 times), and λ_LM follows the Levenberg-Marquardt rule on the ratio of the
/// actual to the predicted decrease. Buffers are allocated once.
struct GaussNewtonCG {
    let config: GaussNewtonConfig
    private let n: Int
    private var damping: Double
    private var x: [Float], residual: [Float], direction: [Float], product: [Float], previous: [Float], trial: [Float]
    private var trialGradient: [Float]

    init(config: GaussNewtonConfig, parameterCount n: Int) {
        self.config = config
        self.n = n
        damping = config.initialDamping
        x = [Float](repeating: 0, count: n)
        residual = x; direction = x; product = x; previous = x; trial = x; trialGradient = x
    }

    /// Conjugate gradients on (G + λ I) x = −g from x = 0.95·previous; returns the predicted
    /// change of the (undamped) quadratic model, gᵀx + ½ xᵀ G x.
    private mutating func solve(_ p: [Float], _ g: [Float], _ f: LossFunction) -> Double {
        let lambda = Float(damping)
        for i in 0..<n { x[i] = 0.95 * previous[i] }
        // residual = (G + λ) x + g
        f.gaussNewton(p, x, &product)
        for i in 0..<n { residual[i] = product[i] + lambda * x[i] + g[i] }
        for i in 0..<n { direction[i] = -residual[i] }
        var rr = dot(residual, residual)
        var phis: [Double] = []
        phis.reserveCapacity(config.maxCGIterations)
        for i in 0..<config.maxCGIterations {
            f.gaussNewton(p, direction, &product)
            for k in 0..<n { product[k] += lambda * direction[k] }
            let dAd = dot(direction, product)
            guard dAd > 0 else { break }
            let step = rr / dAd
            axpy(step, direction, &x)
            axpy(step, product, &residual)
            let rrNew = dot(residual, residual)
            // φ(x) = ½ xᵀ(A x) + gᵀx = ½ xᵀ(residual + g)
            var phi = 0.0
            for k in 0..<n { phi += Double(x[k]) * (Double(residual[k]) + Double(g[k])) }
            phi *= 0.5
            phis.append(phi)
            let window = max(10, i / 10)
            if i >= window, phi < 0, (phi - phis[i - window]) / phi < Double(window) * 5e-4 { break }
            let beta = Float(rrNew / rr)
            rr = rrNew
            for k in 0..<n { direction[k] = -residual[k] + beta * direction[k] }
        }
        // predicted change with the undamped G: gᵀx + ½ xᵀ G x
        f.gaussNewton(p, x, &product)
        return dot(g, x) + 0.5 * dot(x, product)
    }
}

extension GaussNewtonCG: Optimizer {
    mutating func step(_ p: inout [Float], _ current: inout Evaluated, _ f: LossFunction) -> StepOutcome {
        let f0 = current.loss.total
        for _ in 0..<4 {
            let predicted = solve(p, current.gradient, f)
            var scale: Float = 1
            for _ in 0..<5 {
                for i in 0..<n { trial[i] = p[i] + scale * x[i] }
                let loss = f(trial, &trialGradient)
                if loss.total.isFinite && loss.total < f0 {
                    let rho = (loss.total - f0) / (Double(scale) * predicted)
                    if scale == 1 {
                        if rho < 0.25 { damping *= 1.5 } else if rho > 0.75 { damping *= 2.0 / 3 }
                    } else {
                        damping *= 1.5
                    }
                    for i in 0..<n { previous[i] = scale * x[i] }
                    swap(&p, &trial)
                    current.loss = loss
                    swap(&current.gradient, &trialGradient)
                    return .moved
                }
                scale *= 0.5
            }
            // nothing lowered the loss: more damping, forget the warm start, restore the caches at p
            damping *= 4
            for i in 0..<n { previous[i] = 0 }
            _ = f(p, &trialGradient)
        }
        return .stalled
    }
}
