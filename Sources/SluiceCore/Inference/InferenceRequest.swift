/// One inference as the serving core sees it, whatever wire it came from.
/// Built by a protocol codec on an event loop; read by the data plane and the backend.
package struct InferenceRequest: Sendable {
    /// The client's request id, echoed in the response.
    package var id: String?
    package var inputs: [Tensor]
    /// The outputs the client asked for; empty means all of the model's outputs.
    package var outputs: [RequestedOutput]

    package init(id: String? = nil, inputs: [Tensor], outputs: [RequestedOutput] = []) {
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// An output named in a request, with how the client wants it back.
package struct RequestedOutput: Sendable, Equatable {
    package var name: String
    /// `binary_data` of the binary tensor extension: `nil` when the client did not say.
    package var binary: Bool?

    package init(name: String, binary: Bool? = nil) {
        self.name = name
        self.binary = binary
    }
}

/// The answer of one inference: which model version ran it and its output tensors.
package struct InferenceResponse: Sendable {
    package var modelName: String
    package var modelVersion: Int
    package var id: String?
    package var outputs: [Tensor]

    package init(modelName: String, modelVersion: Int, id: String?, outputs: [Tensor]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.outputs = outputs
    }
}
