import Synchronization
import Testing
@testable import SluiceHTTP

/// The one exchange bookkeeping both protocols call: what it counts and what it logs.
private final class LogLines: Sendable {
    /// "METHOD target status" per call of the access log.
    let lines = Mutex<[String]>([])

    /// "id: error" per call of the fault log.
    let faults = Mutex<[String]>([])

    func record(_ context: RequestContext, _ response: Response, _ duration: UInt64) {
        lines.withLock { $0.append("\(context.method) \(context.target) \(response.status)") }
    }

    func fault(_ context: RequestContext, _ error: any Error) {
        faults.withLock { $0.append("\(context.id): \(error)") }
    }
}

private func state(logging log: LogLines?) -> ServerState {
    var accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?
    var faultLog: (@Sendable (RequestContext, any Error) -> Void)?
    if let log {
        accessLog = { log.record($0, $1, $2) }
        faultLog = { log.fault($0, $1) }
    }
    return ServerState(
        limits: HTTPLimits(), http2: HTTP2Settings(), accessLog: accessLog, faultLog: faultLog,
        coding: ContentCoding(settings: .init(), maxBodyBytes: 1 << 20), tls: nil)
}

private func request(_ method: String, _ target: String) -> Request {
    Request(method: method, target: target)
}

@Test func anAnsweredExchangeIsLoggedAndItsErrorStatusCounted() {
    let log = LogLines()
    let server = state(logging: log)
    var r = request("POST", "/v2/models/fraud/infer")
    var spare: RequestContext?
    let (exchange, rejection) = server.open(&r, over: .http1, reusing: &spare)
    #expect(rejection == nil)
    var answer = Response.error(404, "no such model")
    server.close(exchange, answer: &answer)
    #expect(log.lines.withLock { $0 } == ["POST /v2/models/fraud/infer 404"])
    #expect(log.faults.withLock { $0.isEmpty }, "a client's error is not a fault")
    #expect(answer.requestID?.id == exchange.context.id)
    #expect(server.stats.errorCounts.map(\.status) == [404])
    #expect(server.stats.protocolErrors.load(ordering: .relaxed) == 0)
}

@Test func onlyHTTP2ExchangesCountAsStreams() {
    let server = state(logging: nil)
    var r = request("GET", "/")
    var spare: RequestContext?
    _ = server.open(&r, over: .http1, reusing: &spare)
    _ = server.open(&r, over: .http2, reusing: &spare)
    #expect(server.stats.http2Streams.load(ordering: .relaxed) == 1)
}

@Test func aRefusalIsAProtocolErrorWithAnErrorBodyAndNoLogLine() {
    let log = LogLines()
    let server = state(logging: log)
    let answer = server.refusal(Timeouts.Wait.body.error)
    #expect(answer.status == 408)
    #expect(String(decoding: answer.body, as: UTF8.self) == #"{"error":"request body not received within the body timeout"}"#)
    #expect(server.stats.protocolErrors.load(ordering: .relaxed) == 1)
    #expect(server.stats.errorCounts.map(\.status) == [408])
    #expect(log.lines.withLock { $0.isEmpty })
}

private struct DiskOnFire: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

@Test func ourOwnFaultIsLoggedWithTheRequestIdAndTheClientsIdIsEchoed() {
    let log = LogLines()
    let server = state(logging: log)
    var r = Request(method: "POST", target: "/x", headers: Headers([("x-request-id", "abc")]))
    var spare: RequestContext?
    let (exchange, _) = server.open(&r, over: .http2, reusing: &spare)
    var answer = Response(error: DiskOnFire())
    server.close(exchange, answer: &answer)
    #expect(answer.status == 500)
    #expect(String(decoding: answer.body, as: UTF8.self) == #"{"error":"internal error while serving the request"}"#)
    #expect(log.faults.withLock { $0 } == ["abc: disk on fire"])
    #expect(answer.requestID?.id == "abc")
}

@Test func aContextIsReusedOnlyOnceNothingElseHoldsIt() {
    let server = state(logging: nil)
    var r = Request(method: "GET", target: "/a", headers: Headers([("x-request-id", "first")]))
    var spare: RequestContext?
    let first = server.open(&r, over: .http1, reusing: &spare).exchange.context
    first.model = "fraud"
    // Still held (a writer on a worker, say): the next exchange gets a context of its own.
    spare = first
    var next = Request(method: "GET", target: "/b")
    let second = server.open(&next, over: .http1, reusing: &spare).exchange.context
    #expect(second !== first)
    #expect(first.givenID == "first" && first.model == "fraud")
    // Let go: the next exchange reuses it, as good as new.
    spare = second
    let secondID = ObjectIdentifier(second)
    _ = consume second
    let third = server.open(&next, over: .http1, reusing: &spare).exchange.context
    #expect(ObjectIdentifier(third) == secondID)
    #expect(third.givenID == nil && third.model.isEmpty && third.id.utf8.count == 15)
}

@Test func aShedOrRefusedRequestIsNoFault() {
    let log = LogLines()
    let server = state(logging: log)
    var r = Request(method: "POST", target: "/x")
    var spare: RequestContext?
    let (exchange, _) = server.open(&r, over: .http1, reusing: &spare)
    var answer = Response(error: HTTPError.bodyTimeout)
    server.close(exchange, answer: &answer)
    var shed = Response(error: Busy())
    server.close(exchange, answer: &shed)
    #expect(shed.status == 503)
    #expect(log.faults.withLock { $0.isEmpty })
}

private struct Busy: HTTPResponseError {
    var status: Int { 503 }
    var message: String { "busy" }
}
