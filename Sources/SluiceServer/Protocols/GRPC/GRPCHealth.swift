import SluiceHTTP

/// `grpc.health.v1.Health/Check` (Kubernetes' gRPC probes, grpc-health-probe): the server as a
/// whole (`""`) and `inference.GRPCInferenceService` are SERVING when REST's
/// `/v2/health/ready` would answer 200 (`DataPlane.isReady`), NOT_SERVING otherwise; any other
/// service is NOT_FOUND, as the health protocol asks. Handlers run on the call's event loop.
struct GRPCHealth: Sendable {
    let dataPlane: DataPlane

    /// The services this server answers for.
    static let services: Set<String> = ["", "inference.GRPCInferenceService"]

    func register(in methods: inout Endpoints) {
        methods.add("POST", "/grpc.health.v1.Health/Check") { request, _, writer in
            let call = try GRPCMessage.decode(Grpc_Health_V1_HealthCheckRequest.self, from: request)
            var answer = Grpc_Health_V1_HealthCheckResponse()
            answer.status = try status(of: call.service)
            writer.send(try GRPCMessage.answer(answer))
        }
    }

    /// The status of `service` now: what `Check` answers, and what a `Watch` stream reports.
    func status(of service: String) throws(GRPCError) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        guard Self.services.contains(service) else { throw .unknownService(service) }
        return dataPlane.isReady ? .serving : .notServing
    }
}
