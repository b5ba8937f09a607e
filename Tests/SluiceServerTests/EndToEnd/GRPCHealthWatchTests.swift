import Foundation
@testable import SluiceHTTP
import Synchronization
import Testing
@testable import SluiceServer

/// The framed `HealthCheckResponse` of `status` (field 1, varint).
private func framedStatus(_ status: UInt8) -> [UInt8] {
    GRPCFraming.frame([0x08, status], compressed: false)
}

@Suite struct GRPCHealthWatchTests {
    @Test func aWatcherHearsServingAtOnceThenNotServingAndUnavailableAtShutdown() throws {
        let server = try TestServer()
        let client = try FrameClient(port: server.port)
        client.request(stream: 1, "POST", "/grpc.health.v1.Health/Watch", fields: [("content-type", "application/grpc")], endStream: false)
        client.send(data: GRPCFraming.frame([], compressed: false), stream: 1, endStream: true)
        let first = try client.frames { $0.stream == 1 && $0.type == FrameClient.data }
        #expect(first.last?.payload == framedStatus(1), "SERVING")
        // An unknown service is watched too, as SERVICE_UNKNOWN.
        client.request(stream: 3, "POST", "/grpc.health.v1.Health/Watch", fields: [("content-type", "application/grpc")], endStream: false)
        client.send(data: GRPCFraming.frame([0x0A, 0x02, 0x6E, 0x6F], compressed: false), stream: 3, endStream: true)  // service "no"
        let unknown = try client.frames { $0.stream == 3 && $0.type == FrameClient.data }
        #expect(unknown.last?.payload == framedStatus(3))
        server.server.shutdown(grace: 5)
        let rest = try client.frames { $0.stream == 1 && $0.endStream }.filter { $0.stream == 1 }
        #expect(rest.first?.payload == framedStatus(2), "NOT_SERVING before the end")
        #expect(rest.last?.type == FrameClient.headers, "then the status in trailers")
    }

    @Test func aChangeOfStatusIsSentAndOnlyAChange() throws {
        let ready = Atomic<Bool>(true)
        let watch = HealthWatch { service in service.isEmpty ? (ready.load(ordering: .relaxed) ? .serving : .notServing) : nil }
        defer { watch.stop() }
        let recorder = ResponseRecorder()
        watch.add(service: "", writer: ResponseWriter(recorder: recorder, context: RequestContext(id: "w", method: "POST", target: "/", started: 0)))
        #expect(recorder.answer(0)?.response.body == [0x08, 0x01])
        ready.store(false, ordering: .relaxed)
        #expect(recorder.answer(1)?.response.body == [0x08, 0x02])
        ready.store(true, ordering: .relaxed)
        #expect(recorder.answer(2)?.response.body == [0x08, 0x01])
        #expect(recorder.all.count == 3, "an unchanged status sends nothing")
    }
}

@Suite struct GRPCOverTLSTests {
    /// The TLS listener speaks gRPC once ALPN chose h2, as the cleartext port does.
    @Test func aGRPCCallOverTLSIsAnsweredAsInCleartext() throws {
        let certs = try TestCertificates()
        let server = try TLSTests.server(certs)
        let body = GRPCFraming.frame([], compressed: false)
        let tls = try GRPCProbe.call(port: server.server.tlsPort, "/inference.GRPCInferenceService/NoSuchMethod", body: body, scheme: "https")
        let clear = try GRPCProbe.call(port: server.port, "/inference.GRPCInferenceService/NoSuchMethod", body: body)
        #expect(tls.status == "12")
        #expect(tls.message == clear.message)
    }
}
