import SluiceCore
@testable import SluiceServer

/// Decodes a JSON-only request body given as text.
func decodeRequest(_ json: String) throws(ServingError) -> V2Request {
    try V2Request.decode(Array(json.utf8))
}

/// Decodes a body made of `json` then `binary`, with the header length of the JSON part.
func decodeRequest(_ json: String, binary: [UInt8]) throws(ServingError) -> V2Request {
    try V2Request.decode(Array(json.utf8) + binary, jsonLength: json.utf8.count)
}

/// The message of the `invalidInput` that `body` throws, or `nil` when it throws nothing or
/// something else.
func invalidInputMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as ServingError {
        guard case .invalidInput(let message) = error else { return nil }
        return message
    } catch {
        return nil
    }
}

/// Little-endian bytes of `values`, as the binary extension lays them out.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// One tensor of every datatype, with each type's awkward values (extremes, negative zero, empty
/// and non-ASCII strings). No NaN: `TensorData`'s `==` would call it unequal to itself.
let sampleTensors: [DataType: Tensor] = [
    .bool: Tensor(unchecked: "b", shape: [2, 2], data: .bool([true, false, false, true])),
    .uint8: Tensor(unchecked: "u8", shape: [3], data: .uint8([0, 1, 255])),
    .uint16: Tensor(unchecked: "u16", shape: [3], data: .uint16([0, 1, .max])),
    .uint32: Tensor(unchecked: "u32", shape: [3], data: .uint32([0, 1, .max])),
    .uint64: Tensor(unchecked: "u64", shape: [3], data: .uint64([0, 1, .max])),
    .int8: Tensor(unchecked: "i8", shape: [3], data: .int8([.min, -1, .max])),
    .int16: Tensor(unchecked: "i16", shape: [3], data: .int16([.min, -1, .max])),
    .int32: Tensor(unchecked: "i32", shape: [3], data: .int32([.min, -1, .max])),
    .int64: Tensor(unchecked: "i64", shape: [1, 3], data: .int64([.min, -1, .max])),
    .fp16: Tensor(unchecked: "f16", shape: [4], data: .fp16([0.5, -0.0, 65504, 0.1])),
    .fp32: Tensor(unchecked: "f32", shape: [2, 3], data: .fp32([0.1, -2.5, .greatestFiniteMagnitude, Float.leastNonzeroMagnitude, .infinity, -0.0])),
    .fp64: Tensor(unchecked: "f64", shape: [3], data: .fp64([0.1, -.infinity, .leastNonzeroMagnitude])),
    .bytes: Tensor(unchecked: "s", shape: [3], data: .bytes([[], Array("héllo 😀".utf8), Array("\"\\\n".utf8)])),
]
