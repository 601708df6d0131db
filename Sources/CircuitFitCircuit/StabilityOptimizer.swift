import CircuitFitCore
import CircuitFitAnalysis

/// Why the stability optimisation stopped.
public enum StabilityStop: String, Codable, Sendable {
    /// The spectral abscissa fell below the target.
    case reachedTarget = "reached_target"
    /// The step budget ran out first.
    case stepBudget = "step_budget"
}

/// The outcome of `optimizeStability`: the stabilised W and how it got there.
public struct StabilityResult: Sendable {
    public var weights: Matrix<Double>
    public var spectralAbscissaInitial: Double
    public var spectralAbscissaFinal: Double
    public var steps: Int
    public var stop: StabilityStop
}

/// Progress of the optimisation, reported once per step: (step, spectral abscissa of W).
public typealias StabilityProgress = (_ step: Int, _ spectralAbscissa: Double) -> Void

/// Stability-optimised circuit (Hennequin, Vogels & Gerstner 2014): gradient descent on the
/// smoothed spectral abscissa, changing only inhibitory weights (docs/method.md#stability-optimisation).
///
/// Per step, one real Schur decomposition of W serves the spectral abscissa α and both Lyapunov
/// solves with W − sI, s = max(1.5α, α + 0.2):
///   (W − sI)ᵀQ + Q(W − sI) = −2I,  (W − sI)P + P(W − sI)ᵀ = −2I,  G = QP / tr(QP),
/// then W_I ← W_I − η·G_I followed by the constraints: inhibitory weights stay ≤ 0, no
/// self-connections, only the strongest `inhibitoryDensity` of the possible inhibitory connections
/// are kept, and (optionally) each inhibitory block's mean is rescaled to −γ times the mean of the
/// excitatory block with the same postsynaptic population.
public func optimizeStability(
    _ initial: Matrix<Double>, config: CircuitConfig, progress: StabilityProgress? = nil
) throws -> StabilityResult {
    let n = initial.rows, ne = config.excitatoryCount
    var w = initial
    let minusTwoI = -2.0 * Matrix<Double>.identity(n)
    var schur = try RealSchur(w)
    let alpha0 = schur.spectralAbscissa
    var alpha = alpha0
    var step = 0
    progress?(0, alpha)
    while alpha >= config.targetSpectralAbscissa && step < config.maxOptimizationSteps {
        let s = max(1.5 * alpha, alpha + 0.2)
        // In the Schur basis (W = Z T Zᵀ): Q = Z Yq Zᵀ, P = Z Yp Zᵀ, so QP = Z (Yq Yp) Zᵀ.
        let yq = try schur.solveLyapunovInSchurBasis(minusTwoI, shift: s, transposed: true)
        let yp = try schur.solveLyapunovInSchurBasis(minusTwoI, shift: s)
        let yqp = yq * yp
        let qp = matmul(schur.z * yqp, schur.z, transposeB: true)
        let scale = config.learningRate / yqp.trace
        // gradient step on the inhibitory columns only
        for i in 0..<n {
            for j in ne..<n { w[i, j] -= scale * qp[i, j] }
        }
        applyInhibitoryConstraints(&w, config: config)
        step += 1
        schur = try RealSchur(w)
        alpha = schur.spectralAbscissa
        progress?(step, alpha)
    }
    return StabilityResult(
        weights: w, spectralAbscissaInitial: alpha0, spectralAbscissaFinal: alpha, steps: step,
        stop: alpha < config.targetSpectralAbscissa ? .reachedTarget : .stepBudget)
}

/// Projects W back onto the allowed set after a gradient step (see `optimizeStability`).
func applyInhibitoryConstraints(_ w: inout Matrix<Double>, config: CircuitConfig) {
    let n = w.rows, ne = config.excitatoryCount
    // Dale's law for inhibitory columns, and no self-connections.
    for i in 0..<n {
        for j in ne..<n where w[i, j] > 0 { w[i, j] = 0 }
        w[i, i] = 0
    }
    // Keep only the strongest fraction of the possible inhibitory connections.
    let possible = n * (n - ne) - (n - ne)
    let keep = Int((config.inhibitoryDensity * Double(possible)).rounded(.down))
    var magnitudes: [Double] = []
    magnitudes.reserveCapacity(possible)
    for i in 0..<n { for j in ne..<n where i != j && w[i, j] < 0 { magnitudes.append(-w[i, j]) } }
    if magnitudes.count > keep {
        // threshold = keep-th largest magnitude; ties at the threshold are resolved by keeping all
        // entries strictly above it and then filling in row-major order
        let threshold = keep > 0 ? kthLargest(&magnitudes, keep) : .infinity
        var kept = 0
        for i in 0..<n {
            for j in ne..<n where i != j && w[i, j] < 0 {
                if -w[i, j] > threshold { kept += 1 }
            }
        }
        var tiesLeft = keep - kept
        for i in 0..<n {
            for j in ne..<n where i != j && w[i, j] < 0 {
                let m = -w[i, j]
                if m > threshold { continue }
                if m == threshold && tiesLeft > 0 { tiesLeft -= 1; continue }
                w[i, j] = 0
            }
        }
    }
    if config.balanceInhibitoryMeans {
        // Rows split into postsynaptic E and I populations; rescale each I block.
        for rowRange in [0..<ne, ne..<n] {
            var sumE = 0.0, sumI = 0.0
            for i in rowRange {
                for j in 0..<ne { sumE += w[i, j] }
                for j in ne..<n { sumI += w[i, j] }
            }
            let meanE = sumE / Double(rowRange.count * ne)
            let meanI = sumI / Double(rowRange.count * (n - ne))
            if meanI < 0 && meanE > 0 {
                let factor = (-config.inhibitionRatio * meanE) / meanI
                for i in rowRange { for j in ne..<n { w[i, j] *= factor } }
            }
        }
    }
}

/// The k-th largest value (k ≥ 1) by quickselect with median-of-three pivots; reorders `values`.
func kthLargest(_ values: inout [Double], _ k: Int) -> Double {
    precondition(k >= 1 && k <= values.count)
    var lo = 0, hi = values.count - 1
    let target = k - 1  // index in descending order
    while lo < hi {
        let mid = lo + (hi - lo) / 2
        // median of three as pivot
        let a = values[lo], b = values[mid], c = values[hi]
        let pivot = max(min(a, b), min(max(a, b), c))
        var i = lo, j = hi
        while i <= j {
            while values[i] > pivot { i += 1 }
            while values[j] < pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if target <= j { hi = j } else if target >= i { lo = i } else { return values[target] }
    }
    return values[target]
}
