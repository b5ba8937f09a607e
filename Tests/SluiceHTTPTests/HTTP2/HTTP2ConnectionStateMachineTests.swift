import Testing
@testable import SluiceHTTP

/// The HTTP/2 connection's timeouts and GOAWAY on a manual clock (plain nanoseconds). Limits:
/// head 10, body 20, idle 30, send 40.
private func machine(at now: UInt64 = 0) -> HTTP2Connection.StateMachine {
    HTTP2Connection.StateMachine(timeouts: Timeouts(header: 10, body: 20, idle: 30, send: 40), now: now)
}

@Test func anIdleH2ConnectionGetsOneGoawayAfterTheIdleTimeout() {
    var m = machine(at: 100)
    #expect(m.tick(now: 130, unsent: false, sent: 0) == .none)
    #expect(m.tick(now: 131, unsent: false, sent: 0) == .goAway)
    #expect(m.tick(now: 500, unsent: false, sent: 0) == .none, "GOAWAY once")
    #expect(m.drain() == .none, "shutdown does not send a second one")
}

@Test func openStreamsKeepTheConnectionFromIdling() {
    var m = machine()
    m.streamOpened()
    #expect(m.tick(now: 1_000, unsent: false, sent: 0) == .none)
    m.lastStreamClosed(now: 1_000)
    #expect(m.tick(now: 1_030, unsent: false, sent: 0) == .none, "the idle clock starts when the last stream closes")
    #expect(m.tick(now: 1_031, unsent: false, sent: 0) == .goAway)
}

@Test func aStreamWhoseHeadStallsEndsTheSession() {
    let m = machine()
    #expect(m.tick(stream: .head, since: 5, now: 15) == .none)
    #expect(m.tick(stream: .head, since: 5, now: 16) == .endSession)
}

@Test func aStreamWhoseBodyStallsGets408() {
    let m = machine()
    #expect(m.tick(stream: .body, since: 5, now: 25) == .none)
    #expect(m.tick(stream: .body, since: 5, now: 26) == .timeOut)
}

@Test(arguments: [HTTP2Stream.Phase.dispatched, .answered])
func aStreamWithItsRequestCompleteNeverTimesOut(_ phase: HTTP2Stream.Phase) {
    #expect(machine().tick(stream: phase, since: 0, now: 1_000_000) == .none)
}

@Test func shutdownSendsGoawayOnceAndStopsTheIdleTimeout() {
    var m = machine()
    #expect(m.drain() == .goAway)
    #expect(m.drain() == .none)
    #expect(m.tick(now: 1_000, unsent: false, sent: 0) == .none)
}

@Test func aClientThatTakesNoneOfTheSocketsBytesIsResetAfterTheSendTimeout() {
    var m = machine()
    m.streamOpened()
    #expect(m.tick(now: 10, unsent: true, sent: 64) == .none)
    #expect(m.tick(now: 50, unsent: true, sent: 64) == .none)
    #expect(m.tick(now: 51, unsent: true, sent: 64) == .reset)
    var moving = machine()
    moving.streamOpened()
    for (k, now) in stride(from: UInt64(0), through: 400, by: 30).enumerated() {
        #expect(moving.tick(now: now, unsent: true, sent: UInt64(k)) == .none)
    }
}

@Test func anAnswerHeldByAZeroWindowIsCancelledAfterTheSendTimeout() {
    let m = machine()
    var progress = SendProgress()
    #expect(m.tick(answer: &progress, unsent: true, sent: 0, now: 10) == .none)
    #expect(m.tick(answer: &progress, unsent: true, sent: 0, now: 50) == .none)
    #expect(m.tick(answer: &progress, unsent: true, sent: 0, now: 51) == .cancel)
}

@Test func anAnswerTheWindowLetsThroughSlowlyOrFullyIsNotCancelled() {
    let m = machine()
    var progress = SendProgress()
    for (k, now) in stride(from: UInt64(0), through: 400, by: 30).enumerated() {
        #expect(m.tick(answer: &progress, unsent: true, sent: k * 100, now: now) == .none)
    }
    #expect(m.tick(answer: &progress, unsent: false, sent: 5_000, now: 1_000) == .none, "all sent")
    #expect(m.tick(answer: &progress, unsent: false, sent: 5_000, now: 9_000) == .none)
}
