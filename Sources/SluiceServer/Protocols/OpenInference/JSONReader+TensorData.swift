import SluiceCore
import SluiceJSON

/// Reads one element of a tensor's JSON `data` straight into its Swift type. One conforming
/// enum per element type, so `readElements` is specialised per type with no closure calls.
protocol TensorElementReader {
    associatedtype Element
    static func read(_ r: inout JSONReader) throws(JSONError) -> Element
}

enum FP32Element: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> Float { try r.readFloat(allowNonFinite: true) }
}

enum FP64Element: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> Double { try r.readDouble(allowNonFinite: true) }
}

/// JSON has no half floats: numbers are read as `Double` and narrowed, refusing any that only
/// a wider type can hold (65520 and above round to infinity).
enum FP16Element: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> Float16 {
        let start = r.offset
        let d = try r.readDouble(allowNonFinite: true)
        let h = Float16(d)
        guard h.isFinite || !d.isFinite else { throw JSONError(value: "\(d) is out of range for FP16", at: start) }
        return h
    }
}

enum IntegerElement<T: FixedWidthInteger>: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> T { try r.readInteger(T.self) }
}

enum BoolElement: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> Bool { try r.readBool() }
}

enum BytesElement: TensorElementReader {
    static func read(_ r: inout JSONReader) throws(JSONError) -> [UInt8] { try r.readStringBytes() }
}

extension JSONReader {
    /// Reads a V2 tensor's `data` value into a typed array of `datatype`, flat or nested.
    ///
    /// Nested data must be rectangular and agree with `shape`: arrays at depth d hold `shape[d]`
    /// elements down to the depth holding the numbers, whose arrays hold the product of the
    /// remaining dimensions (so a flat array holds them all). `count` is the shape's element
    /// count. Thrown messages do not name the tensor; the caller prefixes that.
    mutating func readTensorData(_ datatype: DataType, shape: [Int], count: Int) throws(JSONError) -> TensorData {
        switch datatype {
        case .bool: .bool(try readElements(BoolElement.self, shape: shape, count: count))
        case .uint8: .uint8(try readElements(IntegerElement<UInt8>.self, shape: shape, count: count))
        case .uint16: .uint16(try readElements(IntegerElement<UInt16>.self, shape: shape, count: count))
        case .uint32: .uint32(try readElements(IntegerElement<UInt32>.self, shape: shape, count: count))
        case .uint64: .uint64(try readElements(IntegerElement<UInt64>.self, shape: shape, count: count))
        case .int8: .int8(try readElements(IntegerElement<Int8>.self, shape: shape, count: count))
        case .int16: .int16(try readElements(IntegerElement<Int16>.self, shape: shape, count: count))
        case .int32: .int32(try readElements(IntegerElement<Int32>.self, shape: shape, count: count))
        case .int64: .int64(try readElements(IntegerElement<Int64>.self, shape: shape, count: count))
        case .fp16: .fp16(try readElements(FP16Element.self, shape: shape, count: count))
        case .fp32: .fp32(try readElements(FP32Element.self, shape: shape, count: count))
        case .fp64: .fp64(try readElements(FP64Element.self, shape: shape, count: count))
        case .bytes: .bytes(try readElements(BytesElement.self, shape: shape, count: count))
        }
    }

    /// The walk behind `readTensorData`: one loop with a stack of per-depth counts, no recursion.
    private mutating func readElements<E: TensorElementReader>(
        _: E.Type, shape: [Int], count: Int
    ) throws(JSONError) -> [E.Element] {
        // Most clients send flat data; the walk below has the messages for everything else,
        // so any failure of the fast path re-reads from the start with it.
        var probe = self
        if let flat = try? probe.readFlatElements(E.self, count: count) {
            self = probe
            return flat
        }
        var out: [E.Element] = []
        // Every element takes at least two bytes ("1,"), so a lying shape cannot reserve more
        // memory than the body could fill.
        out.reserveCapacity(min(count, (end - offset) / 2 + 1))
        let deepestLeafLevel = max(shape.count, 1) - 1
        var leafLevel: Int?
        var counts: [Int] = []
        try beginArray()
        counts.append(0)
        while let level = counts.indices.last {
            if try nextElement() {
                counts[level] += 1
                if peek() == UInt8(ascii: "[") {
                    if let leafLevel, level >= leafLevel {
                        throw JSONError("data is not rectangular: arrays and values at the same depth")
                    }
                    guard level < deepestLeafLevel else {
                        throw JSONError("data is nested deeper than shape \(shape)")
                    }
                    try beginArray()
                    counts.append(0)
                } else {
                    if leafLevel == nil { leafLevel = level }
                    guard leafLevel == level else {
                        throw JSONError("data is not rectangular: values at different depths")
                    }
                    guard out.count < count else {
                        throw JSONError("data has more than the \(count) elements of shape \(shape)")
                    }
                    out.append(try E.read(&self))
                }
            } else {
                let n = counts.removeLast()
                // An empty innermost array is where the values would have been.
                let leaf = leafLevel ?? level
                leafLevel = leaf
                let expected = level < leaf ? shape[level] : Self.product(shape[leaf...])
                guard n == expected else {
                    if leaf == 0 {
                        throw JSONError("data has \(n) elements but shape \(shape) needs \(count)")
                    }
                    throw JSONError(
                        "data does not match shape \(shape): an array at depth \(level + 1) has \(n) elements, expected \(expected)")
                }
            }
        }
        return out
    }

    /// A flat array of exactly `count` leaves, with no per-depth bookkeeping; `nil` (or a throw)
    /// for anything else, which the caller then reads with the general walk.
    private mutating func readFlatElements<E: TensorElementReader>(
        _: E.Type, count: Int
    ) throws(JSONError) -> [E.Element]? {
        try beginArray()
        if peek() == UInt8(ascii: "[") { return nil }
        var out: [E.Element] = []
        // Same bound as the walk: a lying shape cannot reserve more than the body could fill.
        out.reserveCapacity(min(count, (end - offset) / 2 + 1))
        while try nextElement() {
            guard out.count < count, peek() != UInt8(ascii: "[") else { return nil }
            out.append(try E.read(&self))
        }
        return out.count == count ? out : nil
    }

    /// Product of dimensions, saturating (a mismatch then reports a huge expected count rather
    /// than trapping on a hostile shape like [0, 2^40, 2^40]).
    private static func product(_ dims: ArraySlice<Int>) -> Int {
        var p = 1
        for d in dims {
            let (m, overflow) = p.multipliedReportingOverflow(by: d)
            if overflow { return Int.max }
            p = m
        }
        return p
    }
}
