import Testing
@testable import SluiceHTTP

/// Nanoseconds on a manual clock: each wait has its own limit so a mix-up shows.
private let timeouts = Timeouts(header: 10, body: 20, idle: 30, send: 40)

@Test(arguments: [
    (Timeouts.Wait.handshake, UInt64(10)),
    (.head, 10),
    (.body, 20),
    (.idle, 30),
    (.send, 40),
])
func eachWaitExpiresOnlyOnceItHasLastedLongerThanItsLimit(_ wait: Timeouts.Wait, _ limit: UInt64) {
    #expect(!timeouts.hasExpired(wait, since: 100, now: 100 + limit))
    #expect(timeouts.hasExpired(wait, since: 100, now: 100 + limit + 1))
}

@Test func theTimeoutsAreTheLimitsNanoseconds() {
    var limits = HTTPLimits()
    limits.headerTimeout = 1
    limits.bodyTimeout = 2
    limits.idleTimeout = 3
    limits.sendTimeout = 4
    let made = Timeouts(limits)
    #expect((made.header, made.body, made.idle, made.send) == (1, 2, 3, 4))
}

@Test func a408SaysWhichPartOfTheRequestDidNotArrive() {
    #expect(Timeouts.Wait.head.error.message == "request headers not received within the header timeout")
    #expect(Timeouts.Wait.body.error.message == "request body not received within the body timeout")
    #expect(Timeouts.Wait.body.error.status == 408)
}

@Test func aPeerThatTakesNoneOfTheWaitingBytesStallsAfterTheSendTimeout() {
    var progress = SendProgress()
    // Bytes start waiting at the tick of 100; the peer takes none of them.
    #expect(progress.stalled(waiting: true, taken: 7, now: 100, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: true, taken: 7, now: 140, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: true, taken: 7, now: 141, timeouts: timeouts) == true)
    #expect(progress.stalled(waiting: true, taken: 7, now: 142, timeouts: timeouts) == false, "told once, then a timeout later")
    #expect(progress.stalled(waiting: true, taken: 7, now: 183, timeouts: timeouts) == true)
}

@Test func anyByteTakenStartsTheSendClockOver() {
    var progress = SendProgress()
    #expect(progress.stalled(waiting: true, taken: 0, now: 0, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: true, taken: 1, now: 39, timeouts: timeouts) == false, "one byte is progress")
    #expect(progress.stalled(waiting: true, taken: 1, now: 79, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: true, taken: 1, now: 80, timeouts: timeouts) == true)
}

@Test func nothingWaitingIsNeverAStall() {
    var progress = SendProgress()
    #expect(progress.stalled(waiting: true, taken: 0, now: 0, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: false, taken: 0, now: 30, timeouts: timeouts) == false, "the socket drained")
    #expect(progress.stalled(waiting: true, taken: 0, now: 60, timeouts: timeouts) == false, "bytes wait again: a new clock")
    #expect(progress.stalled(waiting: true, taken: 0, now: 100, timeouts: timeouts) == false)
    #expect(progress.stalled(waiting: true, taken: 0, now: 101, timeouts: timeouts) == true)
    #expect(progress.stalled(waiting: false, taken: 0, now: 1_000, timeouts: timeouts) == false)
}
