import CKernels
import Foundation

/// Our own AVX2 + FMA kernels of the model RNN's two hot loops (`Sources/CKernels`), chosen at
/// run time: where the CPU lacks AVX2 or FMA, `isAvailable` is false and callers use BLAS and
/// their Swift loops. Both are deterministic (the same bits for the same inputs).
///
/// - `accumulate`: the per-step recurrent product in Float32, c[m, n] += α·a[m, k]·b[k, n]
///   (row-major), for skinny shapes (m = conditions, a few to a few dozen; k = n = hidden
///   units); it reads b in place. At these shapes OpenBLAS repacks all of b on every call unless
///   the CPU has AVX-512 (its small-matrix path), which cost a quarter of a training iteration.
///   Sums over k in ascending order, in passes of 128 (c updated after each).
/// - `tanh`: the model's rational tanh (`Float.tanh` in CircuitFitModel), 8 lanes with FMA
///   instead of the baseline-x86 build's 4 lanes without it.
public enum AVX2Kernels {
    /// Whether this CPU and OS run the kernels (CPUID and XGETBV, checked once), and the
    /// environment does not turn them off (`CIRCUITFIT_NO_AVX2=1`: the portable BLAS and Swift
    /// paths, to compare or to reproduce a run of a CPU without AVX2).
    public static let isAvailable: Bool =
        cf_avx2_fma_available() == 1 && ProcessInfo.processInfo.environment["CIRCUITFIT_NO_AVX2"] != "1"

    /// c[i·ldc + j] += α Σ_p a[i·lda + p] b[p·ldb + j], i < m, j < n. Only when `isAvailable`.
    @inlinable public static func accumulate(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(isAvailable, "AVX2Kernels.accumulate needs AVX2 and FMA")
        cf_skinny_gemm_accumulate(Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), c, Int32(ldc))
    }

    /// y[i] = tanh(x[i]), i < count, by the model's rational approximation. Only when `isAvailable`.
    @inlinable public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        precondition(isAvailable, "AVX2Kernels.tanh needs AVX2 and FMA")
        cf_tanh(x, y, Int32(count))
    }
}
