import SluiceHTTP

/// What the gRPC service refuses that no serving error names (the transport's own refusals
/// are SluiceHTTP's `GRPCServiceError`).
enum GRPCServiceError: HTTPResponseError, Equatable {
    /// `grpc.health.v1.Health/Check` for a service this server does not have (the health
    /// protocol's NOT_FOUND).
    case unknownService(String)
    /// A stream still open when the server stops (a health `Watch`): UNAVAILABLE, gRPC's answer
    /// to a server going away.
    case shuttingDown

    var status: Int {
        switch self {
        case .unknownService: 404
        case .shuttingDown: 503
        }
    }

    var message: String {
        switch self {
        case .unknownService(let name): "unknown service '\(name)'"
        case .shuttingDown: "the server is shutting down"
        }
    }
}
