import Testing
@testable import SluiceHTTP

@Test func responseSerializationAddsLengthDateAndClose() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: false, keepAlive: false, date: Array("D".utf8))
    #expect(parts.body.isEmpty)  // a small body rides in the head's buffer
    #expect(String(decoding: parts.head, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\nconnection: close\r\n\r\n{}")
}

@Test func headResponsesKeepTheLengthAndDropTheBody() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: true, keepAlive: true, date: Array("D".utf8))
    #expect(String(decoding: parts.head + parts.body, as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\n\r\n")
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
    let parts = HTTPConnection.serialize(.error(503, "busy", headers: headers), omitBody: false, keepAlive: true, date: Array("D".utf8))
    #expect(String(decoding: parts.head, as: UTF8.self)
        == "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 16\r\ndate: D\r\n\r\n{\"error\":\"busy\"}")
}

@Test func largeBodiesAreHandedOverUncopied() {
    let body = [UInt8](repeating: 120, count: HTTPConnection.inlineBodyLimit + 1)
    let parts = HTTPConnection.serialize(Response(status: 200, body: body), omitBody: false, keepAlive: true, date: Array("D".utf8))
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
    case .found(_, let parameters): (["found"] + parameters.values.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
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
    guard case .found(_, let parameters) = table().resolve(method: request.method, path: request.path) else {
        Issue.record("no match")
        return
    }
    #expect(parameters["model"] == "fraud")
    #expect(parameters["version"] == nil)
}

@Test func aThirdCaptureIsKeptBesideTheTwoHeldInline() throws {
    var endpoints = Endpoints()
    endpoints.add("GET", "/a/{one}/b/{two}/c/{three}") { _, _, _ in }
    guard case .found(_, let parameters) = endpoints.resolve(method: "GET", path: "/a/1/b/2/c/3") else {
        Issue.record("no match")
        return
    }
    #expect(parameters["one"] == "1")
    #expect(parameters["two"] == "2")
    #expect(parameters["three"] == "3")
    #expect(parameters.values.map(\.name) == ["one", "two", "three"])
}
