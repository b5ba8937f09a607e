import SluiceCore
import SluiceHTTP
import SluiceNet

/// The Open Inference Protocol (KServe V2) REST endpoints of DESIGN §5: health, server and model
/// metadata, readiness and inference (JSON and the binary tensor data extension).
/// Registered once at start-up; handlers run on the event loop of the request's connection.
struct V2Endpoints: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler
    let serverVersion: String
    /// Copies routed requests to their route's shadow; nil when no route could have one.
    var shadows: ShadowRunner?

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
            writer.send(ErrorResponse.answering { () throws(ServingError) in try modelMetadata(p["model"], version: nil) })
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}") { _, p, writer in
            writer.send(ErrorResponse.answering { () throws(ServingError) in try modelMetadata(p["model"], version: p["version"]) })
        }
        endpoints.add("GET", "/v2/models/{model}/ready") { _, p, writer in
            writer.send(ErrorResponse.answering { () throws(ServingError) in try modelReady(p["model"], version: nil) })
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}/ready") { _, p, writer in
            writer.send(ErrorResponse.answering { () throws(ServingError) in try modelReady(p["model"], version: p["version"]) })
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
        // A route answers for its model, under the route's name (the name the client uses).
        let (model, route) = try dataPlane.modelOrRoute(named: name ?? "")
        let number = try DataPlane.versionNumber(version)
        let servable = number == nil ? try? model.servable(version: nil) : try model.servable(version: number)
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(route?.name ?? model.name)
            w.key("versions")
            w.array { w in
                if let number { w.string(String(number)) } else { for v in model.readyVersions { w.string(String(v)) } }
            }
            w.key("platform"); w.string(servable?.platform ?? model.config.backend?.rawValue ?? "")
            w.key("inputs"); Self.write(servable?.inputs ?? model.config.inputs, to: &w)
            w.key("outputs"); Self.write(servable?.outputs ?? model.config.outputs, to: &w)
            let unavailable = model.versions.compactMap { entry -> (Int, String)? in
                if case .unavailable(let reason) = entry.state, number == nil || number == entry.version { return (entry.version, reason) }
                return nil
            }
            if !unavailable.isEmpty {
                // Not part of V2: says why a version is missing from `versions`.
                w.key("unavailable")
                w.array { w in
                    for (v, reason) in unavailable {
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
        let (model, route) = try dataPlane.modelOrRoute(named: name ?? "")
        let number = try DataPlane.versionNumber(version)
        var w = JSONWriter()
        do {
            if let route, number == nil {
                // A route is ready when every arm that gets traffic can serve.
                for arm in route.arms where arm.weight > 0 {
                    switch arm.target {
                    case .version(let v): _ = try model.servable(version: v)
                    case .label(let l): _ = try model.servable(label: l)
                    }
                }
            } else {
                _ = try model.servable(version: number)
            }
        } catch .versionNotFound(let m, let v) where route == nil || number != nil {
            throw .versionNotFound(model: m, version: v)
        } catch {
            w.object { w in
                w.key("name"); w.string(route?.name ?? model.name)
                w.key("ready"); w.bool(false)
                w.key("error"); w.string(error.description)
            }
            return .json(503, w.bytes)
        }
        w.object { w in
            w.key("name"); w.string(route?.name ?? model.name)
            w.key("ready"); w.bool(true)
        }
        return .json(200, w.bytes)
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
        let arrived = MonotonicClock.now()
        let prepared: (V2Request, ServableVersion, RouteDecision?)
        var servable: ServableVersion?
        var decision: RouteDecision?
        var decoded = false
        do throws(ServingError) {
            try Self.checkContentType(http)
            let jsonLength = try http.headers[V2BinaryHeader.name].map { (value) throws(ServingError) in
                try V2BinaryHeader.parseLength(value, bodyCount: http.body.count)
            }
            let resolved = try dataPlane.resolve(name: name ?? "", version: DataPlane.versionNumber(version)) { http.headers[$0] }
            servable = resolved.servable
            decision = resolved.route
            var request = try V2Request.decode(http.body, jsonLength: jsonLength)
            decoded = true
            request.request = try dataPlane.prepare(request.request, for: resolved.servable)
            prepared = (request, resolved.servable, resolved.route)
        } catch {
            // A request the version rejected counts as its failure (Triton's `fail` statistic).
            var response = ErrorResponse.response(for: error)
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            if let servable {
                DataPlane.annotate(&response.headers, servable: servable, route: decision)
                // A body that did not parse says nothing about the version; one it refused does.
                dataPlane.record(servable, route: decision, protocol: "v2", status: response.status, nanos: nanos, failed: decoded ? true : nil)
            } else {
                // Only a model the repository knows is a label value; a client's typo is not.
                let known = name.flatMap { self.dataPlane.manager.snapshot.model(named: String($0))?.name } ?? ""
                self.dataPlane.metrics?.countUnresolved(model: known, protocol: "v2", code: response.status)
            }
            writer.send(response)
            return
        }
        let (request, target, route) = prepared
        let plane = dataPlane
        let shadows = shadows
        scheduler.run(on: target, rows: request.request.inputs.first?.shape.first ?? 1, writer: writer) { queued in
            // Counted while it runs, so an unloading version is released only after it.
            target.stats.requestStarted()
            defer { target.stats.requestFinished() }
            var response: Response
            do throws(ServingError) {
                let result = try plane.infer(request.request, on: target, queuedNanos: queued)
                let encoded = try V2ResponseEncoder.encode(result, for: request)
                var headers = Headers()
                DataPlane.annotate(&headers, servable: target, route: route)
                if let jsonLength = encoded.jsonLength {
                    headers.add("inference-header-content-length", String(jsonLength))
                    headers.add("content-type", "application/octet-stream")
                    response = Response(status: 200, headers: headers, body: encoded.body)
                } else {
                    response = .json(200, encoded.body, headers: headers)
                }
                if let route, let shadows, route.route.drawsShadow { shadows.submit(request.request, primary: result, route: route) }
            } catch {
                response = ErrorResponse.response(for: error, model: target.modelName, version: target.version)
                DataPlane.annotate(&response.headers, servable: target, route: route)
            }
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            plane.record(target, route: route, protocol: "v2", status: response.status, nanos: nanos, failed: response.status != 200)
            return response
        }
    }

    /// Types whose body may be a V2 request: JSON, the binary extension's octet-stream, and the
    /// two that `curl -d` and hand-written clients send by default for what is JSON text.
    private static let acceptedTypes = ["application/json", "application/octet-stream", "application/x-www-form-urlencoded", "text/plain"]

    /// No type, or one of `acceptedTypes`; anything else (multipart, XML, protobuf…) is 415.
    private static func checkContentType(_ request: Request) throws(ServingError) {
        guard var type = request.headers["content-type"] else { return }
        // The media type before any parameters, compared case-insensitively in place: this runs
        // per request, so no lower-cased copy and no Foundation.
        let accepted = type.withUTF8 { bytes -> Bool in
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
            var start = bytes.startIndex
            while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
            while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
            let bare = UnsafeBufferPointer(rebasing: bytes[start..<end])
            return acceptedTypes.contains { candidate in
                candidate.utf8.count == bare.count
                    && zip(candidate.utf8, bare).allSatisfy { $0 == ($1 >= 65 && $1 <= 90 ? $1 | 0x20 : $1) }
            }
        }
        if accepted { return }
        throw .unsupportedMediaType("Content-Type '\(type)' is not supported; send application/json (or application/octet-stream with \(V2BinaryHeader.name))")
    }

}
