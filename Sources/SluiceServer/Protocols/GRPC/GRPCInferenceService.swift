import SluiceCore
import SluiceHTTP

/// `inference.GRPCInferenceService`: the Open Inference Protocol over gRPC, with the repository,
/// statistics and model-config methods tritonclient.grpc calls. Each method decides nothing of
/// its own: it asks the data plane and the model manager what the REST endpoints ask
/// (`ModelMetadata`, `DataPlane.readiness`, `VersionStatistics`, `InferenceFlow`) and renders the
/// answer as protobuf. Registered once at start-up into the server's gRPC method table; handlers
/// run on the event loop of the call's connection (inference on a worker when costly), receive
/// the one request message unframed in `request.body` and the call's metadata as headers, and
/// throw `HTTPResponseError`s, which the transport answers as `grpc-status` and `grpc-message`.
/// A method not registered here answers UNIMPLEMENTED.
struct GRPCInferenceService: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler
    let auth: AdminAuth
    let serverVersion: String

    static let prefix = "/inference.GRPCInferenceService/"

    func register(in methods: inout Endpoints) {
        add("ServerLive", to: &methods) { _, writer in
            var answer = Inference_ServerLiveResponse()
            answer.live = true
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ServerReady", to: &methods) { _, writer in
            var answer = Inference_ServerReadyResponse()
            answer.ready = dataPlane.isReady
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ModelReady", to: &methods) { request, writer in
            let call = try GRPCMessage.decode(Inference_ModelReadyRequest.self, from: request)
            var answer = Inference_ModelReadyResponse()
            answer.ready = try dataPlane.readiness(named: call.name[...], version: GRPCMessage.version(call.version)).unready == nil
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ServerMetadata", to: &methods) { _, writer in
            var answer = Inference_ServerMetadataResponse()
            answer.name = "sluice"
            answer.version = serverVersion
            answer.extensions = V2Endpoints.extensions
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ModelMetadata", to: &methods) { request, writer in
            let call = try GRPCMessage.decode(Inference_ModelMetadataRequest.self, from: request)
            let metadata = try dataPlane.metadata(named: call.name[...], version: GRPCMessage.version(call.version))
            var answer = Inference_ModelMetadataResponse()
            answer.name = metadata.name
            answer.versions = metadata.versions
            answer.platform = metadata.platform
            answer.inputs = metadata.inputs.map(Inference_ModelMetadataResponse.TensorMetadata.init)
            answer.outputs = metadata.outputs.map(Inference_ModelMetadataResponse.TensorMetadata.init)
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ModelConfig", to: &methods) { request, writer in
            let call = try GRPCMessage.decode(Inference_ModelConfigRequest.self, from: request)
            let metadata = try dataPlane.metadata(named: call.name[...], version: GRPCMessage.version(call.version))
            var answer = Inference_ModelConfigResponse()
            answer.config = Inference_ModelConfig(metadata)
            writer.send(try GRPCMessage.answer(answer))
        }
        add("ModelInfer", to: &methods) { request, writer in infer(request, writer: writer) }
        registerRepository(in: &methods)
    }

    /// One method of the service, at `/inference.GRPCInferenceService/<name>` (POST: gRPC
    /// calls are always POSTs).
    func add(_ name: String, to methods: inout Endpoints, _ handler: @escaping @Sendable (Request, ResponseWriter) throws -> Void) {
        methods.add("POST", Self.prefix + name) { request, _, writer in try handler(request, writer) }
    }
}
