import Glibc
import Testing
@testable import SluiceNet

/// The accept pause on a manual clock (plain nanoseconds).
@Test func anExhaustedAcceptPausesHalfASecondThenResumesOnATick() {
    var pause = AcceptPause()
    var resumed = pause.resumes(now: 1_000)
    #expect(!resumed)
    let warning = pause.failed(now: 1_000)
    #expect(warning == 0)
    #expect(pause.pausedSince == 1_000)
    resumed = pause.resumes(now: 1_000 + AcceptPause.duration - 1)
    #expect(!resumed)
    resumed = pause.resumes(now: 1_000 + AcceptPause.duration)
    #expect(resumed)
    #expect(pause.pausedSince == nil)
    resumed = pause.resumes(now: 1_000 + 2 * AcceptPause.duration)
    #expect(!resumed)
}

@Test func warningsComeAtMostOnceAMinuteAndCountThePausesBetween() {
    var pause = AcceptPause()
    let second: UInt64 = 1_000_000_000
    var warnings = [pause.failed(now: 0)]
    // Each pause ends and the next accept fails again: counted, not reported.
    var now: UInt64 = 0
    for _ in 0..<10 {
        now += second
        let resumed = pause.resumes(now: now)
        #expect(resumed)
        warnings.append(pause.failed(now: now))
    }
    warnings.append(pause.failed(now: AcceptPause.warningInterval - 1))
    warnings.append(pause.failed(now: AcceptPause.warningInterval))
    warnings.append(pause.failed(now: AcceptPause.warningInterval + second))
    #expect(warnings == [0] + Array(repeating: nil, count: 11) + [11, nil])
}

@Test(arguments: [EMFILE, ENFILE, ENOBUFS, ENOMEM])
func runningOutOfDescriptorsOrMemoryPauses(errno: Int32) {
    #expect(AcceptPause.isExhaustion(SocketError(call: "accept4", errno: errno)))
}

@Test(arguments: [ECONNABORTED, EPROTO, EPERM])
func aFailureOfOneConnectionDoesNotPause(errno: Int32) {
    #expect(!AcceptPause.isExhaustion(SocketError(call: "accept4", errno: errno)))
}

@Test func theOpenFileLimitLeavesRoomForLoopsAndFilesBesideConnections() {
    #expect(DescriptorLimit.connections(allowedBy: 1024, loops: 2) == 1024 - DescriptorLimit.shared - 2 * DescriptorLimit.perLoop)
    #expect(DescriptorLimit.connections(allowedBy: 50, loops: 4) == 1)
    #expect(DescriptorLimit.connections(allowedBy: Int.max, loops: Int.max) == 1)
    #expect(DescriptorLimit.connections(allowedBy: Int.max, loops: 1) == Int.max - DescriptorLimit.shared - DescriptorLimit.perLoop)
}
