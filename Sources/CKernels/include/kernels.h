#ifndef CIRCUITFIT_KERNELS_H
#define CIRCUITFIT_KERNELS_H

/// Hand-written AVX2 + FMA kernels of the model RNN's hot loops, chosen at run time: call
/// `cf_avx2_fma_available` first. Everything else goes through OpenBLAS.

/// 1 when this CPU and OS run the AVX2 + FMA kernels, else 0 (checked once, by CPUID and XGETBV).
int cf_avx2_fma_available(void);

/// The recurrent product of the model RNN, c[M, N] += alpha · a[M, K] · b[K, N] (row-major, Float32),
/// for the skinny shapes of one time step (M = conditions, a few to a few dozen; K = N = hidden
/// units). OpenBLAS repacks the whole [K, N] operand on every call at these shapes on CPUs
/// without its small-matrix path (AVX-512); this kernel reads b in place.

/// c[i*ldc + j] += alpha · Σ_k a[i*lda + k] · b[k*ldb + j] for i < m, j < n; sums over k in
/// ascending order in passes of 128 rows of b, c updated after each (the same bits for the
/// same inputs, whatever the thread count). Only when
/// `cf_avx2_fma_available()` is 1.
void cf_skinny_gemm_accumulate(int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb,
                               float *c, int ldc);

/// y[i] = tanh(x[i]) for i < count by the model's rational approximation (the formula of
/// `Float.tanh` in CircuitFitModel/Network/RNNScalar.swift: x·P(x²)/Q(x²) on |x| ≤ 9, ±1 beyond,
/// NaN in → NaN out), 8 lanes at a time with FMA. Only when `cf_avx2_fma_available()` is 1.
void cf_tanh(const float *x, float *y, int count);

#endif
