import CircuitFitCore

/// L_task, the output error, and its gradient, side by side: the normalised MSE of each output
/// channel (its squared error divided by its variance over the fitted samples, `SampleVariance`),
/// averaged over channels:
///   L_task = (1/K) Σ_k Σ_t w_t Σ_c (z[t,c,k] − z*[t,c,k])² / (C·Σ_t w_t·var_k)
/// So L_task = 1 for a model that predicts each channel's mean, 0 for a perfect fit, whatever the
/// targets' units (docs/method.md#the-objective).
extension RNNWorkspace {

    /// L_task from z (needs `readoutForward`).
    func taskLossForward() -> Double {
        var sum = 0.0
        let CK = C * K
        for t in 0..<T where w[t] != 0 {
            let zt = z + t * CK, st = zStar + t * CK
            var s: Scalar = 0
            for c in 0..<C {
                for k in 0..<K { let e = zt[c * K + k] - st[c * K + k]; s += taskWeight[k] * e * e }
            }
            sum += Double(w[t]) * Double(s)
        }
        return sum
    }

    /// dz[t, c, k] = 2 w_t (z − z*) / (K·C·Σ_t w_t·var_k).
    func taskLossBackward() {
        let CK = C * K
        for t in 0..<T {
            let zt = z + t * CK, st = zStar + t * CK, dzt = dz + t * CK
            let f = 2 * w[t]
            for c in 0..<C {
                for k in 0..<K { dzt[c * K + k] = f * taskWeight[k] * (zt[c * K + k] - st[c * K + k]) }
            }
        }
    }
}
