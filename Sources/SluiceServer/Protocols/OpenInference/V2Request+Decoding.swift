package import SluiceCore
import SluiceJSON

extension V2Request {
    /// Decodes a V2 inference request body. `jsonLength` is the parsed
    /// `Inference-Header-Content-Length` (see `V2BinaryHeader.parseLength`); `nil` means the
    /// whole body is JSON. Binary tensor data follows the JSON, in input order, for each input
    /// with `parameters.binary_data_size`, and must use up the body exactly.
    ///
    /// Called once per request on the event loop that read the body (a worker for a large one). Every fault in the body is
    /// `ServingError.invalidInput` with a message naming the field or tensor.
    package static func decode(_ body: [UInt8], jsonLength: Int? = nil) throws(ServingError) -> V2Request {
        let result = body.withUnsafeBytes { raw in
            Result { () throws(ServingError) -> V2Request in try decode(raw, jsonLength: jsonLength) }
        }
        return try result.get()
    }

    /// As `decode(_:jsonLength:)`, over bytes the caller keeps alive for the call.
    package static func decode(_ body: UnsafeRawBufferPointer, jsonLength: Int? = nil) throws(ServingError) -> V2Request {
        do throws(JSONError) {
            let jsonEnd = try V2Body.jsonEnd(body, jsonLength: jsonLength)
            var r = JSONReader(body, range: 0..<jsonEnd)
            var inputs = V2Body.Tensors()
            var outputs: [RequestedOutput] = []
            var id: String?
            var binaryDataOutput: Bool?
            var timeout: UInt64?
            // The known fields seen so far, one bit each: no Set and no key Strings per request.
            var seen: UInt8 = 0
            func once(_ bit: UInt8, _ key: StaticString) throws(JSONError) {
                guard seen & bit == 0 else { throw JSONError("request has a duplicate field '\(key)'") }
                seen |= bit
            }

            try r.beginObject()
            while let key = try r.nextRawKey() {
                switch key {
                case "id":
                    try once(1, "id")
                    if try r.skipNull() { break }
                    id = try r.field("id", of: "request") { (r: inout JSONReader) throws(JSONError) in try r.readString() }
                case "parameters":
                    try once(2, "parameters")
                    try readParameters(&r) { key, r throws(JSONError) in
                        if key.equals("binary_data_output") {
                            binaryDataOutput = try read(&r, "binary_data_output", binaryDataOutput, of: "request") { r throws(JSONError) in try r.readBool() }
                        } else if key.equals("timeout") {
                            timeout = try read(&r, "timeout", timeout, of: "request") { r throws(JSONError) in try r.readInteger(UInt64.self) }
                        } else {
                            try r.skipValue()
                        }
                    }
                case "inputs":
                    try once(4, "inputs")
                    try r.beginArray()
                    while try r.nextElement() {
                        inputs.append(try V2TensorObject.read(&r, role: "input", index: inputs.count))
                    }
                case "outputs":
                    try once(8, "outputs")
                    if try r.skipNull() { break }
                    try r.beginArray()
                    while try r.nextElement() { outputs.append(try readRequestedOutput(&r, index: outputs.count)) }
                default:
                    try r.skipValue()
                }
            }
            try r.finish()
            guard seen & 4 != 0 else { throw JSONError("request has no 'inputs'") }
            try V2Body.refuseDuplicates(inputs.tensors.lazy.map(\.name), role: "input")
            try V2Body.refuseDuplicates(outputs.lazy.map(\.name), role: "output")

            let tensors = try inputs.readBinarySection(body, from: jsonEnd, hasHeader: jsonLength != nil)
            let request = InferenceRequest(id: id, inputs: tensors, outputs: outputs)
            return V2Request(request: request, binaryDataOutput: binaryDataOutput ?? false, timeoutMicroseconds: timeout)
        } catch {
            throw .invalidInput(error.description)
        }
    }

    /// One `$request_output`: a name and, optionally, `parameters.binary_data`.
    private static func readRequestedOutput(_ r: inout JSONReader, index: Int) throws(JSONError) -> RequestedOutput {
        var name: String?
        var binary: Bool?
        var seen: UInt8 = 0
        if r.peek() != UInt8(ascii: "{") { throw r.mismatch(expecting: "an object").prefixed("output \(index)") }
        try r.beginObject()
        while let key = try r.nextRawKey() {
            func label() -> String { name.map { "output '\($0)'" } ?? "output \(index)" }
            func once(_ bit: UInt8, _ key: StaticString) throws(JSONError) {
                guard seen & bit == 0 else { throw JSONError("\(label()) has a duplicate field '\(key)'") }
                seen |= bit
            }
            switch key {
            case "name":
                try once(1, "name")
                name = try r.field("name", of: label()) { (r: inout JSONReader) throws(JSONError) in try r.readString() }
            case "parameters":
                try once(2, "parameters")
                try readParameters(&r) { key, r throws(JSONError) in
                    guard key.equals("binary_data") else { return try r.skipValue() }
                    binary = try read(&r, "binary_data", binary, of: label()) { r throws(JSONError) in try r.readBool() }
                }
            default:
                try r.skipValue()
            }
        }
        guard let name else { throw JSONError("output \(index) has no 'name'") }
        return RequestedOutput(name: name, binary: binary)
    }

    /// Reads a `parameters` object (or `null`), handing each key to `visit`, which reads the
    /// value of a parameter it knows (with `read`) and skips any other.
    private static func readParameters(
        _ r: inout JSONReader, _ visit: (JSONRawString, inout JSONReader) throws(JSONError) -> Void
    ) throws(JSONError) {
        if try r.skipNull() { return }
        try r.beginObject()
        while let key = try r.nextRawKey() { try visit(key, &r) }
    }

    /// The value of parameter `key`, refusing a second one (`earlier` is what was read before).
    private static func read<T>(
        _ r: inout JSONReader, _ key: StaticString, _ earlier: T?, of label: @autoclosure () -> String,
        _ value: (inout JSONReader) throws(JSONError) -> T
    ) throws(JSONError) -> T {
        guard earlier == nil else { throw JSONError("\(label()) has a duplicate parameter '\(key)'") }
        return try r.field("parameters.\(key)", of: label(), value)
    }
}
