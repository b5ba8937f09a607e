import Testing
@testable import SluiceHTTP

@Test func responseSerializationAddsLengthDateAndClose() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: false, keepAlive: false, minorVersion: 1, date: Array("D".utf8))
    #expect(parts.body.isEmpty)  // a small body rides in the head's buffer
    #expect(String(decoding: parts.head, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\nconnection: close\r\n\r\n{}")
}

@Test func headResponsesKeepTheLengthAndDropTheBody() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: true, keepAlive: true, minorVersion: 1, date: Array("D".utf8))
    #expect(String(decoding: parts.head + parts.body, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\n\r\n")
}

@Test func anHTTP10AnswerKeptAliveSaysSoAndOneClosingSaysThat() {
    let kept = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: false, keepAlive: true, minorVersion: 0, date: Array("D".utf8))
    #expect(String(decoding: kept.head, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\nconnection: keep-alive\r\n\r\n{}")
    let closing = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: false, keepAlive: false, minorVersion: 0, date: Array("D".utf8))
    #expect(String(decoding: closing.head, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\nconnection: close\r\n\r\n{}")
}

@Test func errorBodiesEscapeTheirMessage() {
    #expect(String(decoding: Response.error(400, "bad \"x\"\n\u{1}").body, as: UTF8.self)
        == #"{"error":"bad \"x\"\n\u0001"}"#)
}

@Test func otherStatusesGetTheirReasonAndTheirOwnFieldsButNotFramingOnes() {
    var headers = Headers()
    headers.add("Retry-After", "1")
    headers.add("Content-Length", "999")
    headers.add("connection", "keep-alive")
    let parts = HTTPConnection.serialize(.error(503, "busy", headers: headers), omitBody: false, keepAlive: true, minorVersion: 1, date: Array("D".utf8))
    #expect(String(decoding: parts.head, as: UTF8.self)
        == "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 16\r\ndate: D\r\n\r\n{\"error\":\"busy\"}")
}

@Test func theRequestIdIsWrittenAfterTheResponsesOwnFields() {
    var response = Response.json(200, Array("{}".utf8))
    response.requestID = RequestContext(id: "r-1", method: "", target: "", started: 0)
    let parts = HTTPConnection.serialize(response, omitBody: false, keepAlive: true, minorVersion: 1, date: Array("D".utf8))
    #expect(String(decoding: parts.head, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: r-1\r\ncontent-length: 2\r\ndate: D\r\n\r\n{}")
    let (storage, fields) = HTTP2Fields.encode(response, date: Array("D".utf8))
    let names = fields.map { String(decoding: storage[$0.name], as: UTF8.self) }
    #expect(names == [":status", "content-type", "x-request-id", "content-length", "date"])
}

@Test func largeBodiesAreHandedOverUncopied() {
    let body = [UInt8](repeating: 120, count: HTTPConnection.inlineBodyLimit + 1)
    let parts = HTTPConnection.serialize(Response(status: 200, body: body), omitBody: false, keepAlive: true, minorVersion: 1, date: Array("D".utf8))
    #expect(String(decoding: parts.head, as: UTF8.self) == "HTTP/1.1 200 OK\r\ncontent-length: \(body.count)\r\ndate: D\r\n\r\n")
    #expect(parts.body == body)
}

// MARK: dispatch

private func table() -> Endpoints {
    var endpoints = Endpoints()
    let none: Endpoints.Handler = { _, _, _ in }
    endpoints.add("GET", "/v2/health/ready", none)
    endpoints.add("GET", "/v2/models/{model}", none)
    endpoints.add("POST", "/v2/models/{model}/infer", none)
    endpoints.add("POST", "/v2/models/{model}/versions/{version}/infer", none)
    endpoints.add("DELETE", "/v2/models/{model}", none)
    endpoints.add("POST", "/v1/models/{model}:predict", none)
    return endpoints
}

