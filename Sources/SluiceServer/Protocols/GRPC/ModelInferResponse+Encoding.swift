import Foundation
import SluiceCore

extension Inference_ModelInferResponse {
    /// The answer to a `ModelInfer` call, as Triton gives it: `model_name` the name the client
    /// called (a route's name when a route chose the version), `model_version` the version that
    /// ran, the request's `id`, and the `requested` outputs (every output when none is) with
    /// their data in `raw_output_contents`, one entry per output in the binary extension's layout
    /// (`V2BinaryTensor`: one copy of a numeric tensor's contiguous bytes). Runs wherever the
    /// inference ran (loop or worker).
    init(_ response: InferenceResponse, modelName: String, requested: [RequestedOutput]) throws(ServingError) {
        self.init()
        self.modelName = modelName
        modelVersion = String(response.modelVersion)
        id = response.id ?? ""
        let tensors = try response.outputs(requested: requested)
        outputs.reserveCapacity(tensors.count)
        rawOutputContents.reserveCapacity(tensors.count)
        for tensor in tensors {
            var output = InferOutputTensor()
            output.name = tensor.name
            output.datatype = tensor.datatype.rawValue
            output.shape = tensor.shape.map { Int64($0) }
            outputs.append(output)
            var raw = Data(capacity: V2BinaryTensor.byteCount(tensor.data))
            V2BinaryTensor.encode(tensor.data, into: &raw)
            rawOutputContents.append(raw)
        }
    }
}
