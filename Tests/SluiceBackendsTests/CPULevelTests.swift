import Testing

@testable import SluiceBackends

@Suite struct CPULevelTests {
    @Test func theLevelInUseIsOneThisMachineRuns() {
        #expect(CPULevel.current >= 0)
        #expect(CPULevel.current <= CPULevel.detected)
        #expect(CPULevel.runnable.first == 0)
        #expect(CPULevel.runnable.last == CPULevel.detected)
        #expect(CPULevel.name(CPULevel.detected) != "")
        #expect([CPULevel.name(0), CPULevel.name(1), CPULevel.name(2)] == ["baseline", "avx2", "avx512"])
    }
}
