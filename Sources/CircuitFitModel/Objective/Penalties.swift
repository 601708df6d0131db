import CircuitFitCore

/// The regularisers and their gradients, side by side:
///   β_J‖J‖² (effective J) + β_in‖B‖² + β_out‖C‖² + β_r·mean(r²) (mean over T·C·H rates).
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
        if objective.betaOut > 0 { total += objective.betaOut * sumOfSquares(p + layout.offset(.C), K * H) }
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

    /// dJ += 2 β_J J (effective), dB += 2 β_in B, dC += 2 β_out C, for trainable blocks.
    func weightPenaltiesBackward(_ p: UnsafePointer<Scalar>, _ g: UnsafeMutablePointer<Scalar>, _ objective: Objective) {
        let trainable = objective.trainable
        if objective.betaJ > 0 && trainable.contains(.J) {
            let f = 2 * Scalar(objective.betaJ)
            for k in 0..<(H * H) { dJ[k] += f * J[k] }
        }
        func addL2(_ block: ParameterBlock, _ beta: Double) {
            guard beta > 0 && trainable.contains(block) else { return }
            let f = 2 * Scalar(beta)
            let x = p + layout.offset(block), d = g + layout.offset(block)
            for k in 0..<layout.range(block).count { d[k] += f * x[k] }
        }
        addL2(.B, objective.betaIn)
        addL2(.C, objective.betaOut)
    }
}
