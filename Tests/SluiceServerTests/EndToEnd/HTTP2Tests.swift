import Foundation
import Testing
@testable import SluiceServer
import SluiceCore
import SluiceHTTP

private let rowJSON = (0..<20).map { String(Double($0) / 10 - 1) }.joined(separator: ",")
private let inferBody = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#

/// HTTP/2 end to end with real clients: curl (prior knowledge and `Upgrade: h2c`), h2load with
/// many streams, and a raw frame client for what those will not do.
@Suite struct HTTP2Tests {
    @Test(arguments: [
        ("GET", "/v2/health/ready", nil),
        ("GET", "/v2/models/fraud", nil),
        ("GET", "/v2/models/nope", nil),
        ("POST", "/v2/models/fraud/infer", inferBody),
        ("POST", "/v2/models/fraud/infer", "{not json"),
        ("POST", "/v1/models/fraud:predict", #"{"instances":[[\#(rowJSON)]]}"#),
        ("GET", "/v1/models/fraud", nil),
        ("DELETE", "/v2/health/ready", nil),
    ] as [(String, String, String?)])
    func everyEndpointAnswersOverH2AsOverHTTP1(_ method: String, _ path: String, _ body: String?) throws {
        let server = try TestServer()
        let headers = body == nil ? [:] : ["content-type": "application/json"]
        let h1 = try server.client().request(method, path, body: body.map { Array($0.utf8) }, headers: headers)
        let h2 = try Curl.request(.priorKnowledge, port: server.port, method, path, body: body.map { Array($0.utf8) }, headers: headers)
        #expect(h2.version == "2")
        #expect(h2.status == h1.status)
        #expect(h2.text == h1.text)
        #expect(h2.headers["content-type"] == h1.headers["content-type"])
        if h1.status >= 400 { #expect(h2.json?["error"] is String, "\(h2.text)") }
    }

    @Test func binaryTensorDataWorksOverH2() throws {
        let server = try TestServer()
        let header = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"parameters":{"binary_data_size":80}}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}},{"name":"label"}]}"#
        var body = Array(header.utf8)
        for i in 0..<20 { withUnsafeBytes(of: Float(Double(i) / 10 - 1).bitPattern.littleEndian) { body += $0 } }
        let fields = ["inference-header-content-length": String(header.utf8.count), "content-type": "application/octet-stream"]
        let h2 = try Curl.request(.priorKnowledge, port: server.port, "POST", "/v2/models/fraud/infer", body: body, headers: fields)
        let h1 = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: fields)
        #expect(h2.status == 200, "\(h2.text)")
        let length = try #require(Int(h2.headers["inference-header-content-length"] ?? ""))
        let answer = try V2ResponseDecoder.decode(h2.body, jsonLength: length)
        #expect(answer.outputs.map(\.name) == ["probabilities", "label"])
        #expect(h2.body == h1.body)
    }

    @Test func curlUpgradesACleartextConnectionWithH2c() throws {
        let features = try Tool.run("curl", ["-V"])
        #expect(features.text.contains("HTTP2"), "this curl cannot speak HTTP/2: \(features.all)")
        let server = try TestServer()
        let ready = try Curl.request(.upgrade, port: server.port, "GET", "/v2/health/ready")
        #expect(ready.version == "2")
        #expect(ready.status == 200)
        #expect(ready.text == (try server.client().request("GET", "/v2/health/ready").text))
        // The upgrading request may carry a body: it becomes stream 1 whole.
        let json = ["content-type": "application/json"]
        let infer = try Curl.request(.upgrade, port: server.port, "POST", "/v2/models/fraud/infer", body: Array(inferBody.utf8), headers: json)
        #expect(infer.version == "2")
        #expect(infer.text == (try server.client().request("POST", "/v2/models/fraud/infer", json: inferBody).text))
    }

    @Test func withHTTP2DisabledTheUpgradeIsDeclinedAndHTTP1Answers() throws {
        let server = try TestServer { $0.http2.enabled = false }
        let answer = try Curl.request(.upgrade, port: server.port, "GET", "/v2/health/ready")
        #expect(answer.version == "1.1")
        #expect(answer.status == 200)
    }

    @Test func h2loadWithManyStreamsPerConnectionSeesNoFailures() throws {
        let server = try TestServer()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-h2load-\(UUID().uuidString).json")
        try Data(inferBody.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Tool.run("h2load", [
            "-c", "4", "-m", "10", "-n", "2000", "-d", file.path, "-H", "content-type: application/json",
            "http://127.0.0.1:\(server.port)/v2/models/fraud/infer",
        ], timeout: 120)
        #expect(run.status == 0, "\(run.all)")
        #expect(run.text.contains("requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(run.all)")
        #expect(run.text.contains("status codes: 2000 2xx"), "\(run.all)")
    }

    @Test func anOversizedBodyGets413WhileOtherStreamsOnTheConnectionGoOn() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 1024 }
        let ready = try server.client().request("GET", "/v2/health/ready").text
        let c = try FrameClient(port: server.port)
        // Stream 1 streams a body past the limit; stream 3 announces one; stream 5 is fine.
        c.request(stream: 1, "POST", "/v2/models/fraud/infer", fields: [("content-type", "application/json")], endStream: false)
        c.send(data: Array(repeating: 32, count: 4096), stream: 1, endStream: false)
        c.request(stream: 3, "POST", "/v2/models/fraud/infer", fields: [("content-length", "5000")], endStream: false)
        c.request(stream: 5, "GET", "/v2/health/ready", endStream: true)
        var ended: Set<UInt32> = []
        let frames = try c.frames { frame in
            if frame.endStream { ended.insert(frame.stream) }
            return ended.isSuperset(of: [1, 3, 5])
        }
        #expect(FrameClient.body(of: 1, in: frames).contains("request body exceeds 1024 bytes"))
        #expect(FrameClient.body(of: 3, in: frames).contains("request body exceeds 1024 bytes"))
        #expect(FrameClient.body(of: 5, in: frames) == ready)
        // The connection is still good for a new stream.
        c.request(stream: 7, "GET", "/v2/health/ready", endStream: true)
        let more = try c.frames { $0.stream == 7 && $0.endStream }
        #expect(FrameClient.body(of: 7, in: more) == ready)
        #expect(server.server.httpStats.errorCounts.contains { $0.status == 413 && $0.count == 2 })
    }

    @Test func garbageAfterThePrefaceClosesThatConnectionWithGoawayOnly() throws {
        let server = try TestServer()
        let bad = try FrameClient(port: server.port)
        // A frame header claiming a 16 MB DATA frame on stream 0, then noise.
        bad.raw.send([0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + Array("garbage, not frames".utf8))
        let frames = try bad.frames { _ in false }  // until the server closes
        let goaway = try #require(frames.first { $0.type == FrameClient.goaway })
        #expect(goaway.payload.count >= 8)
        #expect(goaway.payload[4..<8] != [0, 0, 0, 0], "GOAWAY should carry an error code")
        // Everyone else is served.
        #expect(try server.client().request("GET", "/v2/health/ready").status == 200)
        #expect(try Curl.request(.priorKnowledge, port: server.port, "GET", "/v2/health/ready").status == 200)
    }

    @Test func gracefulShutdownSendsGoawayAndFinishesTheStreamsBegun() throws {
        let server = try TestServer()
        let c = try FrameClient(port: server.port)
        let body = Array(inferBody.utf8)
        c.request(stream: 1, "POST", "/v2/models/fraud/infer",
                  fields: [("content-type", "application/json"), ("content-length", String(body.count))], endStream: false)
        c.send(data: Array(body[0..<10]), stream: 1, endStream: false)
        // Frames are read in order: once stream 3 is answered, stream 1's head has been seen.
        c.request(stream: 3, "GET", "/v2/health/live", endStream: true)
        _ = try c.frames { $0.stream == 3 && $0.endStream }

        let done = DispatchSemaphore(value: 0)
        let http = server.server
        DispatchQueue.global().async {
            http.shutdown(grace: 20)
            done.signal()
        }
        let untilGoaway = try c.frames { $0.type == FrameClient.goaway }
        let goaway = try #require(untilGoaway.last)
        #expect(goaway.type == FrameClient.goaway)
        #expect(goaway.payload[4..<8] == [0, 0, 0, 0], "a graceful GOAWAY says NO_ERROR")
        c.send(data: Array(body[10...]), stream: 1, endStream: true)
        let rest = try c.frames { _ in false }  // until the server closes
        #expect(FrameClient.body(of: 1, in: rest).contains(#""model_name":"fraud""#))
        #expect(done.wait(timeout: .now() + 20) == .success)
    }

    @Test func announcedBodiesReserveAWindowNotTheirLength() throws {
        // 90 streams announcing 64 MiB each and sending nothing: reserving what they announce
        // would take 5.6 GB of address space; a window each (1 MiB) is 90 MiB.
        let server = try TestServer()
        let c = try FrameClient(port: server.port)
        let before = try #require(Self.virtualMemoryBytes())
        for k in 0..<90 {
            c.request(stream: UInt32(2 * k + 1), "POST", "/v2/models/fraud/infer",
                      fields: [("content-type", "application/json"), ("content-length", String(64 << 20))], endStream: false)
        }
        // Frames are handled in order: once this one is answered, every head before it was read.
        c.request(stream: 181, "GET", "/v2/health/live", endStream: true)
        _ = try c.frames { $0.stream == 181 && $0.endStream }
        let after = try #require(Self.virtualMemoryBytes())
        #expect(after - before < 1 << 30, "address space grew by \(after - before) bytes")
    }

    /// VmSize of this process (the server runs in it), from /proc. The kernel pads the number
    /// after the tab to 8 characters: a longer one (a sanitizer build's terabytes of shadow)
    /// follows the tab directly, so the fields are split at tabs and spaces both.
    static func virtualMemoryBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kB = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { return nil }
        return kB * 1024
    }

    @Test func anIdleH2ConnectionGetsGoawayAfterTheIdleTimeout() throws {
        let server = try TestServer { $0.limits.idleTimeout = 300_000_000 }
        let c = try FrameClient(port: server.port)
        let frames = try c.frames { _ in false }  // until the server closes
        #expect(frames.contains { $0.type == FrameClient.goaway })
    }

    @Test func aStreamWhoseBodyStallsGets408() throws {
        let server = try TestServer { $0.limits.bodyTimeout = 300_000_000 }
        let c = try FrameClient(port: server.port)
        c.request(stream: 1, "POST", "/v2/models/fraud/infer", fields: [("content-length", "100")], endStream: false)
        let frames = try c.frames { $0.stream == 1 && $0.endStream }
        #expect(FrameClient.body(of: 1, in: frames).contains("body timeout"))
    }

    @Test func headersOverTheLimitGet431OnThatStream() throws {
        let server = try TestServer { $0.limits.maxHeaderBytes = 1024 }
        let c = try FrameClient(port: server.port)
        c.request(stream: 1, "GET", "/v2/health/ready", fields: [("x-big", String(repeating: "a", count: 2000))], endStream: true)
        c.request(stream: 3, "GET", "/v2/health/ready", endStream: true)
        var ended: Set<UInt32> = []
        let frames = try c.frames { frame in
            if frame.endStream { ended.insert(frame.stream) }
            return ended.isSuperset(of: [1, 3])
        }
        #expect(FrameClient.body(of: 1, in: frames).contains("request headers exceed 1024 bytes"))
        #expect(FrameClient.body(of: 3, in: frames).contains("ready"))
    }

    @Test func metricsCountH2ConnectionsAndStreams() throws {
        let server = try TestServer()
        let c = try FrameClient(port: server.port)
        c.request(stream: 1, "GET", "/v2/health/ready", endStream: true)
        _ = try c.frames { $0.stream == 1 && $0.endStream }
        let text = try server.client().request("GET", "/metrics").text
        #expect(text.contains(#"sluice_connections_open{protocol="h2"} 1"#), "\(text)")
        #expect(text.contains(#"sluice_connections_open{protocol="http1"} 1"#), "\(text)")
        #expect(text.contains("sluice_http2_streams_total 1"), "\(text)")
    }
}

