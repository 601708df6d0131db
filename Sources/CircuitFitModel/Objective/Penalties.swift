import CircuitFitCore

/// The regularisers and their gradients, side by side:
///   β_J‖J‖² (effective J) + β_in‖B‖² + β_out Σ_k ‖C_k‖²/var_k + β_r·mean(r²) (over T·C·H rates).
/// Each is unit-free like L_task: J, B act on dimensionless currents and rates, and row k of the
/// readout C is measured in units of output k's standard deviation (so ‖C_k‖²/var_k is the squared
/// norm of the readout of the standardised output). β = 1e-4 on ‖J‖² then costs as much as 1e-4
/// of unexplained output variance per unit of squared weight norm.
extension RNNWorkspace {

    /// The weighted sum of the penalties (needs `effectiveWeightsForward` and `recurrenceForward`).
    func penaltiesForward(_ p: UnsafePointer<Scalar>, _ objective: Objective) -> Double {
        func sumOfSquares(_ x: UnsafePointer<Scalar>, _ n: Int) -> Double {
            var s = 0.0
            for k in 0..<n { s += Double(x[k]) * Double(x[k]) }
            return s
        }
        var total = 0.0
        if objective.betaJ > 0 { total += objective.betaJ * sumOfSquares(J, H * H) }
        if objective.betaIn > 0 { total += objective.betaIn * sumOfSquares(p + layout.offset(.B), H * I) }
        if objective.betaOut > 0 {
            let c = p + layout.offset(.C)
            for k in 0..<K { total += objective.betaOut * sumOfSquares(c + k * H, H) / outputVariance[k] }
        }
        if objective.betaRate > 0 { total += objective.betaRate * sumOfSquares(r, T * C * H) / Double(T * C * H) }
        return total
    }

    /// dr += 2 β_r r / (T·C·H).
    func ratePenaltyBackward(_ betaRate: Scalar) {
        guard betaRate > 0 else { return }
        let n = T * C * H
        let f = 2 * betaRate / Scalar(n)
        for k in 0..<n { dr[k] += f * r[k] }
    }

    /// dJ += 2 β_J J (effective), dB += 2 β_in B, dC_k += 2 β_out C_k / var_k, for trainable blocks.
    func weightPenaltiesBackward(_ p: UnsafePointer<Scalar>, _ g: UnsafeMutablePointer<Scalar>, _ objective: Objective) {
        let trainable = objective.trainable
        if objective.betaJ > 0 && trainable.contains(.J) {
            let f = 2 * Scalar(objective.betaJ)
            for k in 0..<(H * H) { dJ[k] += f * J[k] }
        }
        if objective.betaIn > 0 && trainable.contains(.B) {
            let f = 2 * Scalar(objective.betaIn)
            let x = p + layout.offset(.B), d = g + layout.offset(.B)
            for k in 0..<(H * I) { d[k] += f * x[k] }
        }
        if objective.betaOut > 0 && trainable.contains(.C) {
            let c = p + layout.offset(.C), d = g + layout.offset(.C)
            for k in 0..<K {
                let f = 2 * Scalar(objective.betaOut / outputVariance[k])
                for i in 0..<H { d[k * H + i] += f * c[k * H + i] }
            }
        }
    }
}
