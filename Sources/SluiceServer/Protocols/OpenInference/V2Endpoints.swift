import SluiceCore
import SluiceHTTP
import SluiceJSON
import SluiceNet

/// The Open Inference Protocol (KServe V2) REST endpoints of README "Try it" and "Errors": health,
/// server and model metadata, readiness and inference (JSON and the binary tensor data extension).
/// Registered once at start-up; handlers run on the event loop of the request's connection
/// (on a worker for a large body, `Offload`).
struct V2Endpoints: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler
    let serverVersion: String

    /// Extensions of the protocol this build implements (answered by `GET /v2`).
    static let extensions = ["binary_tensor_data", "statistics", "model_repository"]

    func register(in endpoints: inout Endpoints) {
        V2Statistics(dataPlane: dataPlane).register(in: &endpoints)
        endpoints.add("GET", "/v2/health/live") { _, _, writer in
            writer.send(.json(200, Array(#"{"live":true}"#.utf8)))
        }
        endpoints.add("GET", "/v2/health/ready") { _, _, writer in writer.send(ready()) }
        endpoints.add("GET", "/v2") { _, _, writer in writer.send(serverMetadata()) }
        endpoints.add("GET", "/v2/models/{model}") { _, p, writer in
            writer.send(try modelMetadata(p["model"], version: nil))
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}") { _, p, writer in
            writer.send(try modelMetadata(p["model"], version: p["version"]))
        }
        endpoints.add("GET", "/v2/models/{model}/ready") { _, p, writer in
            writer.send(try modelReady(p["model"], version: nil))
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}/ready") { _, p, writer in
            writer.send(try modelReady(p["model"], version: p["version"]))
        }
        endpoints.add("POST", "/v2/models/{model}/infer") { request, p, writer in
            infer(request, model: p["model"], version: nil, writer: writer)
        }
        endpoints.add("POST", "/v2/models/{model}/versions/{version}/infer") { request, p, writer in
            infer(request, model: p["model"], version: p["version"], writer: writer)
        }
    }

    // MARK: metadata and health

    private func ready() -> Response {
        if dataPlane.isReady { return .json(200, Array(#"{"ready":true}"#.utf8)) }
        let reason = dataPlane.isAccepting() ? "not every model has a ready version" : "the server is starting or shutting down"
        var w = JSONWriter()
        w.object { w in
            w.key("ready"); w.bool(false)
            w.key("error"); w.string("not ready: \(reason)")
        }
        return .json(503, w.bytes)
    }

    private func serverMetadata() -> Response {
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string("sluice")
            w.key("version"); w.string(serverVersion)
            w.key("extensions")
            w.array { w in for e in Self.extensions { w.string(e) } }
        }
        return .json(200, w.bytes)
    }

    private func modelMetadata(_ name: Substring?, version: Substring?) throws(ServingError) -> Response {
        let metadata = try dataPlane.metadata(named: name ?? "", version: version)
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(metadata.name)
            w.key("versions"); w.array { w in for v in metadata.versions { w.string(v) } }
            w.key("platform"); w.string(metadata.platform)
            w.key("inputs"); Self.write(metadata.inputs, to: &w)
            w.key("outputs"); Self.write(metadata.outputs, to: &w)
            if !metadata.notes.isEmpty {
                // V2's optional parameters object: how the backend serves the model (a ZipMap).
                w.key("parameters")
                w.object { w in w.key("notes"); w.string(metadata.notes.joined(separator: "; ")) }
            }
            if !metadata.unavailable.isEmpty {
                // Not part of V2: says why a version is missing from `versions`.
                w.key("unavailable")
                w.array { w in
                    for (v, reason) in metadata.unavailable {
                        w.object { w in
                            w.key("version"); w.string(String(v))
                            w.key("reason"); w.string(reason)
                        }
                    }
                }
            }
        }
        return .json(200, w.bytes)
    }

    private func modelReady(_ name: Substring?, version: Substring?) throws(ServingError) -> Response {
        let (shown, unready) = try dataPlane.readiness(named: name ?? "", version: version)
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(shown)
            w.key("ready"); w.bool(unready == nil)
            if let unready { w.key("error"); w.string(unready.description) }
        }
        return .json(unready == nil ? 200 : 503, w.bytes)
    }

    private static func write(_ specs: [TensorSpec], to w: inout JSONWriter) {
        w.array { w in
            for spec in specs {
                w.object { w in
                    w.key("name"); w.string(spec.name)
                    w.key("datatype"); w.string(spec.datatype.rawValue)
                    w.key("shape"); w.array { w in for d in spec.shape { w.int(d) } }
                }
            }
        }
    }

    // MARK: inference

    private func infer(_ http: Request, model name: Substring?, version: Substring?, writer: ResponseWriter) {
        InferenceFlow(dataPlane: dataPlane, scheduler: scheduler).run(
            protocol: "v2", model: name, writer: writer,
            // The answer needs only the requested outputs and the binary flag, not a second hold
            // on the whole request.
            prepare: { (target: inout InferenceFlow.Target) throws(ServingError) -> (InferenceRequest, V2AnswerForm) in
                try BodyType.check(http)
                let jsonLength = try http.headers[V2BinaryHeader.name].map { (value) throws(ServingError) in
                    try V2BinaryHeader.parseLength(value, bodyCount: http.body.count)
                }
                let resolved = try dataPlane.resolve(name: name ?? "", version: DataPlane.versionNumber(version)) { http.headers[$0] }
                target.servable = resolved.servable
                target.route = resolved.route
                var request = try V2Request.decode(http.body, jsonLength: jsonLength)
                target.timeoutMicroseconds = request.timeoutMicroseconds
                target.decoded = true
                request.request = try dataPlane.prepare(request.request, for: resolved.servable)
                return (request.request, V2AnswerForm(outputs: request.request.outputs, binaryDataOutput: request.binaryDataOutput))
            },
            encode: { (result, form) throws(ServingError) -> Response in
                let encoded = try V2ResponseEncoder.encode(
                    result, requested: form.outputs, binaryDataOutput: form.binaryDataOutput)
                guard let jsonLength = encoded.jsonLength else { return .json(200, encoded.body) }
                var headers = Headers()
                headers.add("inference-header-content-length", String(jsonLength))
                headers.add("content-type", "application/octet-stream")
                return Response(status: 200, headers: headers, body: encoded.body)
            })
    }
}

/// What shapes a V2 answer besides the outputs themselves: the outputs the request asked for
/// and its `binary_data_output` parameter.
struct V2AnswerForm: Sendable {
    var outputs: [RequestedOutput]
    var binaryDataOutput: Bool
}
