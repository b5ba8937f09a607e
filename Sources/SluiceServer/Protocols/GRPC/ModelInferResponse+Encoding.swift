package import SluiceCore

/// The answer to a `ModelInfer` call, written straight into protobuf's wire format: the call
/// every request makes, where swift-protobuf's message (a size pass, a write pass, a `Data` per
/// tensor) cost about 8,000 instructions of a 1-row request's 100,000. The layout is fixed by
/// `grpc_service.proto` and checked against swift-protobuf's own decoding in the tests.
///
/// As Triton gives it: `model_name` the name the client called (a route's name when a route
/// chose the version), `model_version` the version that ran, the request's `id`, and the
/// `requested` outputs (every output when none is), each with its name, datatype and shape,
/// its data in `raw_output_contents` in the binary extension's layout (`V2BinaryTensor`: one
/// copy of a numeric tensor's contiguous bytes). Runs wherever the inference ran.
package enum ModelInferResponseEncoder {
    /// The answer's message bytes; `.invalidInput` when `requested` names an output the
    /// response lacks.
    package static func encode(_ response: InferenceResponse, modelName: String, requested: [RequestedOutput]) throws(ServingError) -> [UInt8] {
        let tensors = try response.outputs(requested: requested)
        var out: [UInt8] = []
        out.reserveCapacity(64 + tensors.reduce(0) { $0 + 48 + $1.name.utf8.count + V2BinaryTensor.byteCount($1.data) })
        var w = ProtobufWriter(out: out)
        w.string(1, modelName)
        w.string(2, String(response.modelVersion))
        if let id = response.id { w.string(3, id) }
        for tensor in tensors {
            var shapeBytes = 0
            for d in tensor.shape { shapeBytes += ProtobufWriter.varintSize(UInt64(bitPattern: Int64(d))) }
            var length = ProtobufWriter.stringSize(tensor.name) + ProtobufWriter.stringSize(tensor.datatype.rawValue)
            if !tensor.shape.isEmpty { length += 1 + ProtobufWriter.varintSize(UInt64(shapeBytes)) + shapeBytes }
            w.tag(5, wireType: 2)
            w.varint(UInt64(length))
            w.string(1, tensor.name)
            w.string(2, tensor.datatype.rawValue)
            if !tensor.shape.isEmpty {
                // Packed, as proto3 writes a repeated int64.
                w.tag(3, wireType: 2)
                w.varint(UInt64(shapeBytes))
                for d in tensor.shape { w.varint(UInt64(bitPattern: Int64(d))) }
            }
        }
        for tensor in tensors {
            w.tag(6, wireType: 2)
            w.varint(UInt64(V2BinaryTensor.byteCount(tensor.data)))
            V2BinaryTensor.encode(tensor.data, into: &w.out)
        }
        return w.out
    }
}

/// Appends protobuf wire-format fields (varints and length-delimited fields) to a buffer.
struct ProtobufWriter {
    var out: [UInt8]

    mutating func tag(_ field: Int, wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    /// A string field, left out when empty (proto3's default).
    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        tag(field, wireType: 2)
        varint(UInt64(value.utf8.count))
        out.append(contentsOf: value.utf8)
    }

    /// The bytes `string` writes for `value` (with a one-byte tag).
    static func stringSize(_ value: String) -> Int {
        let count = value.utf8.count
        return count == 0 ? 0 : 1 + varintSize(UInt64(count)) + count
    }

    static func varintSize(_ value: UInt64) -> Int {
        var v = value, n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }
}
