import Testing
@testable import SluiceHTTP

@Test(arguments: [
    ("gzip, deflate", AcceptEncoding.Choice.gzip),
    ("deflate", .deflate),
    ("deflate;q=1, gzip;q=0.5", .deflate),
    ("gzip;q=0, deflate;q=0.2", .deflate),
    ("*", .gzip),
    ("*;q=0.5, gzip;q=0", .deflate),
    ("br", .identity),
    ("identity;q=0, br", .identity),
    ("identity", .identity),
    ("", .identity),
    ("GZIP;Q=0.8", .gzip),
    ("x-gzip", .gzip),
    ("gzip;q=0, deflate;q=0, *;q=1", .identity),
])
func acceptEncodingPicksTheBestCodingByQValue(_ header: String, _ expected: AcceptEncoding.Choice) {
    #expect(AcceptEncoding.choose(header) == expected)
}

@Test func zlibRoundTripsEachFraming() throws {
    let text = Array(String(repeating: "sluice serves models; ", count: 200).utf8)
    for framing in [Zlib.Framing.gzip, .zlib, .raw] {
        let packed = try #require(Zlib.deflate(text, framing, level: 1))
        #expect(packed.count < text.count)
        #expect(try Zlib.inflate(packed, framing, limit: text.count).get() == text)
    }
}

@Test func inflatingStopsAtTheLimit() throws {
    let zeros = [UInt8](repeating: 0, count: 4 << 20)
    let packed = try #require(Zlib.deflate(zeros, .gzip, level: 9))
    #expect(Zlib.inflate(packed, .gzip, limit: 1 << 20) == .failure(.tooLarge))
    #expect(try Zlib.inflate(packed, .gzip, limit: 4 << 20).get().count == 4 << 20)
}

@Test func concatenatedGzipMembersAreDecodedInTurn() throws {
    let a = Array("first ".utf8), b = Array("second".utf8)
    let both = try #require(Zlib.deflate(a, .gzip, level: 1)) + (try #require(Zlib.deflate(b, .gzip, level: 1)))
    #expect(try Zlib.inflate(both, .gzip, limit: 100).get() == a + b)
}

@Test func theRequestSideLeavesRequestsWithoutCodingHeadersAlone() {
    let coding = ContentCoding(settings: .init(), maxBodyBytes: 100)
    var request = Request(method: "POST", target: "/", headers: Headers([("content-type", "application/json")]), body: [1, 2, 3])
    #expect(!request.mentionsCoding)
    guard case .proceed(nil) = coding.prepare(&request) else {
        Issue.record("a plain request was not passed on")
        return
    }
    #expect(request.body == [1, 2, 3])
}

@Test func theRequestSideDecodesAndDropsContentEncoding() throws {
    let coding = ContentCoding(settings: .init(), maxBodyBytes: 100)
    let body = Array("{\"a\": 1}".utf8)
    var request = Request(method: "POST", target: "/", headers: Headers([("Content-Encoding", "gzip"), ("Accept-Encoding", "br")]),
                          body: try #require(Zlib.deflate(body, .gzip, level: 1)))
    guard case .proceed(let accept) = coding.prepare(&request) else {
        Issue.record("a gzip request was refused")
        return
    }
    #expect(accept == "br")
    #expect(request.body == body)
    #expect(request.headers["content-encoding"] == nil)
    #expect(request.headers["content-length"] == String(body.count))
}

@Test func theResponseSideCompressesOnlyWhatCouldBe() {
    var settings = ContentCoding.Settings()
    settings.minBytes = 10
    let coding = ContentCoding(settings: settings, maxBodyBytes: 100)
    let body = Array(String(repeating: "abc", count: 100).utf8)
    var ok = Response(status: 200, body: body)
    coding.finish(&ok, acceptEncoding: "gzip")
    #expect(ok.headers["content-encoding"] == "gzip")
    #expect(ok.headers["vary"] == "Accept-Encoding")
    #expect((try? Zlib.inflate(ok.body, .gzip, limit: 1000).get()) == body)
    var small = Response(status: 200, body: [1, 2, 3])
    coding.finish(&small, acceptEncoding: "gzip")
    #expect(small.headers["vary"] == nil && small.body == [1, 2, 3])
    var noContent = Response(status: 304, body: body)
    coding.finish(&noContent, acceptEncoding: "gzip")
    #expect(noContent.headers["content-encoding"] == nil && noContent.body == body)
    var noAccept = Response(status: 200, body: body)
    coding.finish(&noAccept, acceptEncoding: nil)
    #expect(noAccept.headers["content-encoding"] == nil && noAccept.headers["vary"] == "Accept-Encoding")
}
