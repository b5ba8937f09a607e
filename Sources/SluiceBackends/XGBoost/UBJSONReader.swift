/// A Universal Binary JSON reader for `model.ubj`, run once per load on a loader thread.
///
/// XGBoost writes objects with counted members (`{#L<n>`) and tree arrays as typed, counted
/// containers (`[$d#L<n>` float32, `[$l#L<n>` int32, `[$U#L<n>` uint8); numbers are big-endian.
/// The reader accepts the whole format (open-ended containers, `N` no-ops, `H` numbers too) and
/// checks every count against the bytes left, so a corrupt count cannot make it allocate
/// gigabytes or read past the end.
struct UBJSONReader {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    static let maxDepth = 256

    /// Parses one UBJSON value filling the whole of `bytes`.
    static func parse(_ bytes: [UInt8]) throws(ModelSyntaxError) -> ModelValue {
        var reader = UBJSONReader(bytes: bytes)
        let value = try reader.value(marker: try reader.marker())
        guard reader.position == bytes.count else { throw reader.fail("unexpected data after the document") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ reason: String) -> ModelSyntaxError {
        ModelSyntaxError(offset: position, reason: reason)
    }

    /// The next type marker, skipping `N` (no-op) padding.
    private mutating func marker() throws(ModelSyntaxError) -> UInt8 {
        while position < bytes.count, bytes[position] == UInt8(ascii: "N") { position += 1 }
        return try byte()
    }

    private mutating func byte() throws(ModelSyntaxError) -> UInt8 {
        guard position < bytes.count else { throw fail("unexpected end of file (truncated?)") }
        defer { position += 1 }
        return bytes[position]
    }

    /// `n` big-endian bytes as an unsigned integer.
    private mutating func bigEndian(_ n: Int) throws(ModelSyntaxError) -> UInt64 {
        guard bytes.count - position >= n else { throw fail("unexpected end of file (truncated?)") }
        var result: UInt64 = 0
        for i in 0..<n { result = result << 8 | UInt64(bytes[position + i]) }
        position += n
        return result
    }

    private mutating func integer(marker: UInt8) throws(ModelSyntaxError) -> Int64? {
        switch marker {
        case UInt8(ascii: "i"): return Int64(Int8(truncatingIfNeeded: try bigEndian(1)))
        case UInt8(ascii: "U"): return Int64(try bigEndian(1))
        case UInt8(ascii: "I"): return Int64(Int16(truncatingIfNeeded: try bigEndian(2)))
        case UInt8(ascii: "l"): return Int64(Int32(truncatingIfNeeded: try bigEndian(4)))
        case UInt8(ascii: "L"): return Int64(bitPattern: try bigEndian(8))
        default: return nil
        }
    }

    /// A length or count: an integer marker and a non-negative value.
    private mutating func length() throws(ModelSyntaxError) -> Int {
        let m = try marker()
        guard let n = try integer(marker: m) else { throw fail("expected an integer length") }
        guard n >= 0 else { throw fail("negative length \(n)") }
        guard n <= Int64(bytes.count - position) else { throw fail("length \(n) exceeds the file (truncated?)") }
        return Int(n)
    }

    private mutating func string() throws(ModelSyntaxError) -> String {
        let n = try length()
        guard bytes.count - position >= n else { throw fail("unexpected end of file (truncated?)") }
        defer { position += n }
        return String(decoding: bytes[position..<position + n], as: UTF8.self)
    }

    private mutating func value(marker m: UInt8) throws(ModelSyntaxError) -> ModelValue {
        if let int = try integer(marker: m) { return .integer(int) }
        switch m {
        case UInt8(ascii: "Z"): return .null
        case UInt8(ascii: "T"): return .bool(true)
        case UInt8(ascii: "F"): return .bool(false)
        case UInt8(ascii: "d"): return .double(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case UInt8(ascii: "D"): return .double(Double(bitPattern: try bigEndian(8)))
        case UInt8(ascii: "C"): return .string(String(Unicode.Scalar(try byte())))
        case UInt8(ascii: "S"): return .string(try string())
        case UInt8(ascii: "H"):
            let text = try string()
            guard let number = Double(text) else { throw fail("invalid high-precision number '\(text.prefix(40))'") }
            return .double(number)
        case UInt8(ascii: "["): return try container(isObject: false)
        case UInt8(ascii: "{"): return try container(isObject: true)
        default: throw fail("unknown type marker 0x\(String(m, radix: 16))")
        }
    }

    /// Both container kinds share the optional `$type` and `#count` header.
    private mutating func container(isObject: Bool) throws(ModelSyntaxError) -> ModelValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        var type: UInt8?
        var count: Int?
        if position < bytes.count, bytes[position] == UInt8(ascii: "$") {
            position += 1
            type = try byte()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "#") else {
                throw fail("a typed container needs a count")
            }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "#") {
            position += 1
            count = try length()
        }
        if !isObject, let type, let count { return try typedArray(type: type, count: count) }
        if isObject {
            var members: [String: ModelValue] = [:]
            var index = 0
            while count.map({ index < $0 }) ?? true {
                if count == nil {
                    while position < bytes.count, bytes[position] == UInt8(ascii: "N") { position += 1 }
                    if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; break }
                }
                let key = try string()
                let m: UInt8
                if let type { m = type } else { m = try marker() }
                members[key] = try value(marker: m)
                index += 1
            }
            return .object(members)
        }
        var elements: [ModelValue] = []
        var index = 0
        while count.map({ index < $0 }) ?? true {
            let m = try marker()
            if count == nil, m == UInt8(ascii: "]") { break }
            elements.append(try value(marker: m))
            index += 1
        }
        return .array(elements)
    }

    /// Typed arrays are decoded in one pass into a typed Swift array.
    private mutating func typedArray(type: UInt8, count: Int) throws(ModelSyntaxError) -> ModelValue {
        let size: Int
        switch type {
        case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "C"): size = 1
        case UInt8(ascii: "I"): size = 2
        case UInt8(ascii: "l"), UInt8(ascii: "d"): size = 4
        case UInt8(ascii: "L"), UInt8(ascii: "D"): size = 8
        default:
            // Strings, containers and friends in typed arrays: rare; decode one by one, with at
            // least one byte each so the count check below still bounds the work.
            guard count <= bytes.count - position else { throw fail("array count \(count) exceeds the file") }
            var elements: [ModelValue] = []
            for _ in 0..<count { elements.append(try value(marker: type)) }
            return .array(elements)
        }
        guard count <= (bytes.count - position) / size else {
            throw fail("array of \(count) elements exceeds the file (truncated?)")
        }
        switch type {
        case UInt8(ascii: "d"):
            var floats = [Float]()
            floats.reserveCapacity(count)
            for _ in 0..<count { floats.append(Float(bitPattern: UInt32(try bigEndian(4)))) }
            return .floats(floats)
        case UInt8(ascii: "D"):
            var doubles = [Double]()
            doubles.reserveCapacity(count)
            for _ in 0..<count { doubles.append(Double(bitPattern: try bigEndian(8))) }
            return .doubles(doubles)
        case UInt8(ascii: "C"):
            defer { position += count }
            return .string(String(decoding: bytes[position..<position + count], as: UTF8.self))
        default:
            var ints = [Int64]()
            ints.reserveCapacity(count)
            for _ in 0..<count {
                guard let int = try integer(marker: type) else { throw fail("bad integer type") }
                ints.append(int)
            }
            return .integers(ints)
        }
    }
}
