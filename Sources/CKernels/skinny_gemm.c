// The AVX2 + FMA recurrent-product kernel of kernels.h. Register blocking: up to 4 rows of c (conditions) ×
// up to 16 columns (2 vectors of 8) = 8 independent accumulators (FMA latency 4 × 2 per cycle),
// 2 vectors of b and 1 broadcast of a. Per k it loads b's row k (2 contiguous vectors) and
// broadcasts 4 values of a, then 8 FMAs; columns are the outer loop so one 16-column strip of b
// (128 rows of it per pass, 8 KB) stays in L1 while every row block of a passes over it.
// The last strip, when n is not a multiple of 8, uses masked loads and stores. (4 × 24, 12
// accumulators, needs 17 registers: clang spilled one inside the loop and it ran at 39 GFLOP/s
// against 55–72 for 4 × 16 at C = 8, H = 200 on the project's Zen 3.)
#include "kernels.h"
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// One block: R rows × V vectors of columns, the last vector masked when MASKED.
#define DEFINE_BLOCK(R, V, MASKED)                                                            \
    static TARGET void block_##R##_##V##_##MASKED(int k, float alpha, const float *a, int lda, \
                                                  const float *b, int ldb, float *c, int ldc,  \
                                                  __m256i mask) {                              \
        __m256 acc[R][V];                                                                      \
        for (int r = 0; r < R; r++)                                                            \
            for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();                       \
        for (int p = 0; p < k; p++) {                                                          \
            const float *bp = b + (size_t)p * ldb;                                             \
            __m256 bv[V];                                                                      \
            for (int v = 0; v < V; v++)                                                        \
                bv[v] = (MASKED && v == V - 1) ? _mm256_maskload_ps(bp + 8 * v, mask)          \
                                               : _mm256_loadu_ps(bp + 8 * v);                  \
            for (int r = 0; r < R; r++) {                                                      \
                __m256 s = _mm256_broadcast_ss(a + (size_t)r * lda + p);                       \
                for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(s, bv[v], acc[r][v]);  \
            }                                                                                  \
        }                                                                                      \
        const __m256 al = _mm256_set1_ps(alpha);                                               \
        for (int r = 0; r < R; r++)                                                            \
            for (int v = 0; v < V; v++) {                                                      \
                float *cp = c + (size_t)r * ldc + 8 * v;                                       \
                if (MASKED && v == V - 1)                                                      \
                    _mm256_maskstore_ps(cp, mask,                                              \
                                        _mm256_fmadd_ps(al, acc[r][v], _mm256_maskload_ps(cp, mask))); \
                else                                                                           \
                    _mm256_storeu_ps(cp, _mm256_fmadd_ps(al, acc[r][v], _mm256_loadu_ps(cp))); \
            }                                                                                  \
    }

#define DEFINE_ROWS(R) \
    DEFINE_BLOCK(R, 1, 0) DEFINE_BLOCK(R, 2, 0) \
    DEFINE_BLOCK(R, 1, 1) DEFINE_BLOCK(R, 2, 1)
DEFINE_ROWS(1)
DEFINE_ROWS(2)
DEFINE_ROWS(3)
DEFINE_ROWS(4)

typedef void (*block_fn)(int, float, const float *, int, const float *, int, float *, int, __m256i);

// blocks[masked][R - 1][V - 1]
static const block_fn blocks[2][4][2] = {
    {{block_1_1_0, block_1_2_0}, {block_2_1_0, block_2_2_0},
     {block_3_1_0, block_3_2_0}, {block_4_1_0, block_4_2_0}},
    {{block_1_1_1, block_1_2_1}, {block_2_1_1, block_2_2_1},
     {block_3_1_1, block_3_2_1}, {block_4_1_1, block_4_2_1}},
};

// Rows of b per pass (k blocking): a 16-column strip of 128 rows is 8 KB and stays in L1 with a's
// rows beside it. Measured on the project's Zen 3 against no blocking (a strip of all K rows:
// 32 KB at K = 500, the whole L1), kernel / OpenBLAS in one run: C = 16, H = 500 1.08 (0.92
// unblocked); C = 8, H = 200 1.44 (1.39). c accumulates one pass after another, in order.
enum { K_BLOCK = 128 };

TARGET void cf_skinny_gemm_accumulate(int m, int n, int k, float alpha,
                                      const float *a, int lda, const float *b, int ldb,
                                      float *c, int ldc) {
    for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
        const int depth = k - p0 < K_BLOCK ? k - p0 : K_BLOCK;
        for (int j = 0; j < n; j += 16) {
            const int width = n - j < 16 ? n - j : 16;
            const int vectors = (width + 7) / 8, rest = width % 8, masked = rest != 0;
            int lanes[8];
            for (int l = 0; l < 8; l++) lanes[l] = (!masked || l < rest) ? -1 : 0;
            const __m256i mask = _mm256_loadu_si256((const __m256i *)lanes);
            for (int i = 0; i < m; i += 4) {
                const int rows = m - i < 4 ? m - i : 4;
                blocks[masked][rows - 1][vectors - 1](depth, alpha, a + (size_t)i * lda + p0, lda,
                                                      b + (size_t)p0 * ldb + j, ldb,
                                                      c + (size_t)i * ldc + j, ldc, mask);
            }
        }
    }
}

#else  // not x86: unreachable (cf_avx2_fma_available() is 0 and AVX2Kernels checks it); it only links

void cf_skinny_gemm_accumulate(int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb,
                               float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
    __builtin_trap();
}

#endif
