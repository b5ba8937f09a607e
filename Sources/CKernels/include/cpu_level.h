// Sluice's C kernels (issue #19): loops that need AVX2/FMA or AVX-512, compiled into every binary
// beside a baseline x86-64 (or portable) path and picked at run time, so one build runs on any
// x86-64. Each kernel's entry takes the instruction-set level to use as its last argument: the
// server passes `sluice_cpu_level()`, tests pass every level up to it.
#ifndef SLUICE_CPU_LEVEL_H
#define SLUICE_CPU_LEVEL_H

/// Instruction-set levels, each including the ones below.
enum {
    SLUICE_CPU_BASELINE = 0,  // SSE2 on x86-64; plain C elsewhere
    SLUICE_CPU_AVX2 = 1,      // AVX2 and FMA3, with the OS saving YMM state
    SLUICE_CPU_AVX512 = 2,    // AVX-512 F and CD (every AVX-512 processor has both), with the OS saving ZMM state
};

/// The highest level this CPU and OS run, detected once (cpuid, xgetbv); lowered, never raised,
/// by the environment variable SLUICE_CPU_LEVEL (0, 1 or 2) read at the first call.
int sluice_cpu_level(void);

/// The level the CPU supports, ignoring SLUICE_CPU_LEVEL (for tests and the startup log).
int sluice_cpu_level_detected(void);

#endif
