import SluiceCore

/// A value in a parsed model document together with where it came from, so every decoding
/// failure names the file and the key path ("model.json: learner.objective.name: expected a
/// string, found a number"). Used only while loading, on a loader thread.
struct ModelField {
    let value: ModelValue
    let path: String
    let file: String

    func fail(_ reason: String) -> ServingError {
        .loadFailure("\(file): \(path.isEmpty ? "" : "\(path): ")\(reason)")
    }

    func member(_ key: String) throws(ServingError) -> ModelField {
        guard let field = optionalMember(key) else { throw fail("missing '\(key)'") }
        return field
    }

    func optionalMember(_ key: String) -> ModelField? {
        guard case .object(let members) = value, let child = members[key] else { return nil }
        return ModelField(value: child, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func string() throws(ServingError) -> String {
        guard case .string(let s) = value else { throw fail("expected a string, found \(value.kind)") }
        return s
    }

    /// XGBoost stores most parameters as strings ("num_class": "3"); accept both spellings.
    func int() throws(ServingError) -> Int {
        switch value {
        case .integer(let i) where i >= Int64(Int.min) && i <= Int64(Int.max): return Int(i)
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: return Int(d)
        case .string(let s):
            if let i = Int(s) { return i }
            if let d = Double(s), d.rounded() == d, abs(d) < 1e15 { return Int(d) }
            throw fail("expected an integer, found '\(s.prefix(40))'")
        default: throw fail("expected an integer, found \(value.kind)")
        }
    }

    func elements() throws(ServingError) -> [ModelField] {
        guard case .array(let items) = value else { throw fail("expected an array, found \(value.kind)") }
        return items.enumerated().map { ModelField(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func floats() throws(ServingError) -> [Float] {
        switch value {
        case .floats(let f): return f
        case .doubles(let d): return d.map { Float($0) }
        case .integers(let i): return i.map { Float($0) }
        case .array(let items):
            var out = [Float]()
            out.reserveCapacity(items.count)
            for item in items {
                switch item {
                case .double(let d): out.append(Float(d))
                case .integer(let i): out.append(Float(i))
                default: throw fail("expected numbers, found \(item.kind)")
                }
            }
            return out
        default: throw fail("expected an array of numbers, found \(value.kind)")
        }
    }

    /// Integers that must fit in Int32 (node, feature and class indices).
    func int32s() throws(ServingError) -> [Int32] {
        var out = [Int32]()
        func append(_ i: Int64) throws(ServingError) {
            guard let narrow = Int32(exactly: i) else { throw fail("index \(i) is out of range") }
            out.append(narrow)
        }
        switch value {
        case .integers(let ints):
            out.reserveCapacity(ints.count)
            for i in ints { try append(i) }
        case .array(let items):
            out.reserveCapacity(items.count)
            for item in items {
                switch item {
                case .integer(let i): try append(i)
                case .bool(let b): out.append(b ? 1 : 0)
                default: throw fail("expected integers, found \(item.kind)")
                }
            }
        default: throw fail("expected an array of integers, found \(value.kind)")
        }
        return out
    }
}
