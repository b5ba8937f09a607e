import SluiceCore

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

    /// "input 'x'", for messages.
    var label: String

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
        func once(_ field: Seen, _ key: String) throws(JSONError) {
            guard !seen.contains(field) else { throw JSONError("\(label()) has a duplicate field '\(key)'") }
            seen.insert(field)
        }

        if r.peek() != UInt8(ascii: "{") { throw r.mismatch(expecting: "an object").prefixed("\(role) \(index)") }
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "name":
                try once(.name, key)
                name = try r.field(key, of: label()) { (r: inout JSONReader) throws(JSONError) in try r.readString() }
            case "shape":
                try once(.shape, key)
                shape = try r.field(key, of: label()) { (r: inout JSONReader) throws(JSONError) in try readShape(&r) }
            case "datatype":
                try once(.datatype, key)
                let text = try r.field(key, of: label()) { (r: inout JSONReader) throws(JSONError) in try r.readString() }
                guard let dt = DataType(rawValue: text) else {
                    throw JSONError("\(label()) has unknown datatype '\(text)'")
                }
                datatype = dt
            case "parameters":
                try once(.parameters, key)
                binaryDataSize = try readParameters(&r, label: label())
            case "data":
                try once(.data, key)
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
            binaryDataSize: binaryDataSize, label: label())
    }

    /// The tensor once its data is known.
    func tensor() -> Tensor? {
        guard let data else { return nil }
        // Counts were checked against the shape while reading.
        return Tensor(unchecked: name, shape: shape, data: data)
    }

    private static func readShape(_ r: inout JSONReader) throws(JSONError) -> [Int] {
        var dims: [Int] = []
        try r.beginArray()
        while try r.nextElement() { dims.append(try r.readInt()) }
        return dims
    }

    /// Reads `parameters`, returning `binary_data_size` (the only one with meaning here).
    private static func readParameters(_ r: inout JSONReader, label: String) throws(JSONError) -> Int? {
        if try r.skipNull() { return nil }
        var size: Int?
        try r.beginObject()
        while let key = try r.nextKey() {
            guard key == "binary_data_size" else {
                try r.skipValue()
                continue
            }
            guard size == nil else { throw JSONError("\(label) has a duplicate 'binary_data_size'") }
            let value = try r.field("parameters.binary_data_size", of: label) { (r: inout JSONReader) throws(JSONError) in try r.readInt() }
            guard value >= 0 else { throw JSONError("\(label) has a negative binary_data_size \(value)") }
            size = value
        }
        return size
    }

    private static func elementCount(_ shape: [Int], _ label: String) throws(JSONError) -> Int {
        do throws(ServingError) {
            return try Shape.elementCount(shape)
        } catch {
            throw JSONError("\(label): \(error)")
        }
    }
}

extension JSONReader {
    /// Runs `read` so that its failure names the field and tensor (`input 'x' field 'shape':
    /// expected an array, found '"'`).
    mutating func field<T>(
        _ key: String, of label: String, _ read: (inout JSONReader) throws(JSONError) -> T
    ) throws(JSONError) -> T {
        do throws(JSONError) {
            return try read(&self)
        } catch {
            throw error.prefixed("\(label) field '\(key)'")
        }
    }
}
