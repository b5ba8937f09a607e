import Testing
@testable import SluiceHTTP

/// The HTTP/1.1 connection's decisions on a manual clock (plain nanoseconds): no socket, no
/// waiting. Limits: head 10, body 20, idle 30, send 40.
private func machine(at now: UInt64 = 0) -> HTTPConnection.StateMachine {
    HTTPConnection.StateMachine(timeouts: Timeouts(header: 10, body: 20, idle: 30, send: 40), now: now)
}

@Test func anIdleConnectionClosesQuietlyAfterTheIdleTimeout() {
    var m = machine(at: 100)
    #expect(m.tick(now: 130, phase: .idle, unsent: false, sent: 0) == .none)
    #expect(m.tick(now: 131, phase: .idle, unsent: false, sent: 0) == .close)
    #expect(m.isClosing)
    #expect(m.tick(now: 500, phase: .idle, unsent: false, sent: 0) == .none, "closing once is enough")
}

@Test func aHeadThatStallsGets408FromItsFirstByte() {
    var m = machine()
    m.waiting(in: .head, now: 25)  // the first bytes came at 25
    #expect(m.tick(now: 35, phase: .head, unsent: false, sent: 0) == .none)
    #expect(m.tick(now: 36, phase: .head, unsent: false, sent: 0) == .timeOut(.head))
    #expect(m.isClosing)
}

@Test func aBodyThatStallsGets408FromItsCompleteHead() {
    var m = machine()
    m.waiting(in: .head, now: 1)
    m.waiting(in: .body, now: 9)  // the head was complete at 9: its clock is done
    #expect(m.tick(now: 29, phase: .body, unsent: false, sent: 0) == .none)
    #expect(m.tick(now: 30, phase: .body, unsent: false, sent: 0) == .timeOut(.body))
}

@Test func aTickNoticesAPhaseTheParserEnteredSinceTheLastWait() {
    var m = machine()
    // Bytes of a head arrived but no `needMore` was reported yet: the tick starts the clock.
    #expect(m.tick(now: 50, phase: .head, unsent: false, sent: 0) == .none, "not the idle clock from 0")
    #expect(m.tick(now: 61, phase: .head, unsent: false, sent: 0) == .timeOut(.head))
}

@Test func theClockIsReadOnlyWhenThePhaseChanges() {
    var m = machine()
    var reads = 0
    func now() -> UInt64 {
        reads += 1
        return 7
    }
    m.waiting(in: .idle, now: now())
    #expect(reads == 0)
    m.waiting(in: .head, now: now())
    #expect(reads == 1)
    m.waiting(in: .head, now: now())
    #expect(reads == 1)
}

@Test func aRequestWithTheResponderNeverTimesOut() {
    var m = machine()
    _ = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(!m.isReading)
    #expect(m.tick(now: 1_000_000, phase: .idle, unsent: false, sent: 0) == .none)
}

@Test func aKeptAliveAnswerStartsTheIdleClockWhenWritten() {
    var m = machine()
    let sequence = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(m.answer(sequence: sequence, draining: false) == .write(keepAlive: true, omitBody: false, minorVersion: 1))
    #expect(!m.isReading, "a drain reported inside the write must not parse")
    #expect(m.answerWritten(now: 200) == .readNext)
    #expect(m.isReading)
    #expect(m.tick(now: 230, phase: .idle, unsent: false, sent: 0) == .none)
    #expect(m.tick(now: 231, phase: .idle, unsent: false, sent: 0) == .close)
}

@Test func onlyTheAnswerOwedIsWrittenAndOnlyOnce() {
    var m = machine()
    let first = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(m.answer(sequence: first + 1, draining: false) == .ignore)
    #expect(m.answer(sequence: first, draining: false) != .ignore)
    #expect(m.answer(sequence: first, draining: false) == .ignore)
    _ = m.answerWritten(now: 1)
    let second = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(second == first + 1)
    #expect(m.answer(sequence: first, draining: false) == .ignore, "a late second send of the first request")
}

