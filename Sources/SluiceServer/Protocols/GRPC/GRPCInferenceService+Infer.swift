import SluiceCore
import SluiceHTTP

extension GRPCInferenceService {
    /// `ModelInfer` through the same `InferenceFlow` as REST (`protocol="grpc"`): routes,
    /// canaries, shadows, statistics and metrics apply alike. A route's rules and sticky key
    /// read a header from the call's metadata, else from a string entry of the request's
    /// `parameters` of the same name (for clients that cannot set metadata).
    func infer(_ http: Request, writer: ResponseWriter) {
        // Decoded before the flow, which needs the model's name; a body that does not parse
        // names none and fails in `prepare`, counted as an unresolved request as in REST.
        let decoded = Result { () throws(ServingError) in try ModelInferRequestDecoder.decode(http.body) }
        let name = (try? decoded.get())?.modelName ?? ""
        InferenceFlow(dataPlane: dataPlane, scheduler: scheduler).run(
            protocol: "grpc", model: name[...], writer: writer,
            prepare: { (target: inout InferenceFlow.Target) throws(ServingError) -> (InferenceRequest, [RequestedOutput]) in
                let call = try decoded.get()
                let resolved = try dataPlane.resolve(name: name[...], version: DataPlane.versionNumber(GRPCMessage.version(call.modelVersion))) {
                    http.headers[$0] ?? call.stringParameter($0)
                }
                target.servable = resolved.servable
                target.route = resolved.route
                let request = try call.inferenceRequest()
                target.timeoutMicroseconds = try call.timeoutMicroseconds()
                target.decoded = true
                let prepared = try dataPlane.prepare(request, for: resolved.servable)
                return (prepared, prepared.outputs)
            },
            encode: { (result, requested) throws(ServingError) -> Response in
                Response(status: 200, body: try ModelInferResponseEncoder.encode(result, modelName: name, requested: requested))
            })
    }
}
