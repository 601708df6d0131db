import CircuitFitCore

/// The recurrent dynamics and their exact backward pass (BPTT), side by side:
///
///   J          = mask ⊙ s_j |W|  (Dale's law) or mask ⊙ W
///   h[0]       = h0                                          for every condition
///   h[t+1]     = (1−α) h[t] + α (J r[t] + B u[t] + b) + α σ ξ[t],   t = 0…T−2
///   r[t]       = tanh(h[t])
///   perturbation trials (`PerturbationSchedule`): h[t+1] += α s for the driven units, then
///   h_u[t] = clamp_u for the clamped ones (a constant: dh_u[t] = 0 in the backward pass)
///
/// Layout: every state buffer is [T, C, H] (time-major), so one step of all conditions is one
/// [C, H] block and the recurrent product is one sgemm r[t]·Jᵀ per step (`RecurrentProduct`).
/// The backward pass runs one such product per step (dr[t] += α dh[t+1]·J) and accumulates the
/// weight gradients after the loop as single gemms over all T·C rows.
extension RNNWorkspace {

    // MARK: effective recurrent weights

    /// J = mask ⊙ s_j |W| (Dale) or mask ⊙ W, from the stored block W [H, H].
    func effectiveWeightsForward(_ W: UnsafePointer<Scalar>) {
        let n = H * H
        J.update(from: W, count: n)
        if let sign {
            for i in 0..<H {
                let row = J + i * H
                for j in 0..<H { row[j] = abs(row[j]) * sign[j] }
            }
        }
        if let mask {
            for k in 0..<n { J[k] *= mask[k] }
        }
        // Jᵀ for the forward steps
        for i in 0..<H {
            for j in 0..<H { JT[j * H + i] = J[i * H + j] }
        }
    }

    /// dW = dJ ⊙ mask ⊙ s_j sgn(W)  (sgn(0) = 0), from dJ [H, H] into dW [H, H].
    func effectiveWeightsBackward(_ W: UnsafePointer<Scalar>, _ dW: UnsafeMutablePointer<Scalar>) {
        let n = H * H
        dW.update(from: dJ, count: n)
        if let sign {
            for i in 0..<H {
                let row = dW + i * H, wRow = W + i * H
                for j in 0..<H {
                    let wij = wRow[j]
                    let sgn: Scalar = wij > 0 ? 1 : (wij < 0 ? -1 : 0)
                    row[j] *= sign[j] * sgn
                }
            }
        }
        if let mask {
            for k in 0..<n { dW[k] *= mask[k] }
        }
    }

    // MARK: recurrence

