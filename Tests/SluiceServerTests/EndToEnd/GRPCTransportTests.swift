import Foundation
import Synchronization
import Testing
@testable import SluiceServer
import SluiceCore
@testable import SluiceHTTP

/// The context of the last `Hold` call: its stream stays open until the client resets it.
private let held = Mutex<RequestContext?>(nil)

/// A server with two gRPC methods and one REST endpoint: `Echo` answers its message back,
/// `Fail` throws a serving error, `/rest` answers JSON.
private func echoServer(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws -> HTTPServer {
    var rest = Endpoints()
    rest.add("POST", "/rest") { _, _, writer in writer.send(.json(200, Array(#"{"rest":true}"#.utf8))) }
    var grpc = Endpoints()
    grpc.add("POST", "/test.Echo/Echo") { request, _, writer in writer.send(Response(status: 200, body: request.body)) }
    grpc.add("POST", "/test.Echo/Fail") { _, _, _ in throw ServingError.modelNotFound("ghost") }
    // Streams its message back three times, from another thread, then ends as the message says.
    grpc.add("POST", "/test.Echo/Stream") { request, _, writer in
        Thread.detachNewThread {
            for k in 0..<3 { writer.sendMessage(request.body + [UInt8(k)]) }
            writer.endStream(request.body == Array("fail".utf8) ? ServingError.unavailable("gone away") : nil)
        }
    }
    grpc.add("POST", "/test.Echo/Nothing") { _, _, writer in writer.endStream(nil) }
    grpc.add("POST", "/test.Echo/Hold") { _, _, writer in
        held.withLock { $0 = writer.context }
        writer.sendMessage([1])
    }
    var configuration = HTTPServer.Configuration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.threads = 1
    configure(&configuration)
    let server = try HTTPServer(configuration: configuration, responder: EndpointResponder(endpoints: rest, grpc: grpc))
    try server.start()
    return server
}

@Suite struct GRPCTransportTests {
    @Test func anAnswerIsItsFramedMessageThenTrailersThatEndTheStream() throws {
        let server = try echoServer()
        defer { server.stop() }
        let call = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: GRPCFraming.frame(Array("ping".utf8), compressed: false))
        #expect(call.head["content-type"] == "application/grpc")
        #expect(call.head["grpc-status"] == nil, "the status comes after the message")
        #expect(call.dataBytes == 9)
        #expect(call.trailers["grpc-status"] == "0")
        #expect(call.endedWithHeaders, "END_STREAM is on the trailers")
    }

    @Test func aStreamingAnswerSendsEachMessageThenItsStatusInTrailers() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try FrameClient(port: server.port)
        client.request(stream: 1, "POST", "/test.Echo/Stream", fields: [("content-type", "application/grpc")], endStream: false)
        client.send(data: GRPCFraming.frame(Array("hi".utf8), compressed: false), stream: 1, endStream: true)
        let answer = try client.frames { $0.stream == 1 && $0.endStream }.filter { $0.stream == 1 }
        let body = answer.filter { $0.type == FrameClient.data }.flatMap(\.payload)
        #expect(body == (0..<3).flatMap { GRPCFraming.frame(Array("hi".utf8) + [UInt8($0)], compressed: false) })
        #expect(answer.last?.type == FrameClient.headers && answer.last?.endStream == true)
        let ok = try GRPCProbe.call(port: server.port, "/test.Echo/Stream", body: GRPCFraming.frame(Array("hi".utf8), compressed: false))
        #expect(ok.head["content-length"] == nil, "a stream announces no length")
        #expect(ok.dataBytes == 24 && ok.trailers["grpc-status"] == "0")
        let failed = try GRPCProbe.call(port: server.port, "/test.Echo/Stream", body: GRPCFraming.frame(Array("fail".utf8), compressed: false))
        #expect(failed.dataBytes == 30)
        #expect(failed.trailers["grpc-status"] == "14" && failed.trailers["grpc-message"] == "gone away")
        let empty = try GRPCProbe.call(port: server.port, "/test.Echo/Nothing", body: GRPCFraming.frame([], compressed: false))
        #expect(empty.dataBytes == 0 && empty.head["grpc-status"] == "0" && empty.endedWithHeaders)
    }

    @Test func aStreamTheClientResetsIsMarkedCancelledForWhoeverStreamsToIt() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try FrameClient(port: server.port)
        client.request(stream: 1, "POST", "/test.Echo/Hold", fields: [("content-type", "application/grpc")], endStream: false)
        client.send(data: GRPCFraming.frame([], compressed: false), stream: 1, endStream: true)
        _ = try client.frames { $0.stream == 1 && $0.type == FrameClient.data }
        let context = try #require(held.withLock { $0 })
        #expect(!context.isCancelled)
        client.raw.send(FrameClient.frame(FrameClient.rstStream, flags: 0, stream: 1, [0, 0, 0, 8]))
        #expect(eventually(within: 10) { context.isCancelled })
    }

    @Test func aMessageSplitAcrossDataFramesArrivesWhole() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try FrameClient(port: server.port)
        let framed = GRPCFraming.frame(Array("split across three frames".utf8), compressed: false)
        client.request(stream: 1, "POST", "/test.Echo/Echo", fields: [("content-type", "application/grpc")], endStream: false)
        client.send(data: Array(framed[0..<3]), stream: 1, endStream: false)
        client.send(data: Array(framed[3..<12]), stream: 1, endStream: false)
        client.send(data: Array(framed[12...]), stream: 1, endStream: true)
        let frames = try client.frames { $0.stream == 1 && $0.endStream }
        let answer = frames.filter { $0.stream == 1 }
        #expect(answer.filter { $0.type == FrameClient.data }.flatMap(\.payload) == framed)
        #expect(answer.last?.type == FrameClient.headers, "trailers close the stream")
    }

    @Test func framingFaultsAnswerInternalAndAServingErrorItsOwnCode() throws {
        let server = try echoServer()
        defer { server.stop() }
        let badFlag = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: [2, 0, 0, 0, 1, 7])
        #expect(badFlag.status == "13")
        #expect(badFlag.message == "malformed gRPC message: compressed-flag 2 is neither 0 nor 1")
        #expect(badFlag.dataBytes == 0 && badFlag.trailers.isEmpty, "Trailers-Only")
        #expect(try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: [0, 0, 0, 0, 9, 1]).status == "13")
        let twoMessages = GRPCFraming.frame([1], compressed: false) + GRPCFraming.frame([2], compressed: false)
        let two = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: twoMessages)
        #expect(two.status == "13" && two.message?.contains("2 request messages") == true)
        let unknown = try GRPCProbe.call(port: server.port, "/test.Echo/Nope", body: GRPCFraming.frame([], compressed: false))
        #expect(unknown.status == "12")
        let failed = try GRPCProbe.call(port: server.port, "/test.Echo/Fail", body: GRPCFraming.frame([], compressed: false))
        #expect(failed.status == "5")
        #expect(failed.message == "unknown model 'ghost'")
    }

    @Test func gzipGoesBothWays() throws {
        let server = try echoServer { $0.compression.minBytes = 16 }
        defer { server.stop() }
        let text = Array(String(repeating: "compress me ", count: 50).utf8)
        let packed = try #require(Zlib.deflate(text, .gzip, level: 6))
        let client = try FrameClient(port: server.port)
        client.request(stream: 1, "POST", "/test.Echo/Echo", fields: [("content-type", "application/grpc"), ("grpc-encoding", "gzip")], endStream: false)
        client.send(data: GRPCFraming.frame(packed, compressed: true), stream: 1, endStream: true)
        let body = try client.frames { $0.stream == 1 && $0.endStream }.filter { $0.stream == 1 && $0.type == FrameClient.data }.flatMap(\.payload)
        let messages = try GRPCFraming.messages(in: body)
        #expect(messages.count == 1 && messages[0].compressed)
        #expect(try Zlib.inflate(Array(body[messages[0].bytes]), .gzip, limit: 1 << 20).get() == text)
        let probe = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: GRPCFraming.frame(packed, compressed: true), fields: [("grpc-encoding", "gzip")])
        #expect(probe.head["grpc-encoding"] == "gzip" && probe.trailers["grpc-status"] == "0")
        let unsupported = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: GRPCFraming.frame(packed, compressed: true), fields: [("grpc-encoding", "snappy")])
        #expect(unsupported.status == "12")
        #expect(unsupported.head["grpc-accept-encoding"] == GRPCFraming.acceptedEncodings)
    }

    /// A large call is unframed, answered and framed on another thread (`Offload`), compressed
    /// there too; only the write comes back to the loop.
    @Test func aLargeCallIsHandledOffTheLoopAndAnsweredTheSame() throws {
        let offloaded = Atomic<Int>(0)
        let server = try echoServer {
            $0.compression.minBytes = 16
            $0.offload = Offload { job, _ in
                offloaded.add(1, ordering: .relaxed)
                Thread.detachNewThread(job)
            }
        }
        defer { server.stop() }
        // Bytes that gzip shrinks only to about a quarter, so the compressed call is still 8 KiB.
        var seed: UInt32 = 7
        let message = (0..<200_000).map { _ -> UInt8 in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: seed >> 24) & 0x0F
        }
        // Room for the whole answer in the stream's and the connection's windows.
        let client = try FrameClient(port: server.port, initialWindow: 1 << 20)
        client.windowUpdate(stream: 0, 1 << 20)
        client.request(stream: 1, "POST", "/test.Echo/Echo", fields: [("content-type", "application/grpc")], endStream: false)
        let framed = GRPCFraming.frame(message, compressed: false)
        // Within the 1 MiB window, in frames of at most 16 KiB.
        for start in stride(from: 0, to: framed.count, by: 16_384) {
            client.send(data: Array(framed[start..<min(start + 16_384, framed.count)]), stream: 1, endStream: start + 16_384 >= framed.count)
        }
        let answer = try client.frames { $0.stream == 1 && $0.endStream }.filter { $0.stream == 1 }
        #expect(answer.filter { $0.type == FrameClient.data }.flatMap(\.payload) == framed)
        #expect(answer.last?.type == FrameClient.headers)
        #expect(offloaded.load(ordering: .relaxed) == 1)
        let packed = try #require(Zlib.deflate(message, .gzip, level: 1))
        let zipped = try GRPCProbe.call(
            port: server.port, "/test.Echo/Echo", body: GRPCFraming.frame(packed, compressed: true), fields: [("grpc-encoding", "gzip")])
        #expect(zipped.head["grpc-encoding"] == "gzip" && zipped.trailers["grpc-status"] == "0")
        #expect(offloaded.load(ordering: .relaxed) == 2, "a coded body of 8 KiB or more goes off the loop too")
    }

    @Test func aMessageOverTheBodyLimitIsResourceExhausted() throws {
        let server = try echoServer { $0.limits.maxBodyBytes = 1_000 }
        defer { server.stop() }
        let big = GRPCFraming.frame([UInt8](repeating: 1, count: 5_000), compressed: false)
        let refused = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: big)
        #expect(refused.status == "8")
        #expect(refused.message == "request body exceeds 1000 bytes")
        let bomb = try #require(Zlib.deflate([UInt8](repeating: 0, count: 100_000), .gzip, level: 9))
        let inflated = try GRPCProbe.call(port: server.port, "/test.Echo/Echo", body: GRPCFraming.frame(bomb, compressed: true), fields: [("grpc-encoding", "gzip")])
        #expect(inflated.status == "8")
    }

    @Test func restAndGRPCShareAConnectionAndAGRPCCallNeverReachesTheRESTTable() throws {
        let server = try echoServer()
        defer { server.stop() }
        let rest = try Curl.request(.priorKnowledge, port: server.port, "POST", "/rest", body: [], headers: ["content-type": "application/json"])
        #expect(rest.status == 200 && rest.text == #"{"rest":true}"#)
        let asGRPC = try GRPCProbe.call(port: server.port, "/rest", body: GRPCFraming.frame([], compressed: false))
        #expect(asGRPC.status == "12")
        let restToGRPC = try Curl.request(.priorKnowledge, port: server.port, "POST", "/test.Echo/Echo", body: [], headers: ["content-type": "application/json"])
        #expect(restToGRPC.status == 404)
    }
}
