import Testing
@testable import SluiceHTTP

private let coding: ContentCoding = {
    var settings = ContentCoding.Settings()
    settings.minBytes = 64
    return ContentCoding(settings: settings, maxBodyBytes: 4096)
}()

private func call(_ body: [UInt8], _ fields: [(String, String)] = []) -> (Request, RequestContext, ContentCoding.GRPCPreparation) {
    var request = Request(method: "POST", target: "/pkg.Service/Method", headers: Headers([("content-type", "application/grpc")] + fields), body: body)
    request.isGRPC = true
    let context = RequestContext(request, now: 1_000)
    let preparation = coding.prepareGRPC(&request, context: context, now: 1_000)
    return (request, context, preparation)
}

/// The status fields of a refused call's answer.
private func status(_ preparation: ContentCoding.GRPCPreparation) -> (code: String?, message: String?) {
    guard case .reject(let answer) = preparation else { return (nil, nil) }
    #expect(answer.isGRPC && answer.body.isEmpty && answer.trailers.isEmpty, "a refusal is Trailers-Only")
    return (answer.headers["grpc-status"], answer.headers["grpc-message"])
}

@Test func aCallsBodyBecomesItsOneMessage() {
    let (request, context, preparation) = call(GRPCFraming.frame([1, 2, 3], compressed: false))
    guard case .proceed = preparation else { Issue.record("refused"); return }
    #expect(request.body == [1, 2, 3])
    #expect(context.deadline == nil)
}

@Test func aGzipMessageIsInflatedAndItsAnswerCompressedTheSameWay() throws {
    let text = Array(String(repeating: "tensor ", count: 40).utf8)
    let packed = try #require(Zlib.deflate(text, .gzip, level: 1))
    let (request, _, preparation) = call(GRPCFraming.frame(packed, compressed: true), [("grpc-encoding", "gzip")])
    guard case .proceed(let grpc) = preparation else { Issue.record("refused"); return }
    #expect(request.body == text)
    var answer = Response(status: 200, body: text)
    coding.finishGRPC(&answer, call: grpc)
    #expect(answer.headers["grpc-encoding"] == "gzip")
    #expect(answer.body[0] == 1, "the compressed flag")
    let message = try GRPCFraming.messages(in: answer.body)
    #expect(try Zlib.inflate(Array(answer.body[message[0].bytes]), .gzip, limit: 4096).get() == text)
    #expect(answer.trailers["grpc-status"] == "0")
    // A small answer is not worth compressing, as for REST (`compression.min_bytes`).
    var small = Response(status: 200, body: [1, 2])
    coding.finishGRPC(&small, call: grpc)
    #expect(small.body == [0, 0, 0, 0, 2, 1, 2] && small.headers["grpc-encoding"] == nil)
}

@Test func framingFaultsAreInternalAndAnUnknownCodingUnimplemented() throws {
    #expect(status(call([2, 0, 0, 0, 0]).2).code == "13")
    #expect(status(call([0, 0, 0, 0, 9, 1]).2).code == "13")
    #expect(status(call([]).2) == ("13", "malformed gRPC message: the call carries no request message"))
    #expect(status(call(GRPCFraming.frame([1], compressed: false) + GRPCFraming.frame([2], compressed: false)).2).message?
        .contains("a unary call carries 2 request messages") == true)
    #expect(status(call(GRPCFraming.frame([1], compressed: true)).2).message?.contains("names no grpc-encoding") == true)
    #expect(status(call(GRPCFraming.frame([1, 2, 3], compressed: true), [("grpc-encoding", "gzip")]).2).code == "13")
    #expect(status(call(GRPCFraming.frame([1], compressed: true), [("grpc-encoding", "snappy")]).2).code == "12")
    // An uncompressed message under a coding we do not speak is simply read.
    guard case .proceed = call(GRPCFraming.frame([1], compressed: false), [("grpc-encoding", "snappy")]).2 else {
        Issue.record("refused"); return
    }
}

@Test func aMessageLargerThanTheBodyLimitOnceInflatedIsResourceExhausted() throws {
    let packed = try #require(Zlib.deflate([UInt8](repeating: 0, count: 10_000), .gzip, level: 9))
    #expect(status(call(GRPCFraming.frame(packed, compressed: true), [("grpc-encoding", "gzip")]).2).code == "8")
}

@Test func grpcTimeoutSetsTheDeadlineFromWhenTheRequestWasComplete() {
    #expect(call(GRPCFraming.frame([], compressed: false), [("grpc-timeout", "250u")]).1.deadline == 251_000)
    #expect(call(GRPCFraming.frame([], compressed: false), [("grpc-timeout", "99999999H")]).1.deadline == nil, "beyond the clock: none")
    #expect(status(call(GRPCFraming.frame([], compressed: false), [("grpc-timeout", "soon")]).2).code == "13")
}

@Test func anErrorBecomesItsCodeAndPercentEncodedMessageWithItsFields() {
    struct Overloaded: HTTPResponseError {
        var status: Int { 503 }
        var message: String { "queue full (100%)" }
        var code: ErrorCode { .resourceExhausted }
        var headers: Headers { Headers([("retry-after", "1")]) }
    }
    var answer = Response(error: Overloaded())
    coding.finishGRPC(&answer, call: GRPCCall())
    #expect(answer.status == 503, "the HTTP status stays for the counters; the wire says 200")
    #expect(answer.isGRPC && answer.body.isEmpty)
    #expect(answer.headers["grpc-status"] == "8")
    #expect(answer.headers["grpc-message"] == "queue full (100%25)")
    #expect(answer.headers["retry-after"] == "1")
    #expect(answer.headers["content-type"] == "application/grpc")
    var ours = Response(error: CancellationError())
    coding.finishGRPC(&ours, call: GRPCCall())
    #expect(ours.headers["grpc-status"] == "13")
    #expect(ours.headers["grpc-message"] == Response.internalErrorMessage)
}
