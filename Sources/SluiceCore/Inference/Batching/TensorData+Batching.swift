/// Element-level joins and cuts for `TensorBatch`, one switch over the element types each, so a
/// new case of `TensorData` is a compile error here rather than a silently unbatched type.
extension TensorData {
    /// `parts` end to end, or nil when they are not all of one element type. `count` is the
    /// total the caller computed, reserved up front so the join copies each element once.
    static func joined(_ parts: [TensorData], count: Int) -> TensorData? {
        guard let first = parts.first else { return nil }
        switch first {
        case .bool: return join(parts, count) { if case .bool(let a) = $0 { a } else { nil } }.map(TensorData.bool)
        case .uint8: return join(parts, count) { if case .uint8(let a) = $0 { a } else { nil } }.map(TensorData.uint8)
        case .uint16: return join(parts, count) { if case .uint16(let a) = $0 { a } else { nil } }.map(TensorData.uint16)
        case .uint32: return join(parts, count) { if case .uint32(let a) = $0 { a } else { nil } }.map(TensorData.uint32)
        case .uint64: return join(parts, count) { if case .uint64(let a) = $0 { a } else { nil } }.map(TensorData.uint64)
        case .int8: return join(parts, count) { if case .int8(let a) = $0 { a } else { nil } }.map(TensorData.int8)
        case .int16: return join(parts, count) { if case .int16(let a) = $0 { a } else { nil } }.map(TensorData.int16)
        case .int32: return join(parts, count) { if case .int32(let a) = $0 { a } else { nil } }.map(TensorData.int32)
        case .int64: return join(parts, count) { if case .int64(let a) = $0 { a } else { nil } }.map(TensorData.int64)
        case .fp16: return join(parts, count) { if case .fp16(let a) = $0 { a } else { nil } }.map(TensorData.fp16)
        case .fp32: return join(parts, count) { if case .fp32(let a) = $0 { a } else { nil } }.map(TensorData.fp32)
        case .fp64: return join(parts, count) { if case .fp64(let a) = $0 { a } else { nil } }.map(TensorData.fp64)
        case .bytes: return join(parts, count) { if case .bytes(let a) = $0 { a } else { nil } }.map(TensorData.bytes)
        }
    }

    private static func join<Element>(
        _ parts: [TensorData], _ count: Int, _ elements: (TensorData) -> [Element]?
    ) -> [Element]? {
        var joined: [Element] = []
        joined.reserveCapacity(count)
        for part in parts {
            guard let a = elements(part) else { return nil }
            joined.append(contentsOf: a)
        }
        return joined
    }

    /// The elements in `range`, which the caller has checked lies within `0...count`.
    func slice(_ range: Range<Int>) -> TensorData {
        switch self {
        case .bool(let a): .bool(Array(a[range]))
        case .uint8(let a): .uint8(Array(a[range]))
        case .uint16(let a): .uint16(Array(a[range]))
        case .uint32(let a): .uint32(Array(a[range]))
        case .uint64(let a): .uint64(Array(a[range]))
        case .int8(let a): .int8(Array(a[range]))
        case .int16(let a): .int16(Array(a[range]))
        case .int32(let a): .int32(Array(a[range]))
        case .int64(let a): .int64(Array(a[range]))
        case .fp16(let a): .fp16(Array(a[range]))
        case .fp32(let a): .fp32(Array(a[range]))
        case .fp64(let a): .fp64(Array(a[range]))
        case .bytes(let a): .bytes(Array(a[range]))
        }
    }
}
