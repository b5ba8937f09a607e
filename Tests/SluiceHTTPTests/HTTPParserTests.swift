import Testing
@testable import SluiceHTTP

private func parse(_ text: String, limits: HTTPParser.Limits = .init()) -> [HTTPParser.Event] {
    var parser = HTTPParser(limits: limits)
    parser.append(Array(text.utf8))
    var events: [HTTPParser.Event] = []
    while true {
        let event = parser.next()
        if case .needMore = event { break }
        events.append(event)
        if case .error = event { break }
    }
    return events
}

private func requests(_ events: [HTTPParser.Event]) -> [Request] {
    events.compactMap { if case .request(let r) = $0 { r } else { nil } }
}

private func error(_ events: [HTTPParser.Event]) -> HTTPParseError? {
    for case .error(let e) in events { return e }
    return nil
}

@Test func parsesASimpleGet() throws {
    let rs = requests(parse("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Thing:  a b \r\n\r\n"))
    let r = try #require(rs.first)
    #expect(r.method == "GET")
    #expect(r.target == "/v2/health/live")
    #expect(r.headers["x-thing"] == "a b")
    #expect(r.headers["X-THING"] == "a b")
    #expect(r.keepAlive)
    #expect(r.body.isEmpty)
}

@Test func parsesAContentLengthBody() throws {
    let r = try #require(requests(parse("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")).first)
    #expect(r.body == Array("hello".utf8))
}

@Test func parsesPipelinedRequestsInOrder() {
    let rs = requests(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: x\r\n\r\n"))
    #expect(rs.map(\.target) == ["/a", "/b", "/c"])
    #expect(rs[1].body == Array("hi".utf8))
}

@Test func waitsForBytesSplitAnywhere() throws {
    let text = Array("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n".utf8)
    for split in 1..<text.count {
        var parser = HTTPParser()
        parser.append(Array(text[0..<split]))
        var got: Request?
        if case .request(let r) = parser.next() { got = r }
        parser.append(Array(text[split...]))
        if got == nil, case .request(let r) = parser.next() { got = r }
        #expect(got?.body == Array("abcde".utf8), "split at \(split)")
    }
}

@Test func http10ClosesUnlessKeepAlive() throws {
    #expect(try #require(requests(parse("GET / HTTP/1.0\r\n\r\n")).first).keepAlive == false)
    #expect(try #require(requests(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).first).keepAlive)
    #expect(try #require(requests(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).first).keepAlive == false)
}

@Test func expectContinueIsAnnouncedBeforeTheBody() {
    var parser = HTTPParser()
    parser.append(Array("POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
    guard case .expectContinue = parser.next() else { Issue.record("no 100-continue"); return }
    guard case .needMore = parser.next() else { Issue.record("expected needMore"); return }
    parser.append(Array("abc".utf8))
    guard case .request(let r) = parser.next() else { Issue.record("no request"); return }
    #expect(r.body == Array("abc".utf8))
}

@Test(arguments: [
    ("GET /\r\nHost: x\r\n\r\n", 400),                                     // no version
    ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),                           // double space
    ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),                            // bad method
    ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\n\r\n", 400),                                       // no Host
    ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),                           // space before colon
    ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),                 // obs-fold
    ("GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400),                      // bare LF
    ("GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400),                      // bare CR
    ("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400),
])
func malformedRequestsAreRefusedWithTheirStatus(_ text: String, _ status: Int) throws {
    let e = try #require(error(parse(text)), "\(text.debugDescription) was accepted")
    #expect(e.status == status, "\(text.debugDescription): \(e)")
}

@Test func oversizedHeadersAnswer431EvenBeforeTheyEnd() throws {
    let limits = HTTPParser.Limits(maxHeaderBytes: 64, maxBodyBytes: 1024)
    let e = try #require(error(parse("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 100), limits: limits)))
    #expect(e.status == 431)
}

@Test func announcedOversizedBodyIsRefusedBeforeItIsRead() throws {
    let limits = HTTPParser.Limits(maxHeaderBytes: 1024, maxBodyBytes: 10)
    let e = try #require(error(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: limits)))
    #expect(e == .bodyTooLarge(limit: 10))
}

@Test func chunkedBodyOverTheLimitIsRefused() throws {
    let limits = HTTPParser.Limits(maxHeaderBytes: 1024, maxBodyBytes: 4)
    let e = try #require(error(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n", limits: limits)))
    #expect(e.status == 413)
}

@Test func phaseFollowsTheRequest() {
    var parser = HTTPParser()
    #expect(parser.phase == .idle)
    parser.append(Array("POST / HTTP/1.1\r\nHo".utf8))
    _ = parser.next()
    #expect(parser.phase == .head)
    parser.append(Array("st: x\r\nContent-Length: 2\r\n\r\na".utf8))
    _ = parser.next()
    #expect(parser.phase == .body)
    parser.append(Array("b".utf8))
    _ = parser.next()
    #expect(parser.phase == .idle)
}

@Test func wellKnownNamesInAnyCaseAreStoredLowerCase() throws {
    let r = try #require(requests(parse(
        "POST /p HTTP/1.1\r\nHOST: h\r\nContent-TYPE: application/json\r\ncontent-length: 2\r\nAuthorization: Bearer t\r\nX-Other: o\r\n\r\nhi")).first)
    #expect(r.headers.map(\.name) == ["host", "content-type", "content-length", "authorization", "x-other"])
    #expect(r.headers["content-type"] == "application/json")
    #expect(r.headers["Authorization"] == "Bearer t")
    #expect(r.body == Array("hi".utf8))
}