@Test(arguments: [
    (true, false, true),   // kept alive
    (false, false, false), // the request said close (or HTTP/1.0)
    (true, true, false),   // the server is draining: this answer is the last
])
func theAnswerKeepsTheConnectionOnlyWhenBothSidesWantIt(_ requestKeepsAlive: Bool, _ draining: Bool, _ kept: Bool) {
    var m = machine()
    let sequence = m.dispatch(keepAlive: requestKeepsAlive, isHead: false, minorVersion: 1)
    #expect(m.answer(sequence: sequence, draining: draining) == .write(keepAlive: kept, omitBody: false, minorVersion: 1))
    #expect(m.answerWritten(now: 1) == (kept ? .readNext : .closeAfterWrites))
    #expect(m.isClosing == !kept)
}

@Test func aHeadRequestIsAnsweredWithoutItsBody() {
    var m = machine()
    let sequence = m.dispatch(keepAlive: true, isHead: true, minorVersion: 1)
    #expect(m.answer(sequence: sequence, draining: false) == .write(keepAlive: true, omitBody: true, minorVersion: 1))
}

@Test func theAnswerIsWrittenForTheRequestsVersion() {
    var m = machine()
    let sequence = m.dispatch(keepAlive: true, isHead: false, minorVersion: 0)
    #expect(m.answer(sequence: sequence, draining: false) == .write(keepAlive: true, omitBody: false, minorVersion: 0))
}

@Test func drainingClosesAnIdleConnectionButNotOneOwingAnAnswerOrMidRequest() {
    var m = machine()
    #expect(m.closesOnDrain(phase: .idle))
    #expect(!m.closesOnDrain(phase: .head))
    _ = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(!m.closesOnDrain(phase: .idle))
}

@Test func aStoppedConnectionReadsNoMoreAndNeverTimesOut() {
    var m = machine()
    m.stop()
    #expect(!m.isReading)
    #expect(m.tick(now: 1_000, phase: .head, unsent: false, sent: 0) == .none)
    #expect(m.closesOnDrain(phase: .idle))
}

@Test func aLastAnswerThePeerDoesNotTakeIsResetAfterTheSendTimeout() {
    var m = machine()
    let sequence = m.dispatch(keepAlive: false, isHead: false, minorVersion: 1)
    _ = m.answer(sequence: sequence, draining: false)
    #expect(m.answerWritten(now: 5) == .closeAfterWrites)
    // Only the socket holds the connection now: no other timeout applies.
    #expect(m.tick(now: 10, phase: .idle, unsent: true, sent: 500) == .none)
    #expect(m.tick(now: 50, phase: .idle, unsent: true, sent: 500) == .none)
    #expect(m.tick(now: 51, phase: .idle, unsent: true, sent: 500) == .reset)
}

@Test func anErrorAnswerThePeerDoesNotTakeIsResetAfterTheSendTimeout() {
    var m = machine()
    m.stop()  // a 400 is on its way out
    #expect(m.tick(now: 1, phase: .head, unsent: true, sent: 0) == .none)
    #expect(m.tick(now: 42, phase: .head, unsent: true, sent: 0) == .reset)
    #expect(m.isClosing)
}

@Test func aPeerThatTakesBytesSlowlyIsNotReset() {
    var m = machine()
    m.stop()
    for (k, now) in stride(from: UInt64(0), through: 400, by: 30).enumerated() {
        #expect(m.tick(now: now, phase: .idle, unsent: true, sent: UInt64(k)) == .none, "one byte a tick is progress")
    }
}

@Test func stuckAnswersEndAConnectionEvenWhileTheResponderWorks() {
    var m = machine()
    // Earlier pipelined answers fill the socket while the next request is with the responder.
    _ = m.dispatch(keepAlive: true, isHead: false, minorVersion: 1)
    #expect(m.tick(now: 0, phase: .idle, unsent: true, sent: 9) == .none)
    #expect(m.tick(now: 41, phase: .idle, unsent: true, sent: 9) == .reset)
}
