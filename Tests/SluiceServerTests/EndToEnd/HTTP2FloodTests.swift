import Testing

/// HTTP/2 frames that cost work and carry no request are limited as nginx limits them (issue
/// #14, defect 1): a client that streams them gets GOAWAY with ENHANCE_YOUR_CALM and is closed,
/// while a client that sends them as a normal client does is not.
@Suite struct HTTP2FloodTests {
    enum Cheap: CaseIterable, Sendable {
        case windowUpdate, ping, settings, priority, emptyData

        /// One frame of the kind (an empty DATA frame goes on stream 1, opened before).
        var frame: [UInt8] {
            switch self {
            case .windowUpdate: FrameClient.frame(8, flags: 0, stream: 0, [0, 0, 0, 1])
            case .ping: FrameClient.frame(6, flags: 0, stream: 0, [1, 2, 3, 4, 5, 6, 7, 8])
            case .settings: FrameClient.frame(FrameClient.settings, flags: 0, stream: 0, [])
            case .priority: FrameClient.frame(2, flags: 0, stream: 3, [0, 0, 0, 0, 16])
            case .emptyData: FrameClient.frame(FrameClient.data, flags: 0, stream: 1, [])
            }
        }

        /// The frame type the server answers each one with, if any.
        var acknowledgement: UInt8? {
            switch self {
            case .ping: 6
            case .settings: FrameClient.settings
            case .windowUpdate, .priority, .emptyData: nil
            }
        }
    }

    private static let enhanceYourCalm: [UInt8] = [0, 0, 0, 0x0b]

    @Test(arguments: Cheap.allCases)
    func aFloodOfCheapFramesGetsGoAwayAndIsClosed(_ kind: Cheap) throws {
        let server = try TestServer()
        let flood = try FrameClient(port: server.port)
        if kind == .emptyData {
            flood.request(stream: 1, "POST", "/v2/models/fraud/infer", fields: [("content-type", "application/json")], endStream: false)
        }
        // Batches small enough that nghttp2's own limit on acknowledgements owed (1,000) is
        // not what ends the connection: a client that reads its PING and SETTINGS ACKs.
        var seen: [FrameClient.Frame] = []
        for _ in 0..<4 where !seen.contains(where: { $0.type == FrameClient.goaway }) {
            flood.raw.send(Array(Array(repeating: kind.frame, count: 500).joined()))
            if let ack = kind.acknowledgement {
                var acks = 0
                seen += try flood.frames { frame in
                    if frame.type == ack && frame.flags & 0x1 != 0 { acks += 1 }
                    return acks == 500 || frame.type == FrameClient.goaway
                }
            }
        }
        if !seen.contains(where: { $0.type == FrameClient.goaway }) {
            seen += try flood.frames { $0.type == FrameClient.goaway }
        }
        let goaway = try #require(seen.last { $0.type == FrameClient.goaway })
        #expect(Array(goaway.payload[4..<8]) == Self.enhanceYourCalm)
        #expect(try flood.frames { _ in false }.allSatisfy { $0.type != FrameClient.headers }, "closed after the GOAWAY")
    }

    @Test func aClientSendingControlFramesAlongsideItsRequestsIsServed() throws {
        let server = try TestServer()
        let client = try FrameClient(port: server.port)
        for i in 0..<20 {
            let stream = UInt32(2 * i + 1)
            // What a browser or a gRPC client sends around each request: window, ping, priority.
            client.windowUpdate(stream: 0, 1 << 16)
            client.raw.send(Cheap.ping.frame + Cheap.priority.frame)
            client.request(stream: stream, "GET", "/v2/health/ready", endStream: true)
            let frames = try client.frames { $0.stream == stream && $0.endStream }
            #expect(!frames.contains { $0.type == FrameClient.goaway })
            #expect(frames.contains { $0.type == FrameClient.headers && $0.stream == stream })
        }
    }
}
