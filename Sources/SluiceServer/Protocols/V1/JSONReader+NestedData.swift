import SluiceCore
import SluiceJSON

extension JSONReader {
    /// Reads a JSON value holding a tensor whose shape the JSON itself gives (TF-Serving and
    /// KServe V1 bodies carry no `shape`): a scalar is shape `[]`, nested arrays give one
    /// dimension per level. The arrays must be rectangular. Elements are read straight into
    /// `datatype`'s Swift type.
    mutating func readNestedTensorData(_ datatype: DataType) throws(JSONError) -> (shape: [Int], data: TensorData) {
        switch datatype {
        case .bool: try nested(BoolElement.self) { .bool($0) }
        case .uint8: try nested(IntegerElement<UInt8>.self) { .uint8($0) }
        case .uint16: try nested(IntegerElement<UInt16>.self) { .uint16($0) }
        case .uint32: try nested(IntegerElement<UInt32>.self) { .uint32($0) }
        case .uint64: try nested(IntegerElement<UInt64>.self) { .uint64($0) }
        case .int8: try nested(IntegerElement<Int8>.self) { .int8($0) }
        case .int16: try nested(IntegerElement<Int16>.self) { .int16($0) }
        case .int32: try nested(IntegerElement<Int32>.self) { .int32($0) }
        case .int64: try nested(IntegerElement<Int64>.self) { .int64($0) }
        case .fp16: try nested(FP16Element.self) { .fp16($0) }
        case .fp32: try nested(FP32Element.self) { .fp32($0) }
        case .fp64: try nested(FP64Element.self) { .fp64($0) }
        case .bytes: try nested(BytesElement.self) { .bytes($0) }
        }
    }

    private mutating func nested<E: TensorElementReader>(
        _: E.Type, _ wrap: ([E.Element]) -> TensorData
    ) throws(JSONError) -> (shape: [Int], data: TensorData) {
        let (shape, values) = try readNestedElements(E.self)
        return (shape, wrap(values))
    }

    /// One loop with a stack of per-depth counts, no recursion (depth is bounded by the
    /// reader's `maxDepth`). Each level's length is fixed by the first array of that level to
    /// close; every later one must match it.
    private mutating func readNestedElements<E: TensorElementReader>(_: E.Type) throws(JSONError) -> (shape: [Int], values: [E.Element]) {
        guard peek() == UInt8(ascii: "[") else { return ([], [try E.read(&self)]) }
        var out: [E.Element] = []
        var dims: [Int?] = [nil]
        var leafLevel: Int?
        var counts = [0]
        try beginArray()
        while let level = counts.indices.last {
            if try nextElement() {
                counts[level] += 1
                if peek() == UInt8(ascii: "[") {
                    if let leafLevel, level >= leafLevel {
                        throw JSONError("data is not rectangular: arrays and values at the same depth")
                    }
                    try beginArray()
                    counts.append(0)
                    if dims.count < counts.count { dims.append(nil) }
                } else {
                    if leafLevel == nil { leafLevel = level }
                    guard leafLevel == level else { throw JSONError("data is not rectangular: values at different depths") }
                    out.append(try E.read(&self))
                }
            } else {
                let n = counts.removeLast()
                // An empty array is where the values would have been.
                if leafLevel == nil { leafLevel = level }
                if let expected = dims[level] {
                    guard n == expected else {
                        throw JSONError("data is not rectangular: an array at depth \(level + 1) has \(n) elements, an earlier one \(expected)")
                    }
                } else {
                    dims[level] = n
                }
            }
        }
        return (dims.map { $0 ?? 0 }, out)
    }
}

extension TensorData {
    /// The elements of `parts`, all of `datatype`, one after another (rows stacked into a batch).
    static func concatenating(_ parts: [TensorData], datatype: DataType) -> TensorData {
        func join<T>(_ extract: (TensorData) -> [T]?) -> [T] {
            var out: [T] = []
            for part in parts { if let values = extract(part) { out += values } }
            return out
        }
        switch datatype {
        case .bool: return .bool(join { if case .bool(let a) = $0 { a } else { nil } })
        case .uint8: return .uint8(join { if case .uint8(let a) = $0 { a } else { nil } })
        case .uint16: return .uint16(join { if case .uint16(let a) = $0 { a } else { nil } })
        case .uint32: return .uint32(join { if case .uint32(let a) = $0 { a } else { nil } })
        case .uint64: return .uint64(join { if case .uint64(let a) = $0 { a } else { nil } })
        case .int8: return .int8(join { if case .int8(let a) = $0 { a } else { nil } })
        case .int16: return .int16(join { if case .int16(let a) = $0 { a } else { nil } })
        case .int32: return .int32(join { if case .int32(let a) = $0 { a } else { nil } })
        case .int64: return .int64(join { if case .int64(let a) = $0 { a } else { nil } })
        case .fp16: return .fp16(join { if case .fp16(let a) = $0 { a } else { nil } })
        case .fp32: return .fp32(join { if case .fp32(let a) = $0 { a } else { nil } })
        case .fp64: return .fp64(join { if case .fp64(let a) = $0 { a } else { nil } })
        case .bytes: return .bytes(join { if case .bytes(let a) = $0 { a } else { nil } })
        }
    }
}
