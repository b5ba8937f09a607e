import Foundation
@testable import SluiceHTTP

/// One gRPC call made with nghttp (nghttp2-client), which prints every frame and field it
/// receives: the answer's header fields and its trailer fields apart, and how many DATA bytes
/// came between. The body goes in as given, so a test can send what no gRPC library would.
struct GRPCProbe {
    /// The fields of the answer's first HEADERS frame, and of the trailers' (empty for a
    /// Trailers-Only answer).
    var head: [String: String] = [:]
    var trailers: [String: String] = [:]
    var dataBytes = 0
    /// Whether the stream ended with the trailers (or the Trailers-Only head).
    var endedWithHeaders = false

    /// The `grpc-status` wherever it came (trailers, or the Trailers-Only head).
    var status: String? { trailers["grpc-status"] ?? head["grpc-status"] }
    var message: String? { trailers["grpc-message"] ?? head["grpc-message"] }

    static func call(port: Int, _ path: String, body: [UInt8], fields: [(String, String)] = [], scheme: String = "http") throws -> GRPCProbe {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-grpc-\(UUID().uuidString)")
        try Data(body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = ["-v", "-H", ":method: POST", "-H", "content-type: application/grpc", "-H", "te: trailers", "-d", file.path]
        for (name, value) in fields { arguments += ["-H", "\(name): \(value)"] }
        arguments.append("\(scheme)://127.0.0.1:\(port)\(path)")
        return parse(try Tool.run("nghttp", arguments, timeout: 30).text)
    }

    /// Reads nghttp's `-v` output: a header block's fields (`recv (stream_id=N) name: value`)
    /// come first, then its `recv HEADERS frame <…, flags=0x05, …>` line (flags bit 0 is
    /// END_STREAM).
    static func parse(_ output: String) -> GRPCProbe {
        var probe = GRPCProbe()
        var blocks = 0
        var pending: [String: String] = [:]
        for line in output.split(separator: "\n") {
            if line.contains("recv HEADERS frame") {
                blocks += 1
                if blocks == 1 { probe.head = pending } else { probe.trailers = pending }
                pending = [:]
                probe.endedWithHeaders = line.contains("flags=0x05") || line.contains("flags=0x01")
            } else if line.contains("recv DATA frame"), let range = line.range(of: "length=") {
                probe.dataBytes += Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                probe.endedWithHeaders = false
            } else if let range = line.range(of: "recv (stream_id="), let close = line[range.upperBound...].range(of: ") ") {
                let field = line[close.upperBound...]
                guard !field.hasPrefix(":"), let colon = field.range(of: ": ") else { continue }
                pending[String(field[..<colon.lowerBound])] = String(field[colon.upperBound...])
            }
        }
        return probe
    }
}