extension HTTP2Tests {
    /// With a 1,000-byte stream window, an answer of several kilobytes comes in DATA frames
    /// that never exceed what the client granted, and arrives whole as grants follow.
    @Test func answersRespectTheClientsFlowControlWindow() throws {
        let server = try TestServer()
        let rows = 256
        let data = Array(repeating: rowJSON, count: rows).joined(separator: ",")
        let body = Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(data)]}]}"#.utf8)
        let expected = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: ["content-type": "application/json"])
        #expect(expected.body.count > 4000)

        let window: UInt32 = 1000
        let c = try FrameClient(port: server.port, initialWindow: window)
        c.request(stream: 1, "POST", "/v2/models/fraud/infer",
                  fields: [("content-type", "application/json"), ("content-length", String(body.count))], endStream: false)
        var offset = 0
        while offset < body.count {  // 16 KiB frames: the server's max frame size
            let end = min(body.count, offset + 16_384)
            c.send(data: Array(body[offset..<end]), stream: 1, endStream: end == body.count)
            offset = end
        }
        var granted = Int(window), received: [UInt8] = []
        var overran = false
        _ = try c.frames { frame in
            guard frame.stream == 1 else { return false }
            if frame.type == FrameClient.data {
                received += frame.payload
                overran = overran || received.count > granted
                if received.count == granted && !frame.endStream {
                    c.windowUpdate(stream: 1, window)
                    granted += Int(window)
                }
            }
            return frame.endStream
        }
        #expect(!overran, "the server sent past the window")
        #expect(granted > Int(window), "the answer should have needed more than one window")
        #expect(received == expected.body)
    }
}

