import Foundation
import Glibc
import SluiceHTTP
import Testing
@testable import SluiceServer

/// Clients that do not take what Sluice sends them (`limits.send_timeout`, nginx's
/// `send_timeout`), and the memory a connection may hold meanwhile. The send timeout is short
/// while every other timeout keeps its default of 10 s or more, so only it can explain an end.
@Suite struct SendTimeoutTests {
    /// A V2 request naming an unknown input of `nameBytes` bytes: its 400 echoes the name, an
    /// answer bigger than the socket buffers (at most 4 MiB to send on Linux's defaults) from a
    /// request that costs nothing to serve.
    static func bigAnswerRequest(nameBytes: Int, close: Bool) -> [UInt8] {
        let row = (0..<20).map { _ in "0" }.joined(separator: ",")
        let name = String(repeating: "x", count: nameBytes)
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(row)]},"#
            + #"{"name":"\#(name)","datatype":"FP32","shape":[1,1],"data":[0]}]}"#
        let connection = close ? "Connection: close\r\n" : ""
        return Array("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\n\(connection)Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    @Test func aLastAnswerTheClientNeverReadsIsResetAndItsSlotFreed() throws {
        let server = try TestServer { config in
            config.threads = 1
            config.limits.maxConnections = 1
            config.limits.sendTimeout = 300_000_000
        }
        let c = try server.client()
        c.send(Self.bigAnswerRequest(nameBytes: 8 << 20, close: true))
        // `Connection: close`: the answer is the last, and only its write keeps the connection.
        #expect(c.isReset(withinMilliseconds: 5_000))
        #expect(try server.client().request("GET", "/v2/health/live").status == 200, "the only slot is free again")
    }

    @Test func aClientThatReadsNoAnswerIsNotReadEither() throws {
        let server = try TestServer()
        let c = try server.client()
        c.send(Self.bigAnswerRequest(nameBytes: 8 << 20, close: false))
        // Pipelined requests behind an answer it does not read: the server reads no more of them
        // than the kernel's buffers hold (its receive buffer may have grown to tens of MiB while
        // it read the upload), instead of a request's worth (64 MiB) more.
        let request = Array("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let chunk = Array([[UInt8]](repeating: request, count: 64 << 10 / request.count).joined())
        let flags = fcntl(c.fd, F_GETFL)
        _ = fcntl(c.fd, F_SETFL, flags | O_NONBLOCK)
        var sent = 0
        sending: while sent < 96 << 20 {
            let n = chunk.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var entry = pollfd(fd: c.fd, events: Int16(POLLOUT), revents: 0)
                if poll(&entry, 1, 800) == 0 { break sending }  // the server stopped reading
            } else {
                break
            }
        }
        #expect(sent < 48 << 20, "the server took \(sent) bytes of requests it could not answer")
    }

    @Test func anH2AnswerHeldByAZeroWindowIsResetAndItsStreamSlotFreed() throws {
        let server = try TestServer { config in
            config.limits.sendTimeout = 300_000_000
            config.http2.maxConcurrentStreams = 1
        }
        let c = try FrameClient(port: server.port, initialWindow: 0)
        c.request(stream: 1, "GET", "/v2/models/fraud", endStream: true)
        let frames = try c.frames { $0.type == FrameClient.rstStream && $0.stream == 1 }
        let reset = try #require(frames.last)
        #expect(reset.type == FrameClient.rstStream && reset.payload == [0, 0, 0, 8], "CANCEL")
        // The one stream slot is free: a second stream is served.
        c.request(stream: 3, "GET", "/v2/models/fraud", endStream: true)
        c.windowUpdate(stream: 3, 1 << 20)
        let next = try c.frames { $0.stream == 3 && $0.endStream }
        #expect(FrameClient.body(of: 3, in: next).contains("fraud"))
    }

    @Test func anH2ClientThatReadsNothingIsResetAndItsSlotFreed() throws {
        let server = try TestServer { config in
            config.threads = 1
            config.limits.maxConnections = 1
            config.limits.sendTimeout = 300_000_000
        }
        // Windows wide open, so only the socket can hold the answer back.
        let c = try FrameClient(port: server.port, initialWindow: UInt32(Int32.max))
        c.windowUpdate(stream: 0, UInt32(Int32.max) - 65_535)
        let request = Self.bigAnswerRequest(nameBytes: 8 << 20, close: false)
        let body = Array(request[(request.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0)...])
        c.request(stream: 1, "POST", "/v2/models/fraud/infer",
                  fields: [("content-type", "application/json"), ("content-length", String(body.count))], endStream: false)
        for offset in stride(from: 0, to: body.count, by: 16_384) {
            let end = min(body.count, offset + 16_384)
            c.send(data: Array(body[offset..<end]), stream: 1, endStream: end == body.count)
        }
        #expect(c.raw.isReset(withinMilliseconds: 5_000))
        #expect(try server.client().request("GET", "/v2/health/live").status == 200, "the only slot is free again")
    }

    @Test func bodiesBufferedAcrossAnH2ConnectionsStreamsAreBounded() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 4096 }
        let c = try FrameClient(port: server.port)
        // Three bodies, each under the limit of one, together over the connection's 8,192 bytes.
        for stream in [UInt32(1), 3, 5] {
            c.request(stream: stream, "POST", "/v2/models/fraud/infer",
                      fields: [("content-type", "application/json"), ("content-length", "4000")], endStream: false)
            c.send(data: Array(repeating: UInt8(ascii: " "), count: 3000), stream: stream, endStream: false)
        }
        let frames = try c.frames { $0.stream == 5 && $0.endStream }
        #expect(FrameClient.body(of: 5, in: frames).contains("exceed 8192 bytes together"), "\(FrameClient.body(of: 5, in: frames))")
        #expect(!frames.contains { $0.stream != 5 && $0.stream != 0 && $0.endStream }, "the first two go on")
    }
}
