import Foundation
import SluiceHTTP
import Testing
@testable import SluiceServer

/// Content codings over the wire: request bodies coded by gzip(1) and Python's zlib, a gzip
/// bomb, broken and unknown codings, and responses that `curl --compressed` decodes.
@Suite struct CompressionTests {
    static let inferFile = TestServer.bundledModels + "/../bench/infer-1row.json"

    static func inferBody() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: inferFile))) }

    /// A V2 request of `rows` rows (its answer is over a kilobyte from about 20 rows on).
    static func rowsBody(_ rows: Int) -> [UInt8] {
        let data = (0..<rows * 20).map { String(Double($0 % 17) / 8 - 1) }.joined(separator: ",")
        return Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(data)]}]}"#.utf8)
    }

    func infer(_ server: TestServer, _ body: [UInt8], headers: [String: String] = [:]) throws -> RawClient.Answer {
        try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a })
    }

    @Test func gzipAndDeflateRequestBodiesAreDecodedBeforeTheHandler() throws {
        let server = try TestServer()
        let plain = try Self.inferBody()
        let expected = try infer(server, plain)
        #expect(expected.status == 200)
        let gzipped = try Tool.run("gzip", ["-c"], input: Data(plain))
        #expect(gzipped.status == 0)
        let viaGzip = try infer(server, Array(gzipped.stdout), headers: ["Content-Encoding": "gzip"])
        #expect(viaGzip.status == 200, "\(viaGzip.text)")
        #expect(viaGzip.text == expected.text)
        let zlibbed = try Tool.python("zlib.compress(data)", plain)
        let viaDeflate = try infer(server, zlibbed, headers: ["Content-Encoding": "deflate"])
        #expect(viaDeflate.status == 200, "\(viaDeflate.text)")
        #expect(viaDeflate.text == expected.text)
        // Raw deflate blocks (what some clients send as "deflate") and an explicit identity.
        let raw = try Tool.python("(lambda c: c.compress(data) + c.flush())(zlib.compressobj(6, zlib.DEFLATED, -15))", plain)
        #expect(try infer(server, raw, headers: ["Content-Encoding": "deflate"]).text == expected.text)
        #expect(try infer(server, plain, headers: ["Content-Encoding": "identity"]).text == expected.text)
    }

    @Test func aGzipBombAnswers413() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 1 << 20 }
        // 10 MB of zeros: about 10 KB on the wire, ten times the limit once inflated.
        let bomb = try Tool.python("gzip.compress(bytes(10 * 1024 * 1024))", [])
        #expect(bomb.count < 64 * 1024)
        let client = try server.client()
        let answer = try client.request("POST", "/v2/models/fraud/infer", body: bomb,
                                        headers: ["Content-Type": "application/json", "Content-Encoding": "gzip"])
        #expect(answer.status == 413)
        #expect(answer.error?.contains("decompressed") == true, "\(answer.text)")
        // The connection stays usable.
        #expect(try client.request("GET", "/v2/health/live").status == 200)
    }

    @Test func corruptGzipAnswers400AndUnknownCodingsAnswer415() throws {
        let server = try TestServer()
        var gzipped = Array(try Tool.run("gzip", ["-c"], input: Data(try Self.inferBody())).stdout)
        for i in stride(from: 12, to: gzipped.count - 8, by: 7) { gzipped[i] ^= 0x5A }
        let corrupt = try infer(server, gzipped, headers: ["Content-Encoding": "gzip"])
        #expect(corrupt.status == 400)
        #expect(corrupt.error?.contains("gzip") == true, "\(corrupt.text)")
        let truncated = try infer(server, Array(gzipped.prefix(20)), headers: ["Content-Encoding": "gzip"])
        #expect(truncated.status == 400)
        let unknown = try infer(server, try Self.inferBody(), headers: ["Content-Encoding": "br"])
        #expect(unknown.status == 415)
        #expect(unknown.error?.contains("'br'") == true, "\(unknown.text)")
    }

    @Test func curlCompressedDecodesALargeAnswerMarkedGzipAndVary() throws {
        let server = try TestServer()
        let body = Self.rowsBody(64)
        let plain = try infer(server, body)
        #expect(plain.status == 200)
        #expect(plain.body.count >= 1024)
        #expect(plain.headers["content-encoding"] == nil)
        #expect(plain.headers["vary"] == "Accept-Encoding")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-gz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(body).write(to: URL(fileURLWithPath: "\(dir)/body.json"))
        let out = try Tool.run("curl", ["-sS", "--compressed", "-D", "\(dir)/head", "-H", "Content-Type: application/json",
                                        "--data-binary", "@\(dir)/body.json", "http://127.0.0.1:\(server.port)/v2/models/fraud/infer"])
        #expect(out.status == 0, "\(out.stderr)")
        let head = try String(contentsOfFile: "\(dir)/head", encoding: .utf8).lowercased()
        #expect(head.contains("content-encoding: gzip"), "\(head)")
        #expect(head.contains("vary: accept-encoding"))
        let length = head.firstMatch(of: /content-length: (\d+)/).flatMap { Int($0.1) } ?? 0
        #expect(length > 0 && length < plain.body.count)
        #expect(out.text == plain.text)
    }

    @Test func deflateIsChosenWhenGzipIsRefusedAndHeadMatchesGet() throws {
        let server = try TestServer { $0.compression.minBytes = 64 }
        let client = try server.client()
        let get = try client.request("GET", "/v2/models/fraud", headers: ["Accept-Encoding": "gzip;q=0, deflate"])
        #expect(get.status == 200)
        #expect(get.headers["content-encoding"] == "deflate")
        let identity = try client.request("GET", "/v2/models/fraud")
        #expect(try Tool.python("zlib.decompress(data)", get.body) == identity.body)
        let head = try client.request("HEAD", "/v2/models/fraud", headers: ["Accept-Encoding": "gzip;q=0, deflate"])
        #expect(head.headers["content-length"] == get.headers["content-length"])
        #expect(head.headers["content-encoding"] == "deflate")
        let refused = try client.request("GET", "/v2/models/fraud", headers: ["Accept-Encoding": "gzip;q=0, deflate;q=0"])
        #expect(refused.headers["content-encoding"] == nil)
        #expect(refused.body == identity.body)
    }

    @Test func smallAnswersAndDisabledCompressionGoOutAsTheyAre() throws {
        let server = try TestServer()
        let small = try server.client().request("GET", "/v2/health/ready", headers: ["Accept-Encoding": "gzip, deflate"])
        #expect(small.status == 200)
        #expect(small.headers["content-encoding"] == nil)
        #expect(small.headers["vary"] == nil)
        let off = try TestServer { $0.compression.enabled = false }
        let large = try infer(off, Self.rowsBody(64), headers: ["Accept-Encoding": "gzip"])
        #expect(large.status == 200)
        #expect(large.body.count >= 1024)
        #expect(large.headers["content-encoding"] == nil)
        #expect(large.headers["vary"] == nil)
    }
}
