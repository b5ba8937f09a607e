import Logging
import SluiceHTTP
import SluiceJSON

/// One structured JSON line per answered request when `access_log: true` (DESIGN §6), written
/// through swift-log on the connection's loop.
struct AccessLog: Sendable {
    let logger: Logger

    func record(_ request: RequestSummary, _ response: Response, _ nanos: UInt64) {
        let path = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.target
        let parts = path.split(separator: "/")
        // /v2/models/{m}/… and /v1/models/{m}…: the model the path names.
        var model = ""
        if parts.count >= 3, parts[1] == "models" { model = String(parts[2].split(separator: ":").first ?? "") }
        var w = JSONWriter(capacity: 256)
        w.object { w in
            w.key("method"); w.string(request.method)
            w.key("path"); w.string(path)
            w.key("status"); w.int(response.status)
            w.key("route"); w.string(response.headers["x-sluice-route"] ?? "")
            w.key("model"); w.string(model)
            w.key("version"); w.string(response.headers["x-sluice-model-version"] ?? "")
            w.key("arm"); w.string(response.headers["x-sluice-arm"] ?? "")
            w.key("bytes"); w.int(response.body.count)
            w.key("duration_ms"); w.double(Double(nanos) / 1e6)
        }
        logger.info("\(String(decoding: w.bytes, as: UTF8.self))")
    }
}
