import Logging
import SluiceHTTP

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
        let fields: [(String, String)] = [
            ("method", Response.jsonString(request.method)), ("path", Response.jsonString(path)),
            ("status", String(response.status)), ("route", Response.jsonString(response.headers["x-sluice-route"] ?? "")),
            ("model", Response.jsonString(model)), ("version", Response.jsonString(response.headers["x-sluice-model-version"] ?? "")),
            ("arm", Response.jsonString(response.headers["x-sluice-arm"] ?? "")), ("bytes", String(response.body.count)),
            ("duration_ms", String(Double(nanos) / 1e6)),
        ]
        logger.info("\(String("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"))")
    }
}
