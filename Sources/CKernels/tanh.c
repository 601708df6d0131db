// The model's tanh (kernels.h), 8 lanes at a time with FMA; the same formula and coefficients as
// Float.tanh in RNNScalar.swift, whose baseline-x86 build runs 4 lanes without FMA.
#include "kernels.h"

static const float p1 = 0.13084009289741516f, p2 = 0.003103954251855612f;
static const float p3 = 1.1154275853186846e-05f, p4 = -2.0225034091936323e-08f;
static const float p5 = 5.277829562277958e-11f, p6 = -8.488346879770639e-14f;
static const float q1 = 0.4641733467578888f, q2 = 0.024495171383023262f;
static const float q3 = 0.00025461416225880384f;

static inline float tanh1(float v) {
    const float xc = v > 9 ? 9 : (v < -9 ? -9 : v);  // NaN stays NaN
    const float s = xc * xc;
    const float p = 1 + s * (p1 + s * (p2 + s * (p3 + s * (p4 + s * (p5 + s * p6)))));
    const float q = 1 + s * (q1 + s * (q2 + s * q3));
    const float t = xc * p / q;
    return t > 1 ? 1 : (t < -1 ? -1 : t);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

TARGET void cf_tanh(const float *x, float *y, int count) {
    const __m256 hi = _mm256_set1_ps(9), lo = _mm256_set1_ps(-9);
    const __m256 one = _mm256_set1_ps(1), minus = _mm256_set1_ps(-1);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        // vminps/vmaxps return their second operand when either is NaN: v second keeps NaN
        const __m256 xc = _mm256_max_ps(lo, _mm256_min_ps(hi, v));
        const __m256 s = _mm256_mul_ps(xc, xc);
        __m256 p = _mm256_fmadd_ps(s, _mm256_set1_ps(p6), _mm256_set1_ps(p5));
        p = _mm256_fmadd_ps(s, p, _mm256_set1_ps(p4));
        p = _mm256_fmadd_ps(s, p, _mm256_set1_ps(p3));
        p = _mm256_fmadd_ps(s, p, _mm256_set1_ps(p2));
        p = _mm256_fmadd_ps(s, p, _mm256_set1_ps(p1));
        p = _mm256_fmadd_ps(s, p, one);
        __m256 q = _mm256_fmadd_ps(s, _mm256_set1_ps(q3), _mm256_set1_ps(q2));
        q = _mm256_fmadd_ps(s, q, _mm256_set1_ps(q1));
        q = _mm256_fmadd_ps(s, q, one);
        const __m256 t = _mm256_div_ps(_mm256_mul_ps(xc, p), q);
        _mm256_storeu_ps(y + i, _mm256_max_ps(minus, _mm256_min_ps(one, t)));
    }
    for (; i < count; i++) y[i] = tanh1(x[i]);
}

#else  // not x86: never called (cf_avx2_fma_available() is 0); the formula so that it links

void cf_tanh(const float *x, float *y, int count) {
    for (int i = 0; i < count; i++) y[i] = tanh1(x[i]);
}

#endif
