import SluiceHTTP

/// `grpc.health.v1.Health` (Kubernetes' gRPC probes, grpc-health-probe): the server as a whole
/// (`""`) and `inference.GRPCInferenceService` are SERVING when REST's `/v2/health/ready` would
/// answer 200 (`DataPlane.isReady`), NOT_SERVING otherwise. `Check` answers any other service
/// NOT_FOUND, as the health protocol asks; `Watch` reports it SERVICE_UNKNOWN and keeps
/// watching (`HealthWatch`). Handlers run on the call's event loop.
struct GRPCHealth: Sendable {
    let dataPlane: DataPlane

    /// The services this server answers for.
    static let services: Set<String> = ["", "inference.GRPCInferenceService"]

    /// Registers `Check`, and `Watch` through `watch` (made with `watchedStatus`).
    func register(in methods: inout Endpoints, watch: HealthWatch) {
        methods.add("POST", "/grpc.health.v1.Health/Check") { request, _, writer in
            let call = try GRPCMessage.decode(Grpc_Health_V1_HealthCheckRequest.self, from: request)
            var answer = Grpc_Health_V1_HealthCheckResponse()
            answer.status = try status(of: call.service)
            writer.send(try GRPCMessage.answer(answer))
        }
        methods.add("POST", "/grpc.health.v1.Health/Watch") { request, _, writer in
            let call = try GRPCMessage.decode(Grpc_Health_V1_HealthCheckRequest.self, from: request)
            watch.add(service: call.service, writer: writer)
        }
    }

    /// The status of `service` now: what `Check` answers, and what a `Watch` stream reports.
    func status(of service: String) throws(GRPCServiceError) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        guard Self.services.contains(service) else { throw .unknownService(service) }
        return dataPlane.isReady ? .serving : .notServing
    }

    /// What a watcher of `service` is told: its status, or nil (SERVICE_UNKNOWN).
    var watchedStatus: @Sendable (String) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        { service in try? status(of: service) }
    }
}
