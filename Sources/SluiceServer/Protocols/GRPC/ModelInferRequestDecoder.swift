package import SluiceCore

/// A `ModelInfer` call's request message read straight from protobuf's wire format into what
/// the call needs (`ModelInferCall`): the request every gRPC inference makes, where
/// swift-protobuf's message (a storage class, a dictionary of parameters, a `Data` per raw
/// input) and its conversion cost about 12,000 instructions of a 1-row request.
///
/// It parses as a protobuf parser must: packed and unpacked repeated scalars, the last value of
/// a singular field, a `contents` message given twice merged (its repeated fields appended, as
/// swift-protobuf merges), unknown fields and known fields with another wire type skipped.
/// A message swift-protobuf refuses it refuses with the same words (`ProtobufReader`), and it
/// refuses groups. The fields are `grpc_service.proto`'s; the checks of the tensors against
/// each other are `ModelInferCall.inferenceRequest()`'s, run after the whole message parsed,
/// so a malformed message is named as one before any tensor fault. Runs on the caller's thread.
package enum ModelInferRequestDecoder {
    /// The call `body` (one unframed request message) names; a body that is not a valid
    /// `ModelInferRequest` is `.invalidInput` (INVALID_ARGUMENT) saying why.
    package static func decode(_ body: [UInt8]) throws(ServingError) -> ModelInferCall {
        let parsed = body.withUnsafeBytes { bytes in
            Result { () throws(ProtobufReader.Failure) -> ModelInferCall in
                var reader = ProtobufReader(bytes, 0..<bytes.count)
                return try call(&reader, body: body)
            }
        }
        do throws(ProtobufReader.Failure) {
            return try parsed.get()
        } catch {
            throw .invalidInput("the request is not a valid inference.ModelInferRequest message: \(error)")
        }
    }

    private typealias Failure = ProtobufReader.Failure

    private static func call(_ r: inout ProtobufReader, body: [UInt8]) throws(Failure) -> ModelInferCall {
        var call = ModelInferCall(body: body)
        while !r.isAtEnd {
            let (field, wireType) = try r.tag()
            switch (field, wireType) {
            case (1, ProtobufReader.lengthDelimited): call.modelName = try r.string()
            case (2, ProtobufReader.lengthDelimited): call.modelVersion = try r.string()
            case (3, ProtobufReader.lengthDelimited): call.id = try r.string()
            case (4, ProtobufReader.lengthDelimited):
                var entry = try r.message()
                call.parameters.append(try parameter(&entry))
            case (5, ProtobufReader.lengthDelimited):
                var input = try r.message()
                call.inputs.append(try tensor(&input))
            case (6, ProtobufReader.lengthDelimited):
                var output = try r.message()
                call.outputs.append(try requestedOutput(&output))
            case (7, ProtobufReader.lengthDelimited): call.rawInputContents.append(try r.lengthDelimited())
            default: try r.skip(wireType)
            }
        }
        return call
    }

    /// `InferInputTensor`: 1 name, 2 datatype, 3 shape (repeated int64), 4 parameters,
    /// 5 contents.
    private static func tensor(_ r: inout ProtobufReader) throws(Failure) -> ModelInferCall.Input {
        var input = ModelInferCall.Input()
        while !r.isAtEnd {
            let (field, wireType) = try r.tag()
            switch (field, wireType) {
            case (1, ProtobufReader.lengthDelimited): input.name = try r.string()
            case (2, ProtobufReader.lengthDelimited):
                // Matched as bytes: a String is made only of a name that is no datatype.
                let range = try r.lengthDelimited()
                input.datatype = DataType(wireName: r.region(range))
                input.datatypeText = input.datatype == nil ? try r.string(range) : ""
            case (3, _):
                if try r.varints(wireType, into: &input.shape, { Int(truncatingIfNeeded: Int64(bitPattern: $0)) }) { continue }
                try r.skip(wireType)
            case (4, ProtobufReader.lengthDelimited):
                var entry = try r.message()
                _ = try parameter(&entry)
            case (5, ProtobufReader.lengthDelimited):
                var contents = try r.message()
                try self.contents(&contents, into: &input.contents)
            default: try r.skip(wireType)
            }
        }
        return input
    }

    /// `InferRequestedOutputTensor`: 1 name, 2 parameters.
    private static func requestedOutput(_ r: inout ProtobufReader) throws(Failure) -> String {
        var name = ""
        while !r.isAtEnd {
            let (field, wireType) = try r.tag()
            switch (field, wireType) {
            case (1, ProtobufReader.lengthDelimited): name = try r.string()
            case (2, ProtobufReader.lengthDelimited):
                var entry = try r.message()
                _ = try parameter(&entry)
            default: try r.skip(wireType)
            }
        }
        return name
    }
}