/// A resolution as text: `found model=fraud`, `405 GET, DELETE`, `404`.
private func resolve(_ method: String, _ path: Substring) -> String {
    switch table().resolve(method: method, path: path) {
    case .found(_, let parameters, _): (["found"] + parameters.values.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
    case .notAllowed(let allowed): "405 " + allowed.joined(separator: ", ")
    case .notFound: "404"
    }
}

@Test(arguments: [
    ("POST", "/v2/models/fraud/infer", "found model=fraud"),
    ("POST", "/v2/models/fraud/versions/3/infer", "found model=fraud version=3"),
    ("GET", "/v2/health/ready", "found"),
    ("HEAD", "/v2/health/ready", "found"),
    ("GET", "//v2//models/fraud/", "found model=fraud"),            // empty segments are skipped
    ("POST", "/v1/models/fraud:predict", "found model=fraud"),
    ("POST", "/v1/models/:predict", "404"),                          // the capture may not be empty
    ("POST", "/v1/models/fraud:predicT", "404"),
    ("GET", "/v2/models/fraud/infer", "405 POST"),
    ("PUT", "/v2/models/fraud", "405 GET, DELETE"),
    ("GET", "/v2/health/live", "404"),
    ("GET", "/v2/health/readyx", "404"),
    ("GET", "/", "404"),
    ("GET", "", "404"),
    ("POST", "/v2/models/a/versions/1/infer/more/segments/than/any", "404"),
])
func dispatchWalksThePathBytes(_ method: String, _ path: String, _ expected: String) {
    #expect(resolve(method, path[...]) == expected)
}

@Test func capturesAreSubstringsOfTheTarget() throws {
    let request = Request(method: "POST", target: "/v2/models/fraud/infer?x=/y")
    guard case .found(_, let parameters, _) = table().resolve(method: request.method, path: request.path) else {
        Issue.record("no match")
        return
    }
    #expect(parameters["model"] == "fraud")
    #expect(parameters["version"] == nil)
}

@Test func aThirdCaptureIsKeptBesideTheTwoHeldInline() throws {
    var endpoints = Endpoints()
    endpoints.add("GET", "/a/{one}/b/{two}/c/{three}") { _, _, _ in }
    guard case .found(_, let parameters, _) = endpoints.resolve(method: "GET", path: "/a/1/b/2/c/3") else {
        Issue.record("no match")
        return
    }
    #expect(parameters["one"] == "1")
    #expect(parameters["two"] == "2")
    #expect(parameters["three"] == "3")
    #expect(parameters.values.map(\.name) == ["one", "two", "three"])
}

@Test func theMatchedPatternIsAddedToTheRequestContext() throws {
    var endpoints = Endpoints()
    endpoints.add("POST", "/v2/models/{model}/infer") { _, _, writer in writer.send(.json(200, [])) }
    let recorder = ResponseRecorder()
    let request = Request(method: "POST", target: "/v2/models/fraud/infer?x=1")
    endpoints.dispatch(request, writer: ResponseWriter(recorder: recorder, context: RequestContext(request, now: 0)))
    #expect(recorder.all.first?.context.endpoint == "/v2/models/{model}/infer")
    #expect(recorder.all.first?.response.status == 200)
}

/// A handler's own error type, to show the boundary renders any adopter of the contract.
private struct Teapot: HTTPResponseError {
    var status: Int { 418 }
    var message: String { "short and stout" }
    var headers: Headers { Headers([("x-spout", "1")]) }
}

private struct NotAContractError: Error {}

@Test func whatAHandlerThrowsIsAnsweredThroughTheContract() throws {
    var endpoints = Endpoints()
    endpoints.add("GET", "/teapot") { _, _, _ in throw Teapot() }
    endpoints.add("GET", "/bug") { _, _, _ in throw NotAContractError() }
    let recorder = ResponseRecorder()
    for target in ["/teapot", "/bug", "/nowhere"] {
        let request = Request(method: "GET", target: target)
        endpoints.dispatch(request, writer: ResponseWriter(recorder: recorder, context: RequestContext(request, now: 0)))
    }
    endpoints.dispatch(Request(method: "PUT", target: "/teapot"), writer: ResponseWriter(recorder: recorder, context: RequestContext(Request(method: "PUT", target: "/teapot"), now: 0)))
    let answers = recorder.all.map(\.response)
    try #require(answers.count == 4)
    #expect(answers[0].status == 418)
    #expect(answers[0].headers["x-spout"] == "1")
    #expect(String(decoding: answers[0].body, as: UTF8.self) == #"{"error":"short and stout"}"#)
    // Outside the contract: our fault, a generic 500, the error kept for the log.
    #expect(answers[1].status == 500)
    #expect(String(decoding: answers[1].body, as: UTF8.self) == #"{"error":"internal error while serving the request"}"#)
    #expect(answers[1].failure is NotAContractError)
    #expect(answers[2].status == 404)
    #expect(answers[3].status == 405)
    #expect(answers[3].headers["allow"] == "GET")
}

@Test(arguments: [
    (["x-request-id": "abc-123"], "abc-123"),
    (["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"], "4bf92f3577b34da6a3ce929d0e0e4736"),
    // x-request-id wins over traceparent.
    (["x-request-id": "mine", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"], "mine"),
])
func aClientsRequestIdIsKept(_ fields: [String: String], _ expected: String) {
    let request = Request(method: "GET", target: "/", headers: Headers(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    #expect(RequestContext(request, now: 0).id == expected)
}

@Test(arguments: [
    [String: String](),
    ["x-request-id": ""],
    ["x-request-id": "has space"],
    ["x-request-id": String(repeating: "a", count: 129)],
    ["traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],  // all-zero trace id
    ["traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"],  // upper case
    ["traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],  // forbidden version
    ["traceparent": "garbage"],
])
func otherwiseAnIdIsMade(_ fields: [String: String]) {
    let request = Request(method: "GET", target: "/", headers: Headers(fields.map { ($0.key, $0.value) }))
    let a = RequestContext(request, now: 0).id
    let b = RequestContext(request, now: 0).id
    #expect(a.utf8.count == 15 && a.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 118) })
    #expect(a != b)
}
