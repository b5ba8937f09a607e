import SluiceCore
import SluiceHTTP
import SluiceJSON

/// KServe V1 and TF-Serving REST (README "Try it" and "Errors"): `:predict` on a model, a version
/// or a label, in row (`instances`) or columnar (`inputs`) form, and model status. Registered once
/// at start-up; handlers run on the event loop of the request's connection
/// (on a worker for a large body, `Offload`).
///
/// Status answers TF Serving's `model_version_status` and KServe V1's `name`/`ready` in one
/// object, so clients of either read it.
struct V1Endpoints: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler

    /// How a path names the version: not at all (the highest ready one), by number, or by label.
    enum Selector: Sendable {
        case latest
        case version(Substring?)
        case label(Substring?)
    }

    func register(in endpoints: inout Endpoints) {
        endpoints.add("GET", "/v1/models") { _, _, writer in writer.send(modelList()) }
        endpoints.add("GET", "/v1/models/{model}") { _, p, writer in
            writer.send(try status(p["model"], .latest))
        }
        endpoints.add("GET", "/v1/models/{model}/versions/{version}") { _, p, writer in
            writer.send(try status(p["model"], .version(p["version"])))
        }
        endpoints.add("GET", "/v1/models/{model}/labels/{label}") { _, p, writer in
            writer.send(try status(p["model"], .label(p["label"])))
        }
        endpoints.add("POST", "/v1/models/{model}:predict") { request, p, writer in
            predict(request, model: p["model"], .latest, writer: writer)
        }
        endpoints.add("POST", "/v1/models/{model}/versions/{version}:predict") { request, p, writer in
            predict(request, model: p["model"], .version(p["version"]), writer: writer)
        }
        endpoints.add("POST", "/v1/models/{model}/labels/{label}:predict") { request, p, writer in
            predict(request, model: p["model"], .label(p["label"]), writer: writer)
        }
    }

    /// The version `selector` names on `model`, with the errors of `ModelEntry`.
    private func servable(_ model: ModelEntry, _ selector: Selector) throws(ServingError) -> ServableVersion {
        switch selector {
        case .latest: try model.servable(version: nil)
        case .version(let text): try model.servable(version: DataPlane.versionNumber(text))
        case .label(let label): try model.servable(label: String(label ?? ""))
        }
    }

    private func predict(_ http: Request, model name: Substring?, _ selector: Selector, writer: ResponseWriter) {
        InferenceFlow(dataPlane: dataPlane, scheduler: scheduler).run(
            protocol: "v1", model: name, writer: writer,
            prepare: { (target: inout InferenceFlow.Target) throws(ServingError) -> (InferenceRequest, V1Request.Form) in
                try BodyType.check(http)
                // Routes apply here as in V2: a route name goes through its split; a version or
                // label in the path bypasses it.
                let resolved = switch selector {
                case .latest: try dataPlane.resolve(name: name ?? "", version: nil) { http.headers[$0] }
                case .version(let text): try dataPlane.resolve(name: name ?? "", version: DataPlane.versionNumber(text)) { http.headers[$0] }
                case .label(let label): try dataPlane.resolve(name: name ?? "", version: nil, label: String(label ?? "")) { http.headers[$0] }
                }
                target.servable = resolved.servable
                target.route = resolved.route
                let decoded = try V1Request.decode(http.body, inputs: resolved.servable.inputs, model: resolved.servable.modelName)
                target.decoded = true
                return (try dataPlane.prepare(decoded.request, for: resolved.servable), decoded.form)
            },
            encode: { (result, form) throws(ServingError) -> Response in
                .json(200, try V1ResponseEncoder.encode(result, form: form))
            })
    }

    // MARK: status

    private func modelList() -> Response {
        var w = JSONWriter()
        w.object { w in
            w.key("models")
            w.array { w in for model in dataPlane.manager.snapshot.models { w.string(model.name) } }
        }
        return .json(200, w.bytes)
    }

    /// TF Serving's GetModelStatus: every version the policy keeps (or the one the path names),
    /// with its state; plus KServe V1's `name` and `ready`.
    private func status(_ name: Substring?, _ selector: Selector) throws(ServingError) -> Response {
        // A route answers for its model, under the route's name, as in V2 metadata.
        let (model, route) = try dataPlane.modelOrRoute(named: name ?? "")
        let listed: [VersionEntry]
        switch selector {
        case .latest:
            listed = model.versions
        case .version(let text):
            let number = try DataPlane.versionNumber(text) ?? 0
            guard let entry = model.version(number) else { throw .versionNotFound(model: model.name, version: number) }
            listed = [entry]
        case .label(let label):
            let label = String(label ?? "")
            guard let number = model.labels[label] else { throw .labelNotFound(model: model.name, label: label) }
            listed = model.version(number).map { [$0] } ?? []
        }
        let ready = (try? servable(model, selector)) != nil
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(route?.name ?? model.name)
            w.key("ready"); w.bool(ready)
            w.key("model_version_status")
            w.array { w in
                for entry in listed {
                    w.object { w in
                        w.key("version"); w.string(String(entry.version))
                        w.key("state"); w.string(Self.tfState(entry.state))
                        w.key("status")
                        w.object { w in
                            if case .unavailable(let reason) = entry.state {
                                w.key("error_code"); w.string("UNKNOWN")
                                w.key("error_message"); w.string(reason)
                            } else {
                                w.key("error_code"); w.string("OK")
                                w.key("error_message"); w.string("")
                            }
                        }
                    }
                }
            }
        }
        return .json(200, w.bytes)
    }

    /// TF Serving's `ModelVersionStatus.State` for ours: a version that failed to load is
    /// `END` with an error status, as TF Serving reports it.
    private static func tfState(_ state: VersionState) -> String {
        switch state {
        case .loading: "LOADING"
        case .ready: "AVAILABLE"
        case .unloading: "UNLOADING"
        case .unavailable: "END"
        }
    }
}