/// HTTP/2 with the other two parts of the same issue: TLS (ALPN h2) and content codings.
extension HTTP2Tests {
    @Test func curlSpeaksH2OverTLSThroughALPNWithTheSameAnswers() throws {
        let certs = try TestCertificates()
        let server = try TLSTests.server(certs)
        let json = ["content-type": "application/json"]
        let h2 = try Curl.request(.tlsALPN, port: server.server.tlsPort, "POST", "/v2/models/fraud/infer", body: Array(inferBody.utf8), headers: json)
        #expect(h2.version == "2")
        #expect(h2.status == 200)
        #expect(h2.text == (try server.client().request("POST", "/v2/models/fraud/infer", json: inferBody).text))
        let missing = try Curl.request(.tlsALPN, port: server.server.tlsPort, "GET", "/v2/models/nope")
        #expect(missing.version == "2")
        #expect(missing.status == 404)
        #expect(missing.json?["error"] is String)
        // A scrape over h2 on TLS sees itself as one h2-tls connection.
        let scrape = try Curl.request(.tlsALPN, port: server.server.tlsPort, "GET", "/metrics")
        #expect(scrape.text.contains(#"sluice_connections_open{protocol="h2-tls"} 1"#), "\(scrape.text)")
        #expect(scrape.text.contains(#"sluice_connections_open{protocol="http1-tls"} 0"#), "\(scrape.text)")
    }

