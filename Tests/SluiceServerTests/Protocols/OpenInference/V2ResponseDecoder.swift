import SluiceCore
import SluiceJSON
@testable import SluiceServer

/// Reads V2 inference response bodies (JSON or with binary tensor data) back into
/// `InferenceResponse`s: what a V2 client does. The tests use it to read the server's
/// answers.
///
/// Stateless; call from any thread. Every fault is `ServingError.invalidInput`.
enum V2ResponseDecoder {
    /// Decodes `body`, whose first `jsonLength` bytes are JSON when the response carried an
    /// `Inference-Header-Content-Length` header. `model_version` may be a string (as Triton and
    /// this server write it) or an integer; when absent it reads as 0.
    static func decode(_ body: [UInt8], jsonLength: Int? = nil) throws(ServingError) -> InferenceResponse {
        let result = body.withUnsafeBytes { raw in
            Result { () throws(ServingError) -> InferenceResponse in try decode(raw, jsonLength: jsonLength) }
        }
        return try result.get()
    }

    /// As `decode(_:jsonLength:)`, over bytes the caller keeps alive for the call.
    static func decode(_ body: UnsafeRawBufferPointer, jsonLength: Int? = nil) throws(ServingError) -> InferenceResponse {
        do throws(JSONError) {
            let jsonEnd = try V2Body.jsonEnd(body, jsonLength: jsonLength)
            var r = JSONReader(body, range: 0..<jsonEnd)
            var modelName: String?
            var modelVersion = 0
            var id: String?
            var outputs = V2Body.Tensors()
            try r.beginObject()
            while let key = try r.nextKey() {
                switch key {
                case "model_name":
                    modelName = try r.field(key, of: "response") { (r: inout JSONReader) throws(JSONError) in try r.readString() }
                case "model_version":
                    modelVersion = try r.field(key, of: "response") { (r: inout JSONReader) throws(JSONError) in
                        try readVersion(&r)
                    }
                case "id":
                    if try r.skipNull() { break }
                    id = try r.field(key, of: "response") { (r: inout JSONReader) throws(JSONError) in try r.readString() }
                case "outputs":
                    try r.beginArray()
                    while try r.nextElement() {
                        outputs.append(try V2TensorObject.read(&r, role: "output", index: outputs.count))
                    }
                default:
                    try r.skipValue()
                }
            }
            try r.finish()
            guard let modelName else { throw JSONError("response has no 'model_name'") }
            let tensors = try outputs.readBinarySection(body, from: jsonEnd, hasHeader: jsonLength != nil)
            return InferenceResponse(modelName: modelName, modelVersion: modelVersion, id: id, outputs: tensors)
        } catch {
            throw .invalidInput(error.description)
        }
    }

    /// The message of an error body `{"error": "…"}`, or `nil` when `body` is not one.
    static func errorMessage(_ body: [UInt8]) -> String? {
        body.withUnsafeBytes { raw -> String? in
            var r = JSONReader(raw)
            var message: String?
            do throws(JSONError) {
                try r.beginObject()
                while let key = try r.nextKey() {
                    if key == "error", r.peek() == UInt8(ascii: "\"") { message = try r.readString() } else { try r.skipValue() }
                }
                try r.finish()
            } catch {
                return nil
            }
            return message
        }
    }

    private static func readVersion(_ r: inout JSONReader) throws(JSONError) -> Int {
        guard r.peek() == UInt8(ascii: "\"") else { return try r.readInt() }
        let start = r.offset
        let text = try r.readString()
        guard let version = Int(text) else { throw JSONError(value: "'\(text)' is not a version number", at: start) }
        return version
    }
}
