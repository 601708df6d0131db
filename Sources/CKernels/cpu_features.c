// Run-time check for the AVX2 + FMA kernels (kernels.h).
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((c & (fma | osxsave | avx)) != (fma | osxsave | avx)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6u) != 6u) return 0;  // the OS saves the xmm and ymm state
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1u;  // AVX2
}

int cf_avx2_fma_available(void) {
    static int state = -1;  // -1: not yet checked
    int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (s < 0) {
        s = detect();
        __atomic_store_n(&state, s, __ATOMIC_RELAXED);
    }
    return s;
}

#else  // not x86: the kernels do not exist, callers take BLAS and the Swift loops

int cf_avx2_fma_available(void) { return 0; }

#endif
