package import SluiceCore

/// The backends compiled into this build, behind one `BackendLoader`.
package enum Backends {
    /// Builds the backend `request.kind` names from `request.file`. Injected into the model
    /// manager as its `BackendLoader` and called on a loader thread, never on an event loop.
    /// Throws `ServingError.loadFailure` with a reason a user can act on: a malformed or
    /// unsupported file or a signature that does not fit.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> any Backend {
        switch request.kind {
        case .xgboost:
            return try XGBoostBackend.load(request)
        case .lightgbm:
            return try LightGBMBackend.load(request)
        case .onnx:
            return try ONNXBackend.load(request)
        }
    }
}
