import Testing
@testable import SluiceHTTP

/// Nanoseconds on a manual clock: each wait has its own limit so a mix-up shows.
private let timeouts = Timeouts(header: 10, body: 20, idle: 30)

@Test(arguments: [
    (Timeouts.Wait.handshake, UInt64(10)),
    (.head, 10),
    (.body, 20),
    (.idle, 30),
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
    let made = Timeouts(limits)
    #expect((made.header, made.body, made.idle) == (1, 2, 3))
}

@Test func a408SaysWhichPartOfTheRequestDidNotArrive() {
    #expect(Timeouts.Wait.head.error.message == "request headers not received within the header timeout")
    #expect(Timeouts.Wait.body.error.message == "request body not received within the body timeout")
    #expect(Timeouts.Wait.body.error.status == 408)
}