    /// Runs the dynamics for all conditions, filling xin, h and r. Needs `effectiveWeightsForward`.
    func recurrenceForward(_ p: UnsafePointer<Scalar>) {
        let CH = C * H
        let B = p + layout.offset(.B), b = p + layout.offset(.b), h0 = p + layout.offset(.h0)
        let a = alpha, leak = 1 - alpha

        // input drive: xin[t, c, :] = B u[t, c, :] + b for the steps with a non-zero input, all at
        // once (steps without input use b itself below: B·0 + b = b exactly)
        let rows = (T - 1) * C
        for row in 0..<rows where driven[row / C] { (xin + row * H).update(from: b, count: H) }
        if I > 0 && rows > 0 {
            var t = 0
            while t < T - 1 {
                guard driven[t] else { t += 1; continue }
                var end = t
                while end < T - 1 && driven[end] { end += 1 }     // a run of driven steps t..<end
                Scalar.gemm(
                    transA: false, transB: true, m: (end - t) * C, n: H, k: I, alpha: 1,
                    a: u + t * C * I, lda: I, b: B, ldb: I, beta: 1, c: xin + t * CH, ldc: H)
                t = end
            }
        }

        // h[0, c, :] = h0, r[0] = tanh(h[0])
        for c in 0..<C { (h + c * H).update(from: h0, count: H) }
        let perturbed = !perturbation.isEmpty
        if perturbed { perturbation.clamp(h, step: 0) }
        Scalar.tanh(h, r, count: CH)

        for t in 0..<(T - 1) {
            let ht = h + t * CH, hn = ht + CH, rt = r + t * CH, rn = rt + CH, xt = xin + t * CH
            // h[t+1] = (1−α) h[t] + α xin[t] + noise[t]   (xin[t] = b without input)
            if driven[t] {
                for k in 0..<CH { hn[k] = leak * ht[k] + a * xt[k] }
            } else {
                for c in 0..<C {
                    let hc = hn + c * H, tc = ht + c * H
                    for i in 0..<H { hc[i] = leak * tc[i] + a * b[i] }
                }
            }
            if let noise {
                let nt = noise + t * CH
                for k in 0..<CH { hn[k] += nt[k] }
            }
            // h[t+1] += α r[t] Jᵀ   ([C, H] · [H, H], with Jᵀ stored)
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, rt, JT, hn)
            // perturbation trials: h[t+1] += α s, then the clamped units' states
            if perturbed {
                perturbation.addCurrents(hn, step: t + 1)
                perturbation.clamp(hn, step: t + 1)
            }
            // r[t+1] = tanh(h[t+1])
            Scalar.tanh(hn, rn, count: CH)
        }
    }

    /// BPTT from dr (∂L/∂r[t] of the readouts and penalties, [T, C, H]; updated in place with the
    /// recurrent terms) into dh, dJ (effective weights) and the gradient blocks B, b, h0 of g.
    /// Frozen blocks are skipped (left as they are in g).
    func recurrenceBackward(_ g: UnsafeMutablePointer<Scalar>, trainable: Set<ParameterBlock>) {
        let CH = C * H
        let a = alpha, leak = 1 - alpha

        // dh[T−1] = dr[T−1] ⊙ (1 − r[T−1]²)
        let last = (T - 1) * CH
        for k in last..<(last + CH) { dh[k] = dr[k] * (1 - r[k] * r[k]) }
        let clamped = perturbation.hasClamps
        if clamped { perturbation.zeroClamped(dh + last, step: T - 1) }

        for t in stride(from: T - 2, through: 0, by: -1) {
            let dhn = dh + (t + 1) * CH, dht = dh + t * CH, drt = dr + t * CH, rt = r + t * CH
            // dr[t] += α dh[t+1] J   ([C, H] · [H, H])
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, dhn, J, drt)
            // dh[t] = (1−α) dh[t+1] + dr[t] ⊙ (1 − r[t]²)
            for k in 0..<CH { dht[k] = leak * dhn[k] + drt[k] * (1 - rt[k] * rt[k]) }
            // a clamped state is a constant: nothing flows into it or through it
            if clamped { perturbation.zeroClamped(dht, step: t) }
        }

        // weight gradients, all steps at once; ∂L/∂pre[t] = α dh[t+1] for t < T−1
        let rows = (T - 1) * C
        let dpre = dh + CH    // dh[1 ..< T]  [(T−1)·C, H]
        if trainable.contains(.J) {
            // dJ = α Σ_t dh[t+1]ᵀ r[t]   ([H, (T−1)C] · [(T−1)C, H])
            if rows > 0 {
                Scalar.gemm(
                    transA: true, transB: false, m: H, n: H, k: rows, alpha: a,
                    a: dpre, lda: H, b: r, ldb: H, beta: 0, c: dJ, ldc: H)
            } else {
                dJ.update(repeating: 0, count: H * H)
            }
        }
        if trainable.contains(.B) && I > 0 {
            // dB = α Σ_t dh[t+1]ᵀ u[t]   ([H, (T−1)C] · [(T−1)C, I])
            let dB = g + layout.offset(.B)
            if rows > 0 {
                Scalar.gemm(
                    transA: true, transB: false, m: H, n: I, k: rows, alpha: a,
                    a: dpre, lda: H, b: u, ldb: I, beta: 0, c: dB, ldc: I)
            } else {
                dB.update(repeating: 0, count: H * I)
            }
        }
        if trainable.contains(.b) {
            // db = α Σ_{t,c} dh[t+1, c, :]
            let db = g + layout.offset(.b)
            db.update(repeating: 0, count: H)
            for row in 0..<rows {
                let d = dpre + row * H
                for i in 0..<H { db[i] += d[i] }
            }
            for i in 0..<H { db[i] *= a }
        }
        if trainable.contains(.h0) {
            // dh0 = Σ_c dh[0, c, :]
            let dh0 = g + layout.offset(.h0)
            dh0.update(repeating: 0, count: H)
            for c in 0..<C {
                let d = dh + c * H
                for i in 0..<H { dh0[i] += d[i] }
            }
        }
    }
}

