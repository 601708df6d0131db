import CircuitFitCore

/// The Gauss-Newton curvature of the objective, applied to a parameter direction v without
/// forming any matrix (Schraudolph 2002; Martens 2010): every term of L is a weighted sum of
/// squares of residuals e(θ) (outputs, recorded units, rates, weights), so its Gauss-Newton
/// matrix is G = Jₑᵀ Λ Jₑ, Λ the (diagonal) weights. G v is computed as
///
///   ė = Jₑ v     forward tangent (R-op) through the recurrence, side by side with `recurrenceForward`:
///                ḣ[0] = v_h0,  ḣ[t+1] = (1−α) ḣ[t] + α (J ṙ[t] + J̇ r[t] + Ḃ u[t] + ḃ),  ṙ = (1 − r²) ḣ,
///                ż = C ṙ + Ċ r + ḋ,  ẏ = ṙ[u_m] (identity) or D ṙ + Ḋ r + ė (linear)
///   G v = Jₑᵀ Λ ė  the backward pass of `lossAndGradient` with the residuals replaced by Λ ė
///
/// at the cost of about 4/3 of one gradient (one more per-step product). Needs the forward
/// caches of the point (a `loss` or `lossAndGradient` call there); leaves them intact.
extension RNNWorkspace {

    /// J̇ = ∂J_eff/∂W · v_W: mask ⊙ s_j sgn(W) v (Dale) or mask ⊙ v, into JDot.
    func effectiveWeightsTangent(_ W: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>) {
        let n = H * H
        JDot.update(from: v, count: n)
        if let sign {
            for i in 0..<H {
                let row = JDot + i * H, wRow = W + i * H
                for j in 0..<H {
                    let wij = wRow[j]
                    row[j] *= sign[j] * (wij > 0 ? 1 : (wij < 0 ? -1 : 0))
                }
            }
        }
        if let mask { for k in 0..<n { JDot[k] *= mask[k] } }
    }

