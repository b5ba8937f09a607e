import Testing
@testable import SluiceHTTP

private func firstRequest(_ text: String) throws -> Request {
    var parser = HTTPParser()
    parser.append(Array(text.utf8))
    guard case .request(let request) = parser.next() else { throw HTTPParseError.badRequestLine("no request") }
    return request
}

@Test(arguments: [
    ("Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings", true),
    ("upgrade: websocket, H2C", true),
    ("Upgrade: websocket", false),
    ("X-Other: h2c", false),
])
func theParserFlagsAnH2cUpgrade(_ fields: String, _ wanted: Bool) throws {
    let request = try firstRequest("GET / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n\r\n")
    #expect(request.wantsH2c == wanted)
}

@Test func anHTTP10RequestNeverUpgrades() throws {
    #expect(try !firstRequest("GET / HTTP/1.0\r\nUpgrade: h2c\r\n\r\n").wantsH2c)
}

@Test func theParserHandsOverWhatFollowsARequest() throws {
    var parser = HTTPParser()
    parser.append(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\nPRI * HTTP/2.0".utf8))
    guard case .request = parser.next() else { Issue.record("no request"); return }
    #expect(parser.takeBuffered() == Array("PRI * HTTP/2.0".utf8))
    #expect(parser.bufferedCount == 0)
}

@Test(arguments: [
    // The SETTINGS curl sends: 3 settings of 6 bytes.
    ("AAMAAABkAAQCAAAAAAIAAAAA", 18),
    ("", 0),
    ("_-_-", 3),
])
func base64URLDecodesTheSettingsField(_ text: String, _ count: Int) throws {
    #expect(try #require(Base64URL.decode(text)).count == count)
}

@Test(arguments: ["AAM=", "A", "no spaces"])
func base64URLRefusesPaddingAndJunk(_ text: String) {
    #expect(Base64URL.decode(text) == nil)
}

@Test func http2FieldsPutStatusFirstAndDropConnectionFields() {
    var headers = Headers()
    headers.add("Content-Type", "application/json")
    headers.add("Connection", "close")
    headers.add("Transfer-Encoding", "chunked")
    headers.add("content-length", "999")
    headers.add("x-sluice-model-version", "2")
    let response = Response(status: 404, headers: headers, body: Array("{}".utf8))
    let (storage, fields) = HTTP2Fields.encode(response, date: Array("Sun, 29 Nov 2026 11:00:00 GMT".utf8))
    let pairs = fields.map { (String(decoding: storage[$0.name], as: UTF8.self), String(decoding: storage[$0.value], as: UTF8.self)) }
    #expect(pairs.map(\.0) == [":status", "content-type", "x-sluice-model-version", "content-length", "date"])
    #expect(pairs.map(\.1) == ["404", "application/json", "2", "2", "Sun, 29 Nov 2026 11:00:00 GMT"])
}
