import SluiceCore

/// ai.onnx.ml OneHotEncoder: each element of the input becomes a row of `cats` floats, 1 where
/// it equals the category. Strings match `cats_strings`; numbers (int64, int32, float, double,
/// floats truncated to integers as onnxruntime does) match `cats_int64s`. An element in no
/// category gives a row of zeros, or, with `zeros=0`, a request error.
struct OneHotEncoderKernel: Kernel {
    let categories: [LookupKey: Int]
    let width: Int
    let zeros: Bool
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let a = n.attributes
        let strings = a.strings("cats_strings"), ints = a.ints("cats_int64s")
        let keys: [LookupKey]
        let type: ElementType
        switch (strings, ints) {
        case (let s?, nil):
            type = try n.type(0, in: [.string])
            keys = s.map { .text(Array($0.utf8)) }
        case (nil, let i?):
            type = try n.type(0, in: [.int64, .int32, .float, .double])
            keys = i.map { .integer(Int64($0)) }
        default: throw n.fail("exactly one of cats_strings and cats_int64s is required")
        }
        guard !keys.isEmpty else { throw n.fail("the categories are empty") }
        var categories: [LookupKey: Int] = [:]
        for (i, k) in keys.enumerated() where categories[k] == nil { categories[k] = i }
        let kernel = OneHotEncoderKernel(
            categories: categories, width: keys.count, zeros: a.int("zeros", default: 1) != 0, type: type)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let out = try ws.output(io, 0, .float, x.shape + [width], as: Float.self)
        out.initialize(repeating: 0, count: x.count * width)
        for i in 0..<x.count {
            let key: LookupKey
            switch type {
            case .string: key = .text(ws.string(x.pointer(Int64.self)[i]))
            case .int64: key = .integer(x.pointer(Int64.self)[i])
            case .int32: key = .integer(Int64(x.pointer(Int32.self)[i]))
            case .float: key = .integer(Int64(exactly: x.pointer(Float.self)[i].rounded(.towardZero)) ?? .min)
            case .double: key = .integer(Int64(exactly: x.pointer(Double.self)[i].rounded(.towardZero)) ?? .min)
            case .bool: return  // refused at load
            }
            if let k = categories[key] {
                out[i * width + k] = 1
            } else if !zeros {
                throw io.fail("element \(i) is in no category (zeros=0)")
            }
        }
    }
}
