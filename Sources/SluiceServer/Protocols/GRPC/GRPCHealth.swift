import SluiceCore
import SluiceHTTP
import SwiftProtobuf

/// gRPC's health-checking protocol (`grpc.health.v1.Health`), which Kubernetes' gRPC probes and
/// grpc-health-probe call: the server as a whole (service "") and the inference service are
/// SERVING exactly when REST's `/v2/health/ready` answers 200.
enum GRPCHealth {
    /// The services the server answers for.
    static let services: Set<String> = ["", "inference.GRPCInferenceService"]

    /// `service`'s status, or nil for a service the server does not know.
    static func status(of service: String, ready: Bool) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        guard services.contains(service) else { return nil }
        return ready ? .serving : .notServing
    }

    static func registerWatch(_ watch: HealthWatch, in grpc: inout Endpoints) {
        grpc.add("POST", "/grpc.health.v1.Health/Watch") { request, _, writer in
            let asked: Grpc_Health_V1_HealthCheckRequest
            do {
                asked = try Grpc_Health_V1_HealthCheckRequest(serializedBytes: request.body)
            } catch {
                throw ServingError.invalidInput("the request is not a HealthCheckRequest message: \(error)")
            }
            watch.add(service: asked.service, writer: writer)
        }
    }
}
