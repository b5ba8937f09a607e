import CKernels

/// The instruction-set level the C kernels (Sources/CKernels) run at: AVX-512, AVX2 with FMA, or
/// the baseline, detected once from cpuid and lowered by SLUICE_CPU_LEVEL. Kernels pass it to
/// their C entry points; tests pass every level up to `detected` to check each path.
enum CPULevel {
    static var current: Int32 { sluice_cpu_level() }
    static var detected: Int32 { sluice_cpu_level_detected() }
    /// Every level this machine can run, lowest first.
    static var runnable: [Int32] { Array(0...detected) }
    /// For logs: "avx512", "avx2" or "baseline".
    static func name(_ level: Int32) -> String {
        switch level {
        case Int32(SLUICE_CPU_AVX512): "avx512"
        case Int32(SLUICE_CPU_AVX2): "avx2"
        default: "baseline"
        }
    }
}