/// The per-step recurrent product c[C, H] += α a[C, H] · b[H, H] (row-major, leading dimension H
/// everywhere): h[t+1] += α r[t]·Jᵀ forward and dr[t] += α dh[t+1]·J backward. Public so that the
/// benchmark times exactly what the trainer runs.
///
/// Float32, H ≤ 256, on a CPU with AVX2 + FMA: `AVX2Kernels.accumulate`, our kernel that reads b
/// in place. OpenBLAS (0.3.21) repacks the whole [H, H] operand on every call at these shapes
/// unless the CPU has AVX-512 (its small-matrix path): measured on this project's AMD EPYC
/// (Zen 3), H = 200, C = 8, the packing was a quarter of a training iteration (`perf`:
/// sgemm_itcopy 17 %, otcopy 4 %). Above H = 256 J no longer fits the core's 512 KB L2 with
/// room to spare and OpenBLAS's sequential packing streams it better: the training iteration at
/// H = 500, C = 16 ran 5 % slower through the kernel (bench-compare, 6 rounds), so it stays on BLAS.
/// Otherwise (Double, the gradient checks; H > 256; or no AVX2) BLAS, split into column blocks when
/// C·H·H exceeds 10⁶: OpenBLAS takes its unpacked small-matrix path (AVX-512 CPUs) only while
/// m·n·k ≤ 10⁶, and the blocks keep it there (measured on a Skylake-X: H = 500, C = 16 75 → ~100
/// GFLOP/s); every output still gets its whole dot product over H in one call.
public enum RecurrentProduct {
    /// OpenBLAS's size limit of its small-matrix sgemm path (m·n·k).
    static let smallKernelLimit = 1_000_000

    /// Columns per gemm call of the BLAS path: H (one call) when C·H·H ≤ 10⁶, else the largest
    /// multiple of 16 up to 128 that keeps C·H·width ≤ 10⁶; one call also when even 32 columns
    /// would exceed it.
    public static func blockWidth(conditions C: Int, hidden H: Int) -> Int {
        let limit = smallKernelLimit / max(C * H, 1)
        if limit >= H || limit < 32 { return H }
        return min(128, limit / 16 * 16)
    }

    /// The largest H that takes the kernel (see above).
    public static let kernelMaxHidden = 256

    /// Whether `accumulate` takes the kernel for scalar type S and H hidden units.
    @inlinable public static func usesKernel<S: BLASScalar>(_: S.Type, hidden H: Int) -> Bool {
        S.self == Float.self && H <= kernelMaxHidden && AVX2Kernels.isAvailable
    }

    /// c += α a·b with a [C, H], b [H, H], c [C, H], row-major, leading dimension H: the kernel
    /// where `usesKernel`, else BLAS.
    @inlinable public static func accumulate<S: BLASScalar>(
        conditions C: Int, hidden H: Int, alpha: S,
        _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>
    ) {
        if usesKernel(S.self, hidden: H) {
            AVX2Kernels.accumulate(
                m: C, n: H, k: H, alpha: unsafeBitCast(alpha, to: Float.self),
                a: UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: H,
                b: UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: H,
                c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: H)
        } else {
            accumulateBLAS(conditions: C, hidden: H, alpha: alpha, a, b, c)
        }
    }

    /// The same product through BLAS only (column blocks as above); the benchmark's comparison.
    @inlinable public static func accumulateBLAS<S: BLASScalar>(
        conditions C: Int, hidden H: Int, alpha: S,
        _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>
    ) {
        let width = blockWidth(conditions: C, hidden: H)
        var j = 0
        while j < H {
            let w = min(width, H - j)
            S.gemm(
                transA: false, transB: false, m: C, n: w, k: H, alpha: alpha,
                a: a, lda: H, b: b + j, ldb: H, beta: 1, c: c + j, ldc: H)
            j += w
        }
    }
}
