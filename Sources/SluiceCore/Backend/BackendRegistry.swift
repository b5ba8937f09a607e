/// One backend a build can load: the name `model.yaml`'s `backend:` gives it, the model file
/// names that identify it in a version folder, and how to build it from one.
///
/// Declared by each backend in its own folder (`XGBoostBackend.factory`) and gathered into a
/// `BackendRegistry` by the backends target.
package struct BackendFactory: Sendable {
    /// `xgboost`, `onnx`, …: what `backend:` says and what a load request names.
    package let name: String
    /// The model files it recognises, in the order messages list them.
    package let fileNames: [String]
    /// Builds the backend; called on a loader thread, never on an event loop.
    package let load: BackendLoader
    /// The keys `model.yaml`'s section named after the backend may hold (`xgboost: {iterations:
    /// all}`), each with the values it may take. The model.yaml parser refuses any other key or
    /// value, and any section at all for a backend without options; the backend reads what
    /// passed from `BackendLoadRequest.options`.
    package let options: [String: [String]]

    package init(
        name: String, fileNames: [String], options: [String: [String]] = [:], load: @escaping BackendLoader
    ) {
        self.name = name
        self.fileNames = fileNames
        self.options = options
        self.load = load
    }
}

/// The backends a build can load, by name (Triton's backends by name). The core names no
/// backend: the backends target provides the standard registry and the server (and `sluice
/// validate`) inject it, so adding a backend touches its own folder and one registration line.
///
/// Immutable; read by the repository scanner (which names `backend:` may take, which files to
/// look for) and by the model manager's loader threads (`load`), from any thread.
package struct BackendRegistry: Sendable {
    /// In registration order, which is the order messages list them in.
    package let factories: [BackendFactory]

    /// - Precondition: no two factories share a name (registrations are code, not input).
    package init(_ factories: [BackendFactory]) {
        precondition(Set(factories.map(\.name)).count == factories.count, "two backends share a name")
        self.factories = factories
    }

    /// The names `backend:` may take, in registration order.
    package var names: [String] { factories.map(\.name) }

    /// Each backend's `model.yaml` options (`BackendFactory.options`), by backend name, for the
    /// model.yaml parser.
    package var options: [String: [String: [String]]] {
        Dictionary(uniqueKeysWithValues: factories.map { ($0.name, $0.options) })
    }

    /// The backend of that exact name, or nil.
    package func factory(named name: String) -> BackendFactory? {
        factories.first { $0.name == name }
    }

    /// Builds the backend `request.backend` names: the manager's `BackendLoader`. Called on a
    /// loader thread. Throws `.loadFailure` for a name no backend has (the scanner refuses
    /// those, so only a hand-made request gets here) and whatever the backend throws.
    package func load(_ request: BackendLoadRequest) throws(ServingError) -> any Backend {
        guard let factory = factory(named: request.backend) else {
            throw .loadFailure("no backend named '\(request.backend)' (this build has \(names.joined(separator: ", ")))")
        }
        return try factory.load(request)
    }

    /// The model manager's loader: `load` with the server's `limits` on every request (the
    /// repository scan that makes the requests knows nothing of them).
    package func loader(limits: ModelLimits) -> BackendLoader {
        { request throws(ServingError) in
            var limited = request
            limited.limits = limits
            return try load(limited)
        }
    }
}