@Test func namesThatOnlyResembleKnownOnesAreOrdinaryFields() throws {
    // Same length and first letter as `host` / `content-length`, so they reach the comparison.
    let r = try #require(requests(parse("GET / HTTP/1.1\r\nHost: x\r\nHoss: y\r\nContent-Lengtz: 5\r\n\r\n")).first)
    #expect(r.headers["hoss"] == "y")
    #expect(r.headers["content-lengtz"] == "5")
    #expect(r.body.isEmpty)  // not a Content-Length: no body expected
}

@Test func repeatedEqualLengthsAndListsStillFrame() throws {
    let twice = try #require(requests(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi")).first)
    #expect(twice.body == Array("hi".utf8))
    let list = try #require(requests(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nhi")).first)
    #expect(list.body == Array("hi".utf8))
    let padded = try #require(requests(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:  007 \r\n\r\n1234567")).first)
    #expect(padded.body == Array("1234567".utf8))
}

@Test(arguments: [
    "GET / HTTP/1.1\nHost: x\n\n",                                       // LF only
    "GET / HTTP/1.1\r\nHost: xyz\n\n",                                   // the last two line ends
    "GET / HTTP/1.1\r\nHost: x\r\n\n",                                   // CR LF LF
    "GET / HTTP/1.1\r\nHost: x\n\r\n",                                   // LF CR LF
    "POST / HTTP/1.1\nHost: x\nContent-Length: 11\n\n{\"a\": [1, 2]}",  // a body follows
])
func aHeadWithABareLFIsRefusedAsSoonAsTheLFIsThere(_ text: String) throws {
    // Whole: refused at once, not left waiting for a CR LF CR LF that will never come (408).
    let e = try #require(error(parse(text)), "\(text.debugDescription) was left waiting")
    #expect(e == .badHeader("bare LF"))
    // One byte at a time: refused with the first bare LF, whatever the search skipped.
    let bytes = Array(text.utf8)
    let firstBare = try #require(bytes.indices.first { bytes[$0] == 10 && ($0 == 0 || bytes[$0 - 1] != 13) })
    var parser = HTTPParser()
    var refusedAt: Int?
    for (i, byte) in bytes.enumerated() where refusedAt == nil {
        parser.append([byte])
        if case .error = parser.next() { refusedAt = i }
    }
    #expect(refusedAt == firstBare, "\(text.debugDescription)")
}

@Test func connectionTokensAreReadFromAnyCase() throws {
    #expect(try #require(requests(parse("GET / HTTP/1.1\r\nHost: x\r\nCONNECTION: Keep-Alive, CLOSE\r\n\r\n")).first).keepAlive == false)
}

@Test func headEndIsFoundWhenFedOneByteAtATime() {
    // The first body is a CR LF CR look-alike of a head's end, right behind a real one.
    let text = Array("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\r\n\rGET /b HTTP/1.1\r\nHost: y\r\n\r\n".utf8)
    var parser = HTTPParser()
    var got: [Request] = []
    for byte in text {
        parser.append([byte])
        while case .request(let r) = parser.next() { got.append(r) }
    }
    #expect(got.map(\.target) == ["/a", "/b"])
    #expect(got.first?.body == [13, 10, 13])
}

@Test func bodiesThatArriveWithTheHeadAndAfterItAreTheSame() {
    let whole = requests(parse("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /q HTTP/1.1\r\nHost: x\r\n\r\n"))
    #expect(whole.map(\.target) == ["/p", "/q"])
    #expect(whole.first?.body == Array("abc".utf8))
    var parser = HTTPParser()
    parser.append(Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na".utf8))
    guard case .needMore = parser.next() else { Issue.record("a partial body was accepted"); return }
    #expect(parser.phase == .body)
    parser.append(Array("bc".utf8))
    guard case .request(let r) = parser.next() else { Issue.record("no request"); return }
    #expect(r.body == Array("abc".utf8))
    #expect(parser.phase == .idle)
}

@Test func aFieldNameAcceptsExactlyTheTokenBytes() {
    // RFC 9110 tchar: digits, letters and !#$%&'*+-.^_`|~; every other byte in a name is a 400.
    let tchar = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
    for b in UInt8.min...UInt8.max where b != UInt8(ascii: ":") && b != 13 && b != 10 {
        var parser = HTTPParser(limits: .init())
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\nX".utf8) + [b] + Array("Y: v\r\n\r\n".utf8))
        let refused: Bool
        switch parser.next() {
        case .request: refused = false
        case .error(let e): refused = e.status == 400
        default: refused = false
        }
        #expect(refused == !tchar.contains(b), "byte \(b)")
    }
}

@Test(arguments: [
    ("X-Request-ID: abc\r\n", true, "abc"),
    ("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n", true, "4bf92f3577b34da6a3ce929d0e0e4736"),
    ("X-Request-Idx: abc\r\n", false, nil),
    ("", false, nil),
])
func theParserFlagsARequestIdAsItReadsTheHead(_ field: String, _ flagged: Bool, _ id: String?) throws {
    let r = try #require(requests(parse("GET / HTTP/1.1\r\nHost: x\r\n\(field)\r\n")).first)
    #expect(r.mentionsRequestID == flagged)
    let context = RequestContext(r, now: 0)
    if let id { #expect(context.id == id) } else { #expect(context.givenID == nil && context.id.utf8.count == 15) }
}

@Test func aLargeRequestLeavesNoRoomBehindOnceParsed() {
    var parser = HTTPParser()
    let body = [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20)
    parser.append(Array("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
    parser.append(Array("GET /next HTTP/1.1\r\n".utf8))  // the start of a pipelined request
    guard case .request(let request) = parser.next() else {
        Issue.record("the upload is complete")
        return
    }
    #expect(request.body.count == body.count)
    #expect(parser.bufferedCount == 20)
    #expect(parser.buffer.capacity < 64 << 10, "the connection would hold \(parser.buffer.capacity) bytes for the upload")
}
