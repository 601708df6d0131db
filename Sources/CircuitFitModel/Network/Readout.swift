import CircuitFitCore

/// The output readout z[t] = C r[t] + d and its backward pass, side by side.
/// Layout: r [T·C, H] → z [T·C, K], one gemm for all steps and conditions.
extension RNNWorkspace {

    /// z[t, c, :] = C r[t, c, :] + d.   Needs `recurrenceForward`.
    func readoutForward(_ p: UnsafePointer<Scalar>) {
        let Cw = p + layout.offset(.C), d = p + layout.offset(.d)
        let rows = T * C
        for row in 0..<rows { (z + row * K).update(from: d, count: K) }
        // z += r Cᵀ   ([T·C, H] · [H, K])
        Scalar.gemm(
            transA: false, transB: true, m: rows, n: K, k: H, alpha: 1,
            a: r, lda: H, b: Cw, ldb: H, beta: 1, c: z, ldc: K)
    }

    /// From dz [T, C, K]: dC = dzᵀ r and dd = Σ dz into g (if trainable), and sets
    /// dr = dz C (the first contribution to dr: overwrites it).
    func readoutBackward(_ p: UnsafePointer<Scalar>, _ g: UnsafeMutablePointer<Scalar>, trainable: Set<ParameterBlock>) {
        let Cw = p + layout.offset(.C)
        let rows = T * C
        if trainable.contains(.C) {
            // dC = dzᵀ r   ([K, T·C] · [T·C, H])
            Scalar.gemm(
                transA: true, transB: false, m: K, n: H, k: rows, alpha: 1,
                a: dz, lda: K, b: r, ldb: H, beta: 0, c: g + layout.offset(.C), ldc: H)
        }
        if trainable.contains(.d) {
            // dd = Σ_{t,c} dz[t, c, :]
            let dd = g + layout.offset(.d)
            dd.update(repeating: 0, count: K)
            for row in 0..<rows {
                let d = dz + row * K
                for k in 0..<K { dd[k] += d[k] }
            }
        }
        // dr = dz C   ([T·C, K] · [K, H])
        Scalar.gemm(
            transA: false, transB: false, m: rows, n: H, k: K, alpha: 1,
            a: dz, lda: K, b: Cw, ldb: H, beta: 0, c: dr, ldc: H)
    }
}
