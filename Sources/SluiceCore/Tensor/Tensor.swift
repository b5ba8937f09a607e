/// The elements of a tensor, stored as a typed, flat, row-major array.
package enum TensorData: Sendable, Equatable {
    case bool([Bool])
    case uint8([UInt8]), uint16([UInt16]), uint32([UInt32]), uint64([UInt64])
    case int8([Int8]), int16([Int16]), int32([Int32]), int64([Int64])
    case fp16([Float16]), fp32([Float]), fp64([Double])
    case bytes([[UInt8]])

    package var datatype: DataType {
        switch self {
        case .bool: .bool
        case .uint8: .uint8
        case .uint16: .uint16
        case .uint32: .uint32
        case .uint64: .uint64
        case .int8: .int8
        case .int16: .int16
        case .int32: .int32
        case .int64: .int64
        case .fp16: .fp16
        case .fp32: .fp32
        case .fp64: .fp64
        case .bytes: .bytes
        }
    }

    package var count: Int {
        switch self {
        case .bool(let a): a.count
        case .uint8(let a): a.count
        case .uint16(let a): a.count
        case .uint32(let a): a.count
        case .uint64(let a): a.count
        case .int8(let a): a.count
        case .int16(let a): a.count
        case .int32(let a): a.count
        case .int64(let a): a.count
        case .fp16(let a): a.count
        case .fp32(let a): a.count
        case .fp64(let a): a.count
        case .bytes(let a): a.count
        }
    }
}

/// A named tensor as it crosses the serving core: one input or output of an inference.
/// Built by protocol codecs on an event loop, read by backends; a value type, so it can be
/// handed to a worker thread without sharing.
package struct Tensor: Sendable, Equatable {
    package var name: String
    package var shape: [Int]
    package var data: TensorData

    package var datatype: DataType { data.datatype }

    /// Builds a tensor after checking that `shape` is valid and its element count equals the data's.
    package init(name: String, shape: [Int], data: TensorData) throws(ServingError) {
        let count = try Shape.elementCount(shape)
        guard count == data.count else {
            throw .invalidInput(
                "tensor '\(name)' has shape \(shape) (\(count) elements) but \(data.count) data elements")
        }
        self.name = name
        self.shape = shape
        self.data = data
    }

    /// For backends that build outputs whose shape they computed themselves.
    package init(unchecked name: String, shape: [Int], data: TensorData) {
        self.name = name
        self.shape = shape
        self.data = data
    }

    /// The elements widened to `Float` (numeric types only), for backends that compute in FP32.
    /// Returns `nil` for BYTES.
    package func floatValues() -> [Float]? {
        switch data {
        case .fp32(let a): a
        case .fp64(let a): a.map { Float($0) }
        case .fp16(let a): a.map { Float($0) }
        case .bool(let a): a.map { $0 ? 1 : 0 }
        case .uint8(let a): a.map { Float($0) }
        case .uint16(let a): a.map { Float($0) }
        case .uint32(let a): a.map { Float($0) }
        case .uint64(let a): a.map { Float($0) }
        case .int8(let a): a.map { Float($0) }
        case .int16(let a): a.map { Float($0) }
        case .int32(let a): a.map { Float($0) }
        case .int64(let a): a.map { Float($0) }
        case .bytes: nil
        }
    }
}

/// A declared input or output: name, element type and shape (-1 for any size).
package struct TensorSpec: Sendable, Equatable {
    package var name: String
    package var datatype: DataType
    package var shape: [Int]

    package init(name: String, datatype: DataType, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }
}