    @Test func h2StreamsDecodeGzipBodiesAndCompressAnswers() throws {
        let server = try TestServer()
        let plain = try server.client().request("POST", "/v2/models/fraud/infer", json: inferBody)
        let gzipped = try Tool.run("gzip", ["-c"], input: Data(inferBody.utf8))
        #expect(gzipped.status == 0)
        let coded = try Curl.request(.priorKnowledge, port: server.port, "POST", "/v2/models/fraud/infer", body: Array(gzipped.stdout),
                                     headers: ["content-type": "application/json", "content-encoding": "gzip"])
        #expect(coded.version == "2")
        #expect(coded.status == 200, "\(coded.text)")
        #expect(coded.text == plain.text)
        // /metrics is well over the 1 KiB threshold: gzip when asked for, over h2 as over h1.
        let metrics = try Curl.request(.priorKnowledge, port: server.port, "GET", "/metrics", headers: ["accept-encoding": "gzip"])
        #expect(metrics.headers["content-encoding"] == "gzip")
        #expect(metrics.headers["vary"] == "Accept-Encoding")
        let unzipped = try Tool.run("gzip", ["-dc"], input: Data(metrics.body))
        #expect(unzipped.status == 0)
        #expect(unzipped.text.contains("sluice_http2_streams_total"))
    }
}
