import SluiceCore

extension InferenceResponse {
    /// The outputs an answer carries: those `requested`, in request order, or every output in the
    /// model's order when none is. Throws `.invalidInput` for a requested output the response
    /// does not have (which `DataPlane.prepare` refuses before the model runs). Every protocol's
    /// encoder (V2 REST, gRPC) selects through it, wherever the inference ran.
    func outputs(requested: [RequestedOutput]) throws(ServingError) -> [Tensor] {
        if requested.isEmpty { return outputs }
        try V2ResponseEncoder.checkRequestedOutputs(requested, available: outputs.map(\.name))
        return requested.compactMap { want in outputs.first { $0.name == want.name } }
    }
}
