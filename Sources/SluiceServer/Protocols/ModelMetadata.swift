import SluiceCore

/// What every protocol answers about one model (V2 `GET /v2/models/{m}[/versions/{v}]`, gRPC
/// `ModelMetadata` and `ModelConfig`): decided once here, rendered by each protocol in its own
/// format. Built per metadata request on the event loop from the current snapshot.
struct ModelMetadata: Sendable {
    /// The name the client used: a route's name answers for its model.
    var name: String
    /// The version asked for, or every ready version, ascending, in decimal.
    var versions: [String]
    /// The backend of the version asked for (else the newest ready one), else `backend:` of
    /// `model.yaml`, else empty.
    var platform: String
    var inputs: [TensorSpec]
    var outputs: [TensorSpec]
    /// `max_batch_size:` of the version's config (else the model's); nil when not declared.
    var maxBatchSize: Int?
    /// Versions that failed, with why (only the asked-for one when a version is named).
    var unavailable: [(version: Int, reason: String)]
    /// The backend's notes on how it serves the version (`Backend.notes`); empty for most.
    var notes: [String] = []
}

extension DataPlane {
    /// The metadata of `name` (a route or a model), of `version` or of the model as a whole.
    /// Throws `.modelNotFound`, `.versionNotFound` for a version the model does not list, and
    /// `.invalidInput` for a version that is not a positive integer.
    func metadata(named name: Substring, version: Substring?) throws(ServingError) -> ModelMetadata {
        let (model, route) = try modelOrRoute(named: name)
        let number = try DataPlane.versionNumber(version)
        let servable = number == nil ? try? model.servable(version: nil) : try model.servable(version: number)
        let unavailable = model.versions.compactMap { entry -> (version: Int, reason: String)? in
            if case .unavailable(let reason) = entry.state, number == nil || number == entry.version { return (entry.version, reason) }
            return nil
        }
        return ModelMetadata(
            name: route?.name ?? model.name,
            versions: number.map { [String($0)] } ?? model.readyVersions.map { String($0) },
            platform: servable?.platform ?? model.config.backend ?? "",
            inputs: servable?.inputs ?? model.config.inputs,
            outputs: servable?.outputs ?? model.config.outputs,
            maxBatchSize: servable?.config.maxBatchSize ?? model.config.maxBatchSize,
            unavailable: unavailable, notes: servable?.notes ?? [])
    }

    /// Whether `name` (a route or a model) can serve now: without a version, a route is ready
    /// when every arm that gets traffic can serve, a model when it has a ready version; with one,
    /// that version must be ready. Returns the name the client used and, when not ready, why.
    /// Throws `.modelNotFound`, `.versionNotFound` (for a version the client named) and
    /// `.invalidInput`, which every protocol answers as errors rather than as "not ready".
    func readiness(named name: Substring, version: Substring?) throws(ServingError) -> (name: String, unready: ServingError?) {
        let (model, route) = try modelOrRoute(named: name)
        let number = try DataPlane.versionNumber(version)
        let shown = route?.name ?? model.name
        do {
            if let route, number == nil {
                for arm in route.arms where arm.weight > 0 { _ = try model.servable(arm.target) }
            } else {
                _ = try model.servable(version: number)
            }
        } catch .versionNotFound(let m, let v) where route == nil || number != nil {
            throw .versionNotFound(model: m, version: v)
        } catch {
            return (shown, error)
        }
        return (shown, nil)
    }
}
