#include "cpu_level.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static int detect(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return SLUICE_CPU_BASELINE;
    const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx || !fma) return SLUICE_CPU_BASELINE;
    const unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return SLUICE_CPU_BASELINE;  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SLUICE_CPU_BASELINE;
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512cd = (b >> 28) & 1;
    if (!avx2) return SLUICE_CPU_BASELINE;
    if (avx512f && avx512cd && (xcr0 & 0xe6) == 0xe6) return SLUICE_CPU_AVX512;  // opmask and ZMM state too
    return SLUICE_CPU_AVX2;
}
#else
static int detect(void) { return SLUICE_CPU_BASELINE; }
#endif

int sluice_cpu_level_detected(void) {
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level < 0) {
        level = detect();
        __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    }
    return level;
}

int sluice_cpu_level(void) {
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level < 0) {
        level = sluice_cpu_level_detected();
        const char *limit = getenv("SLUICE_CPU_LEVEL");
        if (limit && limit[0] >= '0' && limit[0] <= '2' && limit[1] == 0 && limit[0] - '0' < level) {
            level = limit[0] - '0';
        }
        __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    }
    return level;
}
