import SluiceCore
import SluiceJSON

/// One `$request_input` or `$response_output` object of the V2 protocol, read but not yet
/// complete: when its data travels in the binary section it is filled in later, in order.
///
/// Internal to the V2 decoders, which read requests and responses alike with it. Keys may come
/// in any order; `data` that arrives before `shape` and `datatype` is skipped and re-read once
/// they are known, so it always lands straight in a typed array.
struct V2TensorObject {
    var name: String
    var shape: [Int]
    var datatype: DataType
    var count: Int
    /// Elements read from JSON `data`.
    var data: TensorData?
    /// `parameters.binary_data_size`: the data follows the JSON header.
    var binaryDataSize: Int?

    /// "input" or "output", for messages.
    var role: String

    /// "input 'x'", for messages; made only when one is needed.
    var label: String { "\(role) '\(name)'" }

    /// Fields this decoder understands, to refuse duplicates.
    private struct Seen: OptionSet {
        let rawValue: UInt8
        static let name = Seen(rawValue: 1), shape = Seen(rawValue: 2), datatype = Seen(rawValue: 4)
        static let parameters = Seen(rawValue: 8), data = Seen(rawValue: 16)
    }

    /// Reads one tensor object at the reader's position. `role` is "input" or "output", `index`
    /// its position, both only for messages.
    static func read(_ r: inout JSONReader, role: String, index: Int) throws(JSONError) -> V2TensorObject {
        var name: String?
        var shape: [Int]?
        var datatype: DataType?
        var binaryDataSize: Int?
        var data: TensorData?
        var deferredData: (range: Range<Int>, depth: Int)?
        var seen: Seen = []
        func label() -> String { name.map { "\(role) '\($0)'" } ?? "\(role) \(index)" }
        func once(_ field: Seen, _ key: StaticString) throws(JSONError) {
            guard !seen.contains(field) else { throw JSONError("\(label()) has a duplicate field '\(key)'") }
            seen.insert(field)
        }

        if r.peek() != UInt8(ascii: "{") { throw r.mismatch(expecting: "an object").prefixed("\(role) \(index)") }
        try r.beginObject()
        // Keys are compared as bytes and labels made only for messages: a well-formed tensor
        // object costs no String but its name.
        while let key = try r.nextRawKey() {
            switch key {
            case "name":
                try once(.name, "name")
                name = try r.field("name", of: label()) { (r: inout JSONReader) throws(JSONError) in try r.readString() }
            case "shape":
                try once(.shape, "shape")
                shape = try r.field("shape", of: label()) { (r: inout JSONReader) throws(JSONError) in try readShape(&r) }
            case "datatype":
                try once(.datatype, "datatype")
                let text = try r.field("datatype", of: label()) { (r: inout JSONReader) throws(JSONError) in
                    try r.readRawString()
                }
                guard let dt = DataType(wireName: text) else {
                    throw JSONError("\(label()) has unknown datatype '\(text.string)'")
                }
                datatype = dt
            case "parameters":
                try once(.parameters, "parameters")
                binaryDataSize = try readParameters(&r, label: label())
            case "data":
                try once(.data, "data")
                if try r.skipNull() { break }
                if let datatype, let shape {
                    let count = try elementCount(shape, label())
                    do throws(JSONError) {
                        data = try r.readTensorData(datatype, shape: shape, count: count)
                    } catch { throw error.prefixed("\(label()) (\(datatype.rawValue))") }
                } else {
                    r.skipWhitespace()
                    let start = r.offset
                    let depth = r.depth
                    try r.skipValue(allowNonFinite: true)
                    deferredData = (start..<r.offset, depth)
                }
            default:
                try r.skipValue()
            }
        }
        guard let name else { throw JSONError("\(role) \(index) has no 'name'") }
        guard let shape else { throw JSONError("\(label()) has no 'shape'") }
        guard let datatype else { throw JSONError("\(label()) has no 'datatype'") }
        let count = try elementCount(shape, label())
        if let deferred = deferredData {
            var again = JSONReader(r.bytes, range: deferred.range, depth: deferred.depth)
            do throws(JSONError) {
                data = try again.readTensorData(datatype, shape: shape, count: count)
            } catch { throw error.prefixed("\(label()) (\(datatype.rawValue))") }
        }
        switch (data, binaryDataSize) {
        case (.some, .some):
            throw JSONError("\(label()) has both 'data' and 'parameters.binary_data_size'")
        case (.none, .none):
            throw JSONError("\(label()) has neither 'data' nor 'parameters.binary_data_size'")
        case (.none, .some(let size)):
            if let elementSize = datatype.elementSize {
                let (needed, overflow) = count.multipliedReportingOverflow(by: elementSize)
                guard !overflow, needed == size else {
                    throw JSONError(
                        "\(label()) has binary_data_size \(size) but shape \(shape) of \(datatype.rawValue) needs \(overflow ? "more" : "\(needed)") bytes")
                }
            }
        case (.some, .none):
            break
        }
        return V2TensorObject(
            name: name, shape: shape, datatype: datatype, count: count, data: data,
            binaryDataSize: binaryDataSize, role: role)
    }

