import SluiceCore
import SluiceServer

extension FuzzTarget {
    /// A V2 body with its `Inference-Header-Content-Length`: the input's first line is the
    /// header's value (an empty line: no header), the rest is the body. What decodes is encoded
    /// back as a response: as the request asks (binary or JSON outputs), and all JSON.
    static func decodeV2(_ bytes: [UInt8]) {
        let (line, body) = splitFirstLine(bytes)
        do throws(ServingError) {
            var jsonLength: Int?
            if let line { jsonLength = try V2BinaryHeader.parseLength(String(decoding: line, as: UTF8.self), bodyCount: body.count) }
            let request = try V2Request.decode(body, jsonLength: jsonLength)
            let response = InferenceResponse(
                modelName: "m", modelVersion: 1, id: request.request.id, outputs: request.request.inputs)
            _ = try? V2ResponseEncoder.encode(response, for: request)
            _ = try V2ResponseEncoder.encode(response)
        } catch {}
    }

    /// The signatures a V1 body is decoded against, picked by the input's first byte: V1 bodies
    /// carry no names or datatypes of their own, so the model's inputs steer the decoding.
    static let v1Signatures: [[TensorSpec]] = [
        [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 4])],
        [TensorSpec(name: "a", datatype: .fp32, shape: [-1, 2]), TensorSpec(name: "b", datatype: .int64, shape: [-1])],
        [TensorSpec(name: "text", datatype: .bytes, shape: [-1])],
        [TensorSpec(name: "mask", datatype: .bool, shape: [-1, 2, 2]), TensorSpec(name: "x", datatype: .fp64, shape: [-1, 2, 2])],
    ]

    /// A V1 `:predict` body after a first byte that picks the signature; what decodes is
    /// answered back in the form it came in.
    static func decodeV1(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let specs = v1Signatures[Int(first) % v1Signatures.count]
        do throws(ServingError) {
            let request = try V1Request.decode(Array(bytes.dropFirst()), inputs: specs, model: "m")
            let response = InferenceResponse(modelName: "m", modelVersion: 1, id: nil, outputs: request.request.inputs)
            _ = try V1ResponseEncoder.encode(response, form: request.form)
        } catch {}
    }

    /// The bytes before the first LF (nil when it is empty) and the bytes after it; no LF: no
    /// line and all of the bytes.
    static func splitFirstLine(_ bytes: [UInt8]) -> (line: ArraySlice<UInt8>?, rest: [UInt8]) {
        guard let lf = bytes.firstIndex(of: 10) else { return (nil, bytes) }
        let line = bytes[..<lf]
        return (line.isEmpty ? nil : line, Array(bytes[(lf + 1)...]))
    }
}
