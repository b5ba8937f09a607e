import SluiceCore

/// Imputer (ai.onnx.ml), as skl2onnx writes SimpleImputer: every element equal to the replaced
/// value (NaN matches NaN) becomes its column's imputed value, or the one imputed value for
/// all columns. FP32 with `imputed_value_floats`, INT64 with `imputed_value_int64s`; the
/// columns are the last axis of [C] or the second of [N, C], as onnxruntime reads them.
struct ImputerKernel: Kernel {
    enum Values: Sendable {
        case float(imputed: [Float], replaced: Float)
        case int64(imputed: [Int64], replaced: Int64)
    }
    let values: Values

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let a = n.attributes
        let floats = a.floats("imputed_value_floats") ?? [], ints = a.ints("imputed_value_int64s") ?? []
        guard floats.isEmpty != ints.isEmpty else {
            throw n.fail("exactly one of imputed_value_floats and imputed_value_int64s must hold values")
        }
        let values: Values
        if !floats.isEmpty {
            _ = try n.type(0, in: [.float])
            a.ignore("replaced_value_int64")
            values = .float(imputed: floats, replaced: a.float("replaced_value_float", default: 0))
        } else {
            _ = try n.type(0, in: [.int64])
            a.ignore("replaced_value_float")
            values = .int64(imputed: ints.map { Int64($0) }, replaced: Int64(a.int("replaced_value_int64", default: 0)))
        }
        return Compiled(kernel: ImputerKernel(values: values), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank >= 1 else { throw io.fail("input must have at least one dimension") }
        let columns = x.rank == 1 ? x.shape[0] : x.shape[1]
        switch values {
        case .float(let imputed, let replaced):
            let column = try Self.picker(imputed.count, columns, io)
            let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
            let input = x.pointer(Float.self)
            for i in 0..<x.count {
                let v = input[i]
                out[i] = v == replaced || (v.isNaN && replaced.isNaN) ? imputed[column(i)] : v
            }
        case .int64(let imputed, let replaced):
            let column = try Self.picker(imputed.count, columns, io)
            let out = try ws.output(io, 0, .int64, x.shape, as: Int64.self)
            let input = x.pointer(Int64.self)
            for i in 0..<x.count { out[i] = input[i] == replaced ? imputed[column(i)] : input[i] }
        }
    }

    /// Which imputed value element `i` takes: one per column, or the single one.
    private static func picker(_ count: Int, _ columns: Int, _ io: NodeIO) throws(ServingError) -> (Int) -> Int {
        if count == columns, columns > 0 { return { $0 % columns } }
        guard count == 1 else { throw io.fail("input has \(columns) columns; the imputer has \(count) values") }
        return { _ in 0 }
    }
}

/// Binarizer (ai.onnx.ml): 1 where x > threshold, else 0 (FP32). NaN has no answer: onnxruntime
/// refuses it, and so does this kernel.
struct BinarizerKernel: Kernel {
    let threshold: Float

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float])
        // The ONNX default; skl2onnx always writes it.
        return Compiled(kernel: BinarizerKernel(threshold: n.attributes.float("threshold", default: 0)), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let input = x.pointer(Float.self)
        let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
        for i in 0..<x.count {
            guard !input[i].isNaN else { throw io.fail("element \(i) is NaN, which has no binary value") }
            out[i] = input[i] > threshold ? 1 : 0
        }
    }
}
