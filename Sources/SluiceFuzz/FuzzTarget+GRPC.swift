import SluiceCore
import SluiceServer

extension FuzzTarget {
    /// A `ModelInfer` request message as `ModelInferRequestDecoder` reads it (the protobuf
    /// reader goes through unsafe pointers, whose bounds only ASan checks in a release build);
    /// what becomes a request is answered with its inputs as outputs through the hand-written
    /// response encoder: every output, and those it requests.
    static func decodeGRPCInfer(_ bytes: [UInt8]) {
        do throws(ServingError) {
            let call = try ModelInferRequestDecoder.decode(bytes)
            _ = call.stringParameter("route")
            let request = try call.inferenceRequest()
            let response = InferenceResponse(modelName: "m", modelVersion: 1, id: request.id, outputs: request.inputs)
            _ = try ModelInferResponseEncoder.encode(response, modelName: call.modelName, requested: [])
            _ = try ModelInferResponseEncoder.encode(response, modelName: call.modelName, requested: request.outputs)
        } catch {}
    }
}
