package import SluiceCore
import SluiceJSON

/// A rendered V2 body (a response, or a request for clients and tests).
package struct V2EncodedBody: Sendable, Equatable {
    /// The whole HTTP body: JSON, then binary tensor data when `jsonLength` is set.
    package var body: [UInt8]
    /// Length of the JSON part when binary tensor data follows it: the value of the
    /// `Inference-Header-Content-Length` header. `nil` when the body is all JSON.
    package var jsonLength: Int?
}

/// Renders `InferenceResponse`s as V2 (Open Inference Protocol) REST bodies, JSON or with the
/// binary tensor data extension.
///
/// Called by the V2 endpoint wherever the inference ran (loop or worker), once per response;
/// stateless. Fails only for a requested output the response does not have, which the data
/// plane should already have refused with `checkRequestedOutputs` before running the model.
package enum V2ResponseEncoder {
    /// Refuses requested outputs the model does not produce (`invalidInput` naming them).
    /// The data plane calls it with the model's output names before running the model.
    package static func checkRequestedOutputs(
        _ requested: [RequestedOutput], available: some Collection<String>
    ) throws(ServingError) {
        for output in requested where !available.contains(output.name) {
            throw .invalidInput(
                "unknown output '\(output.name)'; the model's outputs are \(available.sorted().joined(separator: ", "))")
        }
    }

    /// The body for `response`, holding the `requested` outputs in request order (all outputs,
    /// in the model's order, when `requested` is empty). An output is binary when its own
    /// `binary` flag says so, or by default when `binaryDataOutput` is set.
    package static func encode(
        _ response: InferenceResponse, requested: [RequestedOutput] = [], binaryDataOutput: Bool = false
    ) throws(ServingError) -> V2EncodedBody {
        if requested.isEmpty, !binaryDataOutput {
            // The usual response: every output as JSON, written straight from the response
            // without a list of selected outputs.
            let jsonElements = response.outputs.reduce(0) { $0 + $1.data.count }
            var w = JSONWriter(capacity: 128 + 64 * response.outputs.count + 12 * jsonElements)
            writeResponse(response, to: &w) { w in
                for tensor in response.outputs { writeTensor(tensor, binary: false, to: &w) }
            }
            return V2EncodedBody(body: w.bytes, jsonLength: nil)
        }
        let tensors = try response.outputs(requested: requested)
        let selected = tensors.indices.map { i in
            (tensor: tensors[i], binary: requested.isEmpty ? binaryDataOutput : requested[i].binary ?? binaryDataOutput)
        }

        let jsonElements = selected.reduce(0) { $0 + ($1.binary ? 0 : $1.tensor.data.count) }
        var w = JSONWriter(capacity: 128 + 64 * selected.count + 12 * jsonElements)
        writeResponse(response, to: &w) { w in
            for (tensor, binary) in selected { writeTensor(tensor, binary: binary, to: &w) }
        }
        return appendBinarySection(json: w.bytes, selected)
    }

    /// The response object around the `outputs` that `writeOutputs` writes. Runs once per
    /// request, so the fixed text between values goes in as whole fragments.
    private static func writeResponse(
        _ response: InferenceResponse, to w: inout JSONWriter, _ writeOutputs: (inout JSONWriter) -> Void
    ) {
        w.fragment(#"{"model_name":"#)
        w.string(response.modelName)
        // A string, as Triton writes it.
        w.fragment(#","model_version":"#)
        w.string(integer: response.modelVersion)
        if let id = response.id {
            w.fragment(#","id":"#)
            w.string(id)
        }
        w.fragment(#","outputs":["#)
        writeOutputs(&w)
        w.endArray()
        w.endObject()
    }

    /// The JSON followed by the binary tensors' data, in order; all JSON when none is binary.
    static func appendBinarySection(json: [UInt8], _ tensors: [(tensor: Tensor, binary: Bool)]) -> V2EncodedBody {
        guard tensors.contains(where: \.binary) else { return V2EncodedBody(body: json, jsonLength: nil) }
        var body = json
        let jsonLength = body.count
        body.reserveCapacity(jsonLength + tensors.reduce(0) { $0 + ($1.binary ? V2BinaryTensor.byteCount($1.tensor.data) : 0) })
        for (tensor, binary) in tensors where binary { V2BinaryTensor.encode(tensor.data, into: &body) }
        return V2EncodedBody(body: body, jsonLength: jsonLength)
    }

    /// The V2 response of `request` (its outputs and `binary_data_output` flag).
    package static func encode(_ response: InferenceResponse, for request: V2Request) throws(ServingError) -> V2EncodedBody {
        try encode(response, requested: request.request.outputs, binaryDataOutput: request.binaryDataOutput)
    }

    /// One `$response_output` (or `$request_input`: the same fields): name, datatype, shape,
    /// then `data` or `parameters.binary_data_size`.
    static func writeTensor(_ tensor: Tensor, binary: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.fragment(#""name":"#)
        w.string(tensor.name)
        w.fragment(#","datatype":"#)
        w.string(literal: wireName(tensor.datatype))
        w.fragment(#","shape":["#)
        for d in tensor.shape { w.int(d) }
        w.endArray()
        if binary {
            w.fragment(#","parameters":{"binary_data_size":"#)
            w.int(V2BinaryTensor.byteCount(tensor.data))
            w.endObject()
        } else {
            w.fragment(#","data":["#)
            writeElements(tensor.data, to: &w)
            w.endArray()
        }
        w.endObject()
    }

    /// `datatype.rawValue` as a literal, so writing it scans and copies no `String`.
    private static func wireName(_ datatype: DataType) -> StaticString {
        switch datatype {
        case .bool: "BOOL"
        case .uint8: "UINT8"
        case .uint16: "UINT16"
        case .uint32: "UINT32"
        case .uint64: "UINT64"
        case .int8: "INT8"
        case .int16: "INT16"
        case .int32: "INT32"
        case .int64: "INT64"
        case .fp16: "FP16"
        case .fp32: "FP32"
        case .fp64: "FP64"
        case .bytes: "BYTES"
        }
    }

    /// Flat, row-major, as Triton writes `data`.
    private static func writeElements(_ data: TensorData, to w: inout JSONWriter) {
        switch data {
        case .bool(let a): for v in a { w.bool(v) }
        case .uint8(let a): for v in a { w.int(v) }
        case .uint16(let a): for v in a { w.int(v) }
        case .uint32(let a): for v in a { w.int(v) }
        case .uint64(let a): for v in a { w.int(v) }
        case .int8(let a): for v in a { w.int(v) }
        case .int16(let a): for v in a { w.int(v) }
        case .int32(let a): for v in a { w.int(v) }
        case .int64(let a): for v in a { w.int(v) }
        case .fp16(let a): for v in a { w.float(Float(v)) }
        case .fp32(let a): w.floats(a)
        case .fp64(let a): w.doubles(a)
        case .bytes(let a): for v in a { w.string(utf8: v) }
        }
    }
}
