import SluiceCore
import SluiceHTTP
import SluiceJSON

/// The model repository extension (`POST /v2/repository/index`, `…/models/{m}/load`,
/// `…/unload`) behind the admin bearer token. Loads and scans block, so the handlers check the
/// token on the loop and then run on a background queue, answering through the writer.
struct V2Repository: Sendable {
    let manager: ModelManager
    let auth: AdminAuth

    func register(in endpoints: inout Endpoints) {
        endpoints.add("POST", "/v2/repository/index") { request, _, writer in
            try auth.guarded(request, writer) {
                let readyOnly = (try? JSONReader.readReadyFlag(request.body)) ?? false
                var w = JSONWriter()
                w.array { w in
                    for entry in manager.repositoryIndex(readyOnly: readyOnly) {
                        w.object { w in
                            w.key("name"); w.string(entry.name)
                            if let version = entry.version { w.key("version"); w.string(String(version)) }
                            w.key("state"); w.string(entry.state)
                            w.key("reason"); w.string(entry.reason)
                        }
                    }
                }
                return .json(200, w.bytes)
            }
        }
        endpoints.add("POST", "/v2/repository/models/{model}/load") { request, p, writer in
            let name = String(p["model"] ?? "")
            try auth.guarded(request, writer) {
                try manager.load(model: name)
                return Self.state(of: name, "READY")
            }
        }
        endpoints.add("POST", "/v2/repository/models/{model}/unload") { request, p, writer in
            let name = String(p["model"] ?? "")
            try auth.guarded(request, writer) {
                try manager.unload(model: name)
                return Self.state(of: name, "UNAVAILABLE")
            }
        }
    }

    private static func state(of model: String, _ state: String) -> Response {
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(model)
            w.key("state"); w.string(state)
        }
        return .json(200, w.bytes)
    }


}

extension JSONReader {
    /// `{"ready": true}` in an index request body (Triton's filter); an empty body is no filter.
    static func readReadyFlag(_ body: [UInt8]) throws(JSONError) -> Bool {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return false }
        let result: Result<Bool, JSONError> = body.withUnsafeBytes { raw in
            do throws(JSONError) {
                var r = JSONReader(raw)
                var ready = false
                try r.beginObject()
                while let key = try r.nextKey() {
                    if key == "ready" { ready = try r.readBool() } else { try r.skipValue(allowNonFinite: false) }
                }
                try r.finish()
                return .success(ready)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
