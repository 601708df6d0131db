import CircuitFitCore
import CircuitFitModel

/// Seconds per iteration of the three recurrent products alone, with the trainer's shapes and
/// loop structure: T−1 forward steps, T−1 backward steps and the one dJ gemm.
struct RecurrentTiming {
    var forward: Double, backward: Double, dJ: Double
    /// The forward steps through OpenBLAS alone (`RecurrentProduct.accumulateBLAS`), for comparison
    /// where the trainer takes our kernel (equal to `forward` in kind where it does not).
    var forwardBLAS: Double
    /// Whether the trainer's per-step products take our AVX2 kernel at this size.
    var kernel: Bool
    var total: Double { forward + backward + dJ }
}

/// Times the recurrent products of case `c` in isolation (medians of `repeats`).
func recurrentProducts(_ c: BenchmarkCase, repeats: Int) -> RecurrentTiming {
    let (H, C, T) = (c.H, c.C, c.T)
    let CH = C * H, a: Float = 0.1
    let r = Buffer(T * CH, seed: 1), h = Buffer(T * CH, seed: 2), dh = Buffer(T * CH, seed: 3)
    let dr = Buffer(T * CH, seed: 4), J = Buffer(H * H, seed: 5), JT = Buffer(H * H, seed: 6)
    let dJ = Buffer(H * H, seed: 7)
    // as RNNWorkspace.recurrenceForward: h[t+1] += α r[t]·Jᵀ, [C,H]·[H,H] per step, through the
    // trainer's own RecurrentProduct (one sgemm, or column blocks of it: see Recurrence.swift)
    let fwd = timePerCall(repeats: repeats) {
        for t in 0..<(T - 1) {
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, r.p + t * CH, JT.p, h.p + (t + 1) * CH)
        }
    }
    // as recurrenceBackward: dr[t] += α dh[t+1]·J, backwards in time
    let bwd = timePerCall(repeats: repeats) {
        for t in stride(from: T - 2, through: 0, by: -1) {
            RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: a, dh.p + (t + 1) * CH, J.p, dr.p + t * CH)
        }
    }
    let fwdBLAS = timePerCall(repeats: repeats) {
        for t in 0..<(T - 1) {
            RecurrentProduct.accumulateBLAS(conditions: C, hidden: H, alpha: a, r.p + t * CH, JT.p, h.p + (t + 1) * CH)
        }
    }
    // dJ = α Σ_t dh[t+1]ᵀ r[t], one gemm over all (T−1)·C rows
    let rows = (T - 1) * C
    let gJ = timePerCall(repeats: repeats) {
        Float.gemm(transA: true, transB: false, m: H, n: H, k: rows, alpha: a,
                   a: dh.p + CH, lda: H, b: r.p, ldb: H, beta: 0, c: dJ.p, ldc: H)
    }
    return RecurrentTiming(forward: fwd, backward: bwd, dJ: gJ, forwardBLAS: fwdBLAS,
                           kernel: RecurrentProduct.usesKernel(Float.self, hidden: H))
}
