import CircuitFitCore

/// L_neural, the fit to the recorded neurons, and its gradient, side by side:
///   identity: prediction r[t, c, u_m]          (recorded neuron m tied to model unit u_m)
///   linear:   prediction y[t, c, :] = D r[t, c, :] + e
///   L_neural = (1/M') Σ_m Σ_present (prediction − y*)² / (P_m · var_m)
/// the normalised MSE of each recorded neuron (P_m its present samples, var_m their variance,
/// `SampleVariance`), averaged over the M' neurons that have samples; missing samples (NaN) are
/// masked out, never averaged in; no present sample at all gives L_neural = 0.
extension RNNWorkspace {

    /// Linear mapping: y = r Dᵀ + e, one gemm [T·C, H] · [H, M]. Identity: nothing to do.
    func neuralForward(_ p: UnsafePointer<Scalar>) {
        guard mapping == .linear, M > 0 else { return }
        let D = p + layout.offset(.D), e = p + layout.offset(.e)
        let rows = T * C
        for row in 0..<rows { (y + row * M).update(from: e, count: M) }
        Scalar.gemm(
            transA: false, transB: true, m: rows, n: M, k: H, alpha: 1,
            a: r, lda: H, b: D, ldb: H, beta: 1, c: y, ldc: M)
    }

    /// L_neural (needs `recurrenceForward` and `neuralForward`).
    func neuralLossForward() -> Double {
        guard M > 0, neuralCount > 0 else { return 0 }
        var sum = 0.0
        let rows = T * C
        for row in 0..<rows {
            let target = yStar + row * M
            var s: Scalar = 0
            if mapping == .identity {
                let rr = r + row * H
                for m in 0..<M where !target[m].isNaN { let e = rr[units[m]] - target[m]; s += neuralWeight[m] * e * e }
            } else {
                let yy = y + row * M
                for m in 0..<M where !target[m].isNaN { let e = yy[m] - target[m]; s += neuralWeight[m] * e * e }
            }
            sum += Double(s)
        }
        return sum
    }

    /// Adds λ ∂L_neural/∂r to dr; linear mapping: also dD = dyᵀ r and de = Σ dy into g.
    func neuralLossBackward(
        _ p: UnsafePointer<Scalar>, _ g: UnsafeMutablePointer<Scalar>, lambda: Scalar,
        trainable: Set<ParameterBlock>
    ) {
        guard M > 0, neuralCount > 0, lambda != 0 else { return }
        let scale = lambda * 2
        let rows = T * C
        if mapping == .identity {
            // dr[t, c, u_m] += 2λ (r − y*) / (M' P_m var_m)  for present samples
            for row in 0..<rows {
                let target = yStar + row * M, rr = r + row * H, d = dr + row * H
                for m in 0..<M where !target[m].isNaN {
                    let unit = units[m]
                    d[unit] += scale * neuralWeight[m] * (rr[unit] - target[m])
                }
            }
            return
        }
        // dy = 2λ (y − y*) / (M' P_m var_m), 0 where missing
        for row in 0..<rows {
            for m in 0..<M {
                let k = row * M + m
                dy[k] = yStar[k].isNaN ? 0 : scale * neuralWeight[m] * (y[k] - yStar[k])
            }
        }
        if trainable.contains(.D) {
            // dD = dyᵀ r   ([M, T·C] · [T·C, H])
            Scalar.gemm(
                transA: true, transB: false, m: M, n: H, k: rows, alpha: 1,
                a: dy, lda: M, b: r, ldb: H, beta: 0, c: g + layout.offset(.D), ldc: H)
        }
        if trainable.contains(.e) {
            let de = g + layout.offset(.e)
            for row in 0..<rows {
                let d = dy + row * M
                for m in 0..<M { de[m] += d[m] }
            }
        }
        // dr += dy D   ([T·C, M] · [M, H])
        Scalar.gemm(
            transA: false, transB: false, m: rows, n: H, k: M, alpha: 1,
            a: dy, lda: M, b: p + layout.offset(.D), ldb: H, beta: 1, c: dr, ldc: H)
    }
}
