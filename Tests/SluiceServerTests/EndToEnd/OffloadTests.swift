import Foundation
import Glibc
import SluiceHTTP
import Synchronization
import Testing
@testable import SluiceServer

/// Requests with large bodies are handled off their loop (`Offload`): decoded, answered and
/// compressed on another thread while the loop serves its other connections, with the same
/// bytes on the wire as a request handled on the loop.
@Suite struct OffloadTests {
    /// Answers what it saw and whether it ran on the test's own thread (the one that runs
    /// parked jobs); `/echo` answers as many `a`s as the body had bytes.
    struct Probe: Responder {
        let testThread: UInt

        func respond(to request: Request, writer: ResponseWriter) {
            if request.target == "/echo" {
                writer.send(.json(200, [UInt8](repeating: UInt8(ascii: "a"), count: request.body.count)))
                return
            }
            let here = UInt(bitPattern: Int(bitPattern: pthread_self()))
            writer.send(.json(200, Array(#"{"bytes":\#(request.body.count),"on_test_thread":\#(here == testThread)}"#.utf8)))
        }
    }

    /// An executor that holds every job until the test runs it: what ran and when is the
    /// test's to decide, so nothing here depends on timing.
    final class Parked: Sendable {
        private let jobs = Mutex<[@Sendable () -> Void]>([])
        var count: Int { jobs.withLock { $0.count } }
        func add(_ job: @escaping @Sendable () -> Void) { jobs.withLock { $0.append(job) } }
        func runFirst() {
            let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            job?()
        }
    }

    static func bytes(_ count: Int) -> [UInt8] {
        var state: UInt32 = 12345
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    @Test func aLargeBodyIsHandledOffTheLoopWhileTheLoopAnswersOthers() throws {
        let parked = Parked()
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.threads = 1
        configuration.offload = Offload { job, _ in parked.add(job) }
        let http = try HTTPServer(
            configuration: configuration, responder: Probe(testThread: UInt(bitPattern: Int(bitPattern: pthread_self()))))
        try http.start()
        defer { http.stop() }

        let large = try RawClient(port: http.port)
        large.send("POST /infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(64 * 1024)\r\n\r\n")
        large.send(Self.bytes(64 * 1024))
        #expect(eventually(within: 5) { parked.count == 1 })
        // Its job has not run, and the one loop answers another connection meanwhile.
        let small = try RawClient(port: http.port).request("POST", "/infer", body: Self.bytes(64 * 1024 - 1))
        #expect(small.text == #"{"bytes":65535,"on_test_thread":false}"#)
        parked.runFirst()
        #expect(try large.readAnswer().text == #"{"bytes":65536,"on_test_thread":true}"#)

        // A coded body from 8 KiB: inflated off the loop, and the answer compressed there.
        let original = Self.bytes(16 * 1024)
        let gzipped = try Tool.python("gzip.compress(data)", original)
        try #require(gzipped.count >= 8 * 1024)
        let coded = try RawClient(port: http.port)
        coded.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nAccept-Encoding: gzip\r\nContent-Length: \(gzipped.count)\r\n\r\n")
        coded.send(gzipped)
        #expect(eventually(within: 5) { parked.count == 1 })
        parked.runFirst()
        let echoed = try coded.readAnswer()
        #expect(echoed.headers["content-encoding"] == "gzip")
        #expect(echoed.headers["vary"] == "Accept-Encoding")
        #expect(try Tool.python("gzip.decompress(data)", echoed.body) == [UInt8](repeating: UInt8(ascii: "a"), count: original.count))
    }

    /// The same rows as a plain body of over 64 KiB (offloaded) and gzip'd to under 8 KiB
    /// (answered on the loop): every protocol answers both with the same bytes, compressed or not.
    @Test(arguments: ["v2-json", "v2-binary", "v1"])
    func offloadedAnswersAreTheBytesTheLoopWouldHaveSent(protocolName: String) throws {
        let server = try TestServer { $0.threads = 1 }
        // The bundled model's max_batch_size; numbers written long, to pass 64 KiB.
        let rows = 256
        let values = (0..<rows * 20).map { String(format: "%.17f", Double($0 % 17) / 8 - 1) }
        var path = "/v2/models/fraud/infer"
        var headers = ["Content-Type": "application/json"]
        let body: [UInt8]
        switch protocolName {
        case "v2-json":
            body = Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(values.joined(separator: ","))]}]}"#.utf8)
        case "v2-binary":
            // An id as long as the JSON text above makes the body as large; the answer echoes it.
            let id = String(repeating: "x", count: 64 * 1024)
            let json = Array(#"{"id":"\#(id)","inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"parameters":{"binary_data_size":\#(rows * 80)}}],"parameters":{"binary_data_output":true}}"#.utf8)
            headers = ["Content-Type": "application/octet-stream", "Inference-Header-Content-Length": String(json.count)]
            body = json + values.flatMap { withUnsafeBytes(of: (Float($0) ?? 0).bitPattern.littleEndian) { Array($0) } }
        default:
            path = "/v1/models/fraud:predict"
            let instances = (0..<rows).map { r in "[" + values[r * 20..<(r + 1) * 20].joined(separator: ",") + "]" }
            body = Array(#"{"instances":[\#(instances.joined(separator: ","))]}"#.utf8)
        }
        let gzipped = try Tool.python("gzip.compress(data)", body)
        try #require(body.count >= 64 * 1024 && gzipped.count < 8 * 1024, "\(body.count) \(gzipped.count)")
        for accept in [nil, "gzip"] {
            var extra = headers
            if let accept { extra["Accept-Encoding"] = accept }
            let offloaded = try server.client().request("POST", path, body: body, headers: extra)
            extra["Content-Encoding"] = "gzip"
            let onLoop = try server.client().request("POST", path, body: gzipped, headers: extra)
            #expect(offloaded.status == 200, "\(offloaded.text)")
            #expect(offloaded.body == onLoop.body)
            // Request ids are new for each request; everything else is the same.
            let fields = { (answer: RawClient.Answer) in answer.headers.filter { $0.key != "date" && $0.key != "x-request-id" } }
            #expect(fields(offloaded) == fields(onLoop))
            #expect((offloaded.headers["content-encoding"] == "gzip") == (accept != nil))
        }
    }
}
