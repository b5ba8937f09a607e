import SluiceCore

/// A key of a lookup table: a string's bytes, an integer, or a float's value (as Double bits,
/// every NaN one key, as onnxruntime matches NaN keys).
enum LookupKey: Hashable {
    case text([UInt8])
    case integer(Int64)
    case real(UInt64)

    static func number(_ v: Double) -> LookupKey { .real(v.isNaN ? Double.nan.bitPattern : (v == 0 ? 0 : v.bitPattern)) }
}

/// What a lookup answers per key, and its default: strings (indices into the plan's table,
/// from `NodeInfo.firstString`), int64s, floats or doubles.
enum LookupValues: Sendable {
    case strings(first: Int64, count: Int)
    case int64s([Int64], fallback: Int64)
    case floats([Float], fallback: Float)
    case doubles([Double], fallback: Double)

    var type: ElementType {
        switch self {
        case .strings: .string
        case .int64s: .int64
        case .floats: .float
        case .doubles: .double
        }
    }
}

/// ai.onnx.ml LabelEncoder (opsets 1-4) and CategoryMapper: each element of the input is looked
/// up among `keys` and answered with the value at the same position, or the default. Keys and
/// values are strings, int64s, floats (or, from opset 4's tensors, doubles and int32s).
struct LabelEncoderKernel: Kernel {
    let keys: [LookupKey: Int]
    let keyType: ElementType
    let values: LookupValues

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let a = n.attributes
        var strings: [[UInt8]] = []
        /// The answers: string values join the plan's table, their default last.
        func answers(_ list: LookupList, fallback: LookupList?) -> LookupValues {
            switch list {
            case .strings(let s):
                strings = s + [fallback?.strings.first ?? Array("_Unused".utf8)]
                return .strings(first: Int64(n.firstString), count: s.count)
            case .int64s(let v): return .int64s(v, fallback: fallback?.int64s.first ?? -1)
            case .floats(let v): return .floats(v, fallback: fallback?.floats.first ?? -0.0)
            case .doubles(let v): return .doubles(v, fallback: fallback?.doubles.first ?? -0.0)
            }
        }
        let keyList: LookupList, values: LookupValues
        if n.op == "CategoryMapper" || n.opset < 2 {
            // One list of strings and one of int64s, read in the direction of the input.
            let stringsKey = n.op == "CategoryMapper" ? "cats_strings" : "classes_strings"
            let texts = a.strings(stringsKey).map { $0.map { Array($0.utf8) } } ?? []
            let ints = n.op == "CategoryMapper" ? (a.ints("cats_int64s") ?? []).map { Int64($0) } : (0..<texts.count).map { Int64($0) }
            guard texts.count == ints.count, !texts.isEmpty else {
                throw n.fail("\(stringsKey) must be non-empty (and as long as cats_int64s)")
            }
            let fallbackInt = LookupList.int64s([Int64(a.int("default_int64", default: -1))])
            let fallbackText = LookupList.strings([Array((a.string("default_string") ?? "_Unused").utf8)])
            if try n.type(0, in: [.string, .int64]) == .string {
                keyList = .strings(texts)
                values = answers(.int64s(ints), fallback: fallbackInt)
            } else {
                keyList = .int64s(ints)
                values = answers(.strings(texts), fallback: fallbackText)
            }
        } else {
            keyList = try Self.list(n, "keys")
            let valueList = try Self.list(n, "values")
            guard keyList.count == valueList.count else {
                throw n.fail("\(keyList.count) keys but \(valueList.count) values")
            }
            var fallback: LookupList?
            if let t = a.tensor("default_tensor") {
                fallback = try Self.table(n, t, "default_tensor")
                guard fallback?.count == 1, fallback?.type == valueList.type else {
                    throw n.fail("default_tensor must hold one \(valueList.type)")
                }
            } else {
                switch valueList {
                case .strings: fallback = a.string("default_string").map { .strings([Array($0.utf8)]) }
                case .int64s: fallback = a.int("default_int64").map { .int64s([Int64($0)]) }
                case .floats: fallback = a.float("default_float").map { .floats([$0]) }
                case .doubles: fallback = nil
                }
                // The other types' defaults do not apply to these values.
                a.ignore("default_string", "default_int64", "default_float")
            }
            values = answers(valueList, fallback: fallback)
            let input = try n.type(0)
            guard input == keyList.type || (keyList.type == .int64 && input == .int32) else {
                throw n.fail("input 0 is \(input), but the keys are \(keyList.type)")
            }
        }
        var keys: [LookupKey: Int] = [:]
        for (i, k) in keyList.keys.enumerated() where keys[k] == nil { keys[k] = i }
        let compiled = LabelEncoderKernel(keys: keys, keyType: try n.type(0), values: values)
        return Compiled(kernel: compiled, outputTypes: [values.type], strings: strings)
    }

    /// A list of keys or values, from `keys_strings`/`keys_int64s`/`keys_floats` or (opset 4)
    /// `keys_tensor`; exactly one of them.
    private static func list(_ n: NodeInfo, _ prefix: String) throws(ServingError) -> LookupList {
        let a = n.attributes
        var found: [LookupList] = []
        if let s = a.strings("\(prefix)_strings") { found.append(.strings(s.map { Array($0.utf8) })) }
        if let v = a.ints("\(prefix)_int64s") { found.append(.int64s(v.map { Int64($0) })) }
        if let v = a.floats("\(prefix)_floats") { found.append(.floats(v)) }
        if n.opset >= 4, let t = a.tensor("\(prefix)_tensor") { found.append(try table(n, t, "\(prefix)_tensor")) }
        guard found.count == 1, let list = found.first else {
            throw n.fail("exactly one of \(prefix)_strings, \(prefix)_int64s, \(prefix)_floats\(n.opset >= 4 ? ", \(prefix)_tensor" : "") is required")
        }
        return list
    }

    private static func table(_ n: NodeInfo, _ t: Onnx_TensorProto, _ name: String) throws(ServingError) -> LookupList {
        let c: Constant
        do { c = try Constant(proto: t, limits: n.limits) } catch { throw n.fail("\(name): \(error.reason)") }
        switch c.type {
        case .string: return .strings(c.strings)
        case .int64: return .int64s(Array(c.elements(as: Int64.self)))
        case .int32: return .int64s(c.elements(as: Int32.self).map { Int64($0) })
        case .float: return .floats(Array(c.elements(as: Float.self)))
        case .double: return .doubles(Array(c.elements(as: Double.self)))
        case .bool: throw n.fail("\(name) of bool is not supported")
        }
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let out = try ws.output(io, 0, values.type, x.shape)
        for i in 0..<x.count {
            let key: LookupKey
            switch keyType {
            case .string: key = .text(ws.string(x.pointer(Int64.self)[i]))
            case .int64: key = .integer(x.pointer(Int64.self)[i])
            case .int32: key = .integer(Int64(x.pointer(Int32.self)[i]))
            case .float: key = .number(Double(x.pointer(Float.self)[i]))
            case .double: key = .number(x.pointer(Double.self)[i])
            case .bool: return  // refused at load
            }
            let k = keys[key]
            switch values {
            case .strings(let first, let count): out.assumingMemoryBound(to: Int64.self)[i] = first + Int64(k ?? count)
            case .int64s(let v, let fallback): out.assumingMemoryBound(to: Int64.self)[i] = k.map { v[$0] } ?? fallback
            case .floats(let v, let fallback): out.assumingMemoryBound(to: Float.self)[i] = k.map { v[$0] } ?? fallback
            case .doubles(let v, let fallback): out.assumingMemoryBound(to: Double.self)[i] = k.map { v[$0] } ?? fallback
            }
        }
    }
}

/// A list of keys or values as a factory reads it.
enum LookupList {
    case strings([[UInt8]])
    case int64s([Int64])
    case floats([Float])
    case doubles([Double])

    var count: Int { keys.count }

    var type: ElementType {
        switch self {
        case .strings: .string
        case .int64s: .int64
        case .floats: .float
        case .doubles: .double
        }
    }

    var keys: [LookupKey] {
        switch self {
        case .strings(let v): v.map { .text($0) }
        case .int64s(let v): v.map { .integer($0) }
        case .floats(let v): v.map { .number(Double($0)) }
        case .doubles(let v): v.map { .number($0) }
        }
    }

    var strings: [[UInt8]] { if case .strings(let v) = self { v } else { [] } }
    var int64s: [Int64] { if case .int64s(let v) = self { v } else { [] } }
    var floats: [Float] { if case .floats(let v) = self { v } else { [] } }
    var doubles: [Double] { if case .doubles(let v) = self { v } else { [] } }
}
