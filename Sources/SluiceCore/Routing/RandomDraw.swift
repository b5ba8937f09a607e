import Synchronization

/// Uniform 32-bit draws for arms without a sticky key and for shadow sampling: SplitMix64 over
/// a shared Weyl sequence (one relaxed atomic add and a few multiplies per draw; no lock, no
/// system call, no allocation). Seeded once per process from the system generator, so two
/// replicas do not draw in step.
package enum RandomDraw {
    private static let state = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// The next draw. Any thread.
    @inline(__always)
    package static func next() -> UInt32 {
        let z0 = state.wrappingAdd(0x9e37_79b9_7f4a_7c15, ordering: .relaxed).newValue
        var z = z0
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return UInt32(truncatingIfNeeded: z >> 32)
    }
}
