import SluiceHTTP

/// What the gRPC service refuses that no serving error names.
enum GRPCError: HTTPResponseError, Equatable {
    /// `grpc.health.v1.Health/Check` for a service this server does not have (the health
    /// protocol's NOT_FOUND).
    case unknownService(String)

    var status: Int {
        switch self {
        case .unknownService: 404
        }
    }

    var message: String {
        switch self {
        case .unknownService(let name): "unknown service '\(name)'"
        }
    }
}
