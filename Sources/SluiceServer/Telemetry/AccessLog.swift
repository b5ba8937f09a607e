import Logging
import SluiceHTTP
import SluiceJSON

/// The logs about one request, written through swift-log on the connection's loop from the
/// request's context: no URL is parsed again and no answer header read back.
/// - `record`: one line per answered request when `access_log: true` (README "Metrics");
/// - `fault`: every answer that renders one of our own faults, always, with the full error the
///   client did not see.
/// Both carry the request id, so a client's `x-request-id` finds every line about its request.
struct AccessLog: Sendable {
    let logger: Logger
    let format: LogFormat

    func record(_ context: RequestContext, _ response: Response, _ nanos: UInt64) {
        var fields: [(String, Field)] = [
            ("request_id", .string(context.id)),
            ("method", .string(context.method)),
            ("path", .string(String(context.path))),
            ("endpoint", .string(context.endpoint)),
            ("protocol", .string(context.protocolName)),
            ("status", .int(response.status)),
            ("route", .string(context.route)),
            ("model", .string(context.model)),
            ("version", .string(context.version.map(String.init) ?? "")),
            ("arm", .string(context.arm)),
            ("bytes", .int(response.body.count)),
            ("duration_ms", .double(Double(nanos) / 1e6)),
            ("queue_ms", .double(Double(context.queueNanos) / 1e6)),
            ("compute_ms", .double(Double(context.computeNanos) / 1e6)),
        ]
        // A gRPC call's `status` is the HTTP status its outcome stands for; the code it was
        // answered with follows it.
        if response.isGRPC, let code = (response.trailers["grpc-status"] ?? response.headers["grpc-status"]).flatMap({ Int($0) }) {
            fields.insert(("grpc_status", .int(code)), at: 6)
        }
        switch format {
        case .text:
            // The line is the JSON object itself, as it has always been with text logs.
            var w = JSONWriter(capacity: 384)
            w.object { w in
                for (name, value) in fields {
                    w.key(name)
                    switch value {
                    case .string(let s): w.string(s)
                    case .int(let n): w.int(n)
                    case .double(let d): w.double(d)
                    }
                }
            }
            logger.info("\(String(decoding: w.bytes, as: UTF8.self))")
        case .json:
            // Each field becomes a field of the JSON log line.
            var metadata = Logger.Metadata()
            for (name, value) in fields {
                switch value {
                case .string(let s): metadata[name] = .string(s)
                case .int(let n): metadata[name] = .stringConvertible(n)
                case .double(let d): metadata[name] = .stringConvertible(d)
                }
            }
            logger.info("request", metadata: metadata)
        }
    }

    func fault(_ context: RequestContext, _ error: any Error) {
        var what = context.model.isEmpty ? "" : " on \(context.model)"
        if let version = context.version { what += " version \(version)" }
        logger.error(
            "request failed\(what): \(error)",
            metadata: ["request_id": .string(context.id), "endpoint": .string(context.endpoint)])
    }

    private enum Field {
        case string(String)
        case int(Int)
        case double(Double)
    }
}
