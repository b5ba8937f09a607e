/// Everything the serving core can refuse or fail at. The server maps each case to an HTTP
/// status in one exhaustive switch (SluiceServer/ServingError+HTTP.swift).
package enum ServingError: Error, Sendable, Equatable {
    /// The request is malformed or does not fit the model's signature (400).
    case invalidInput(String)
    /// No such model (404).
    case modelNotFound(String)
    /// The model exists but not that version (404).
    case versionNotFound(model: String, version: Int)
    /// The model exists but has no such label (404), e.g. `/v1/models/m/labels/canary`.
    case labelNotFound(model: String, label: String)
    /// The request body is in a media type the endpoint does not read (415).
    case unsupportedMediaType(String)
    /// The model or version exists but is not ready to serve (503).
    case unavailable(String)
    /// The request's deadline (a gRPC call's `grpc-timeout`) passed before it ran (504): it was
    /// not computed.
    case deadlineExceeded(String)
    /// A backend failed on a request it had accepted: our fault (500).
    case backendFailure(String)
    /// A model file could not be loaded (reported on the version, never to an inference client).
    case loadFailure(String)
}

extension ServingError: CustomStringConvertible {
    package var description: String {
        switch self {
        case .invalidInput(let m): m
        case .modelNotFound(let name): "unknown model '\(name)'"
        case .versionNotFound(let model, let version): "model '\(model)' has no version \(version)"
        case .labelNotFound(let model, let label): "model '\(model)' has no label '\(label)'"
        case .unsupportedMediaType(let m): m
        case .unavailable(let m): m
        case .deadlineExceeded(let m): m
        case .backendFailure(let m): m
        case .loadFailure(let m): m
        }
    }
}
