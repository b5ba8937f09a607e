import Synchronization

/// Uniform 32-bit draws for arms without a sticky key and for shadow sampling: SplitMix64 over
/// a shared Weyl sequence (one relaxed atomic add and a few multiplies per draw; no lock, no
/// system call, no allocation). Seeded once per process from the system generator, so two
/// replicas do not draw in step.
package enum RandomDraw {
    private static let state = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// SplitMix64's step between states (a Weyl sequence).
    package static let increment: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// The next draw. Any thread.
    @inline(__always)
    package static func next() -> UInt32 {
        UInt32(truncatingIfNeeded: mix(state.wrappingAdd(increment, ordering: .relaxed).newValue) >> 32)
    }

    /// SplitMix64's output for a state: also what the tests' seeded generators draw with, so a
    /// failing random case replays.
    @inline(__always)
    package static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