    /// The tensor once its data is known.
    func tensor() -> Tensor? {
        guard let data else { return nil }
        // Counts were checked against the shape while reading.
        return Tensor(unchecked: name, shape: shape, data: data)
    }

    private static func readShape(_ r: inout JSONReader) throws(JSONError) -> [Int] {
        var dims: [Int] = []
        // Ranks above 4 are rare; this saves the regrowth for the usual ones.
        dims.reserveCapacity(4)
        try r.beginArray()
        while try r.nextElement() { dims.append(try r.readInt()) }
        return dims
    }

    /// Reads `parameters`, returning `binary_data_size` (the only one with meaning here).
    private static func readParameters(
        _ r: inout JSONReader, label: @autoclosure () -> String
    ) throws(JSONError) -> Int? {
        if try r.skipNull() { return nil }
        var size: Int?
        try r.beginObject()
        while let key = try r.nextRawKey() {
            guard key.equals("binary_data_size") else {
                try r.skipValue()
                continue
            }
            guard size == nil else { throw JSONError("\(label()) has a duplicate 'binary_data_size'") }
            let value = try r.field("parameters.binary_data_size", of: label()) { (r: inout JSONReader) throws(JSONError) in try r.readInt() }
            guard value >= 0 else { throw JSONError("\(label()) has a negative binary_data_size \(value)") }
            size = value
        }
        return size
    }

    private static func elementCount(_ shape: [Int], _ label: @autoclosure () -> String) throws(JSONError) -> Int {
        do throws(ServingError) {
            return try Shape.elementCount(shape)
        } catch {
            throw JSONError("\(label()): \(error)")
        }
    }
}

extension JSONReader {
    /// Runs `read` so that its failure names the field and tensor (`input 'x' field 'shape':
    /// expected an array, found '"'`).
    /// `key` and `label` are made only on failure, so the common path builds no message.
    mutating func field<T>(
        _ key: @autoclosure () -> String, of label: @autoclosure () -> String,
        _ read: (inout JSONReader) throws(JSONError) -> T
    ) throws(JSONError) -> T {
        do throws(JSONError) {
            return try read(&self)
        } catch {
            throw error.prefixed("\(label()) field '\(key())'")
        }
    }
}

extension DataType {
    /// The datatype spelled by `text` on the wire (`"FP32"`), compared as bytes so that no
    /// `String` is made per tensor; `nil` for anything else, as `init(rawValue:)`.
    init?(wireName text: JSONRawString) {
        guard let found = text.withUTF8({ DataType(wireName: $0) }) else { return nil }
        self = found
    }

    /// The datatype spelled by the UTF-8 `bytes` (a JSON string's, a protobuf field's).
    init?(wireName bytes: UnsafeRawBufferPointer) {
        let found: DataType? = {
            // Dispatch on the length and a distinguishing byte, then confirm every byte.
            let candidate: DataType?
            switch (bytes.count, bytes.first ?? 0, bytes.last ?? 0) {
            case (4, UInt8(ascii: "B"), _): candidate = .bool
            case (4, UInt8(ascii: "I"), _): candidate = .int8
            case (4, UInt8(ascii: "F"), UInt8(ascii: "6")): candidate = .fp16
            case (4, UInt8(ascii: "F"), UInt8(ascii: "2")): candidate = .fp32
            case (4, UInt8(ascii: "F"), UInt8(ascii: "4")): candidate = .fp64
            case (5, UInt8(ascii: "U"), _): candidate = .uint8
            case (5, UInt8(ascii: "I"), UInt8(ascii: "6")): candidate = .int16
            case (5, UInt8(ascii: "I"), UInt8(ascii: "2")): candidate = .int32
            case (5, UInt8(ascii: "I"), UInt8(ascii: "4")): candidate = .int64
            case (5, UInt8(ascii: "B"), _): candidate = .bytes
            case (6, _, UInt8(ascii: "6")): candidate = .uint16
            case (6, _, UInt8(ascii: "2")): candidate = .uint32
            case (6, _, UInt8(ascii: "4")): candidate = .uint64
            default: candidate = nil
            }
            guard let candidate else { return nil }
            // Through the literal's own bytes: the generic UTF-8 view walk costs more than the rest.
            var expected = candidate.rawValue
            return expected.withUTF8 { $0.elementsEqual(bytes) } ? candidate : nil
        }()
        guard let found else { return nil }
        self = found
    }
}
