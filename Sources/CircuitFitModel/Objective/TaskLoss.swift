import CircuitFitCore

/// L_task, the output error, and its gradient, side by side:
///   L_task = Σ_t w_t Σ_{c,k} (z[t,c,k] − z*[t,c,k])² / (K·C·Σ_t w_t)
/// (the mean over training conditions, unmasked steps and outputs).
extension RNNWorkspace {

    /// L_task from z (needs `readoutForward`).
    func taskLossForward() -> Double {
        var sum = 0.0
        let CK = C * K
        for t in 0..<T where w[t] != 0 {
            let zt = z + t * CK, st = zStar + t * CK
            var s: Scalar = 0
            for k in 0..<CK { let e = zt[k] - st[k]; s += e * e }
            sum += Double(w[t]) * Double(s)
        }
        return sum / taskCount
    }

    /// dz[t, c, k] = 2 w_t (z − z*) / (K·C·Σ_t w_t).
    func taskLossBackward() {
        let CK = C * K
        let scale = Scalar(2 / taskCount)
        for t in 0..<T {
            let zt = z + t * CK, st = zStar + t * CK, dzt = dz + t * CK
            let f = scale * w[t]
            for k in 0..<CK { dzt[k] = f * (zt[k] - st[k]) }
        }
    }
}