    /// The forward tangent ḣ, ṙ, ż, ẏ along v (same layout as the parameters).
    func tangentForward(_ p: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>) {
        let CH = C * H
        let a = alpha, leak = 1 - alpha
        effectiveWeightsTangent(p + layout.offset(.J), v + layout.offset(.J))
        let rows = (T - 1) * C
        // drive: hDot[t+1] starts as J̇ r[t] + Ḃ u[t] + ḃ (scaled by α below), all t at once
        let drive = hDot + CH
        let vb = v + layout.offset(.b)
        for row in 0..<rows { (drive + row * H).update(from: vb, count: H) }
        if rows > 0 {
            // += r[t] J̇ᵀ   ([(T−1)C, H] · [H, H])
            Scalar.gemm(transA: false, transB: true, m: rows, n: H, k: H, alpha: 1,
                        a: r, lda: H, b: JDot, ldb: H, beta: 1, c: drive, ldc: H)
            if I > 0 {
                // += u[t] Ḃᵀ   ([(T−1)C, I] · [I, H])
                Scalar.gemm(transA: false, transB: true, m: rows, n: H, k: I, alpha: 1,
                            a: u, lda: I, b: v + layout.offset(.B), ldb: I, beta: 1, c: drive, ldc: H)
            }
        }
        // ḣ[0] = v_h0, ṙ[0]
        let vh0 = v + layout.offset(.h0)
        for c in 0..<C { (hDot + c * H).update(from: vh0, count: H) }
        let clamped = perturbation.hasClamps    // a clamped state has no tangent (currents are constants)
        if clamped { perturbation.zeroClamped(hDot, step: 0) }
        for k in 0..<CH { rDot[k] = (1 - r[k] * r[k]) * hDot[k] }
        for t in 0..<(T - 1) {
            let ht = hDot + t * CH, hn = ht + CH, rt = rDot + t * CH, rn = rt + CH, rr = r + (t + 1) * CH
            // ḣ[t+1] = (1−α) ḣ[t] + α drive[t] + α ṙ[t] Jᵀ
            for k in 0..<CH { hn[k] = leak * ht[k] + a * hn[k] }
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, rt, JT, hn)
            if clamped { perturbation.zeroClamped(hn, step: t + 1) }
            for k in 0..<CH { rn[k] = (1 - rr[k] * rr[k]) * hn[k] }
        }
        // ż = ṙ Cᵀ + r Ċᵀ + ḋ
        let all = T * C
        let vd = v + layout.offset(.d)
        for row in 0..<all { (zDot + row * K).update(from: vd, count: K) }
        Scalar.gemm(transA: false, transB: true, m: all, n: K, k: H, alpha: 1,
                    a: rDot, lda: H, b: p + layout.offset(.C), ldb: H, beta: 1, c: zDot, ldc: K)
        Scalar.gemm(transA: false, transB: true, m: all, n: K, k: H, alpha: 1,
                    a: r, lda: H, b: v + layout.offset(.C), ldb: H, beta: 1, c: zDot, ldc: K)
        // ẏ = ṙ Dᵀ + r Ḋᵀ + ė (linear mapping; identity reads ṙ directly)
        if mapping == .linear && M > 0 {
            let ve = v + layout.offset(.e)
            for row in 0..<all { (yDot + row * M).update(from: ve, count: M) }
            Scalar.gemm(transA: false, transB: true, m: all, n: M, k: H, alpha: 1,
                        a: rDot, lda: H, b: p + layout.offset(.D), ldb: H, beta: 1, c: yDot, ldc: M)
            Scalar.gemm(transA: false, transB: true, m: all, n: M, k: H, alpha: 1,
                        a: r, lda: H, b: v + layout.offset(.D), ldb: H, beta: 1, c: yDot, ldc: M)
        }
    }

    /// out = G v, the Gauss-Newton matrix of the whole objective (penalties included) times v,
    /// over the trainable blocks (frozen blocks of `out` are 0). Needs the forward caches at p.
    func gaussNewtonProduct(_ p: UnsafePointer<Scalar>, _ objective: Objective, _ v: UnsafePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>) {
        let trainable = objective.trainable
        tangentForward(p, v)
        out.update(repeating: 0, count: layout.count)
        // task: Λ = 2 w_t taskWeight_k
        let CK = C * K
        for t in 0..<T {
            let f = 2 * w[t]
            for c in 0..<C { for k in 0..<K { dz[t * CK + c * K + k] = f * taskWeight[k] * zDot[t * CK + c * K + k] } }
        }
        readoutBackward(p, out, trainable: trainable)
        // recorded neurons: Λ = 2λ neuralWeight_m on present samples
        let lambda = Scalar(objective.lambda)
        if M > 0 && neuralCount > 0 && lambda != 0 {
            let rows = T * C, f = 2 * lambda
            if mapping == .identity {
                for row in 0..<rows {
                    let target = yStar + row * M, rd = rDot + row * H, d = dr + row * H
                    for m in 0..<M where !target[m].isNaN { d[units[m]] += f * neuralWeight[m] * rd[units[m]] }
                }
            } else {
                for row in 0..<rows {
                    for m in 0..<M {
                        let k = row * M + m
                        dy[k] = yStar[k].isNaN ? 0 : f * neuralWeight[m] * yDot[k]
                    }
                }
                if trainable.contains(.D) {
                    Scalar.gemm(transA: true, transB: false, m: M, n: H, k: rows, alpha: 1,
                                a: dy, lda: M, b: r, ldb: H, beta: 0, c: out + layout.offset(.D), ldc: H)
                }
                if trainable.contains(.e) {
                    let de = out + layout.offset(.e)
                    for row in 0..<rows { for m in 0..<M { de[m] += dy[row * M + m] } }
                }
                Scalar.gemm(transA: false, transB: false, m: rows, n: H, k: M, alpha: 1,
                            a: dy, lda: M, b: p + layout.offset(.D), ldb: H, beta: 1, c: dr, ldc: H)
            }
        }
        // rates: Λ = 2 β_r / (T·C·H)
        if objective.betaRate > 0 {
            let n = T * C * H
            let f = 2 * Scalar(objective.betaRate) / Scalar(n)
            for k in 0..<n { dr[k] += f * rDot[k] }
        }
        recurrenceBackward(out, trainable: trainable)
        // weights: the penalties are quadratic, their Gauss-Newton matrix is exact
        if objective.betaJ > 0 && trainable.contains(.J) {
            let f = 2 * Scalar(objective.betaJ)
            for k in 0..<(H * H) { dJ[k] += f * JDot[k] }
        }
        if objective.betaIn > 0 && trainable.contains(.B) {
            let f = 2 * Scalar(objective.betaIn)
            let x = v + layout.offset(.B), d = out + layout.offset(.B)
            for k in 0..<(H * I) { d[k] += f * x[k] }
        }
        if objective.betaOut > 0 && trainable.contains(.C) {
            let x = v + layout.offset(.C), d = out + layout.offset(.C)
            for k in 0..<K {
                let f = 2 * Scalar(objective.betaOut / outputVariance[k])
                for i in 0..<H { d[k * H + i] += f * x[k * H + i] }
            }
        }
        if trainable.contains(.J) { effectiveWeightsBackward(p + layout.offset(.J), out + layout.offset(.J)) }
    }
}
