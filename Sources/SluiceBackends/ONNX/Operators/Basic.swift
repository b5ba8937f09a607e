import SluiceCore

/// Identity, and Dropout at inference (a copy; its optional mask is all true).
struct CopyKernel: Kernel {
    static func makeIdentity(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        return Compiled(kernel: CopyKernel(), outputTypes: [try n.type(0)])
    }

    static func makeDropout(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...3)
        n.attributes.ignore("seed", "is_test", "ratio", "consumed_inputs")
        if n.has(2) {
            guard let training = n.constants[2] else {
                throw n.fail("training_mode must be a constant (only inference is supported)")
            }
            guard training.integers.allSatisfy({ $0 == 0 }) else { throw n.fail("training_mode=true is not supported") }
        }
        return Compiled(kernel: CopyKernel(), outputTypes: [try n.type(0), .bool])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        try copyElements(ws.output(io, 0, x.type, x.shape), x.base, count: x.count, size: x.type.size)
        if ws.wants(io, 1) {
            try ws.output(io, 1, .bool, x.shape).initializeMemory(as: UInt8.self, repeating: 1, count: x.count)
        }
    }
}

/// Cast between float, double, int64, int32 and bool. Floats become integers by truncation; NaN
/// and values beyond the target's range give its minimum (what x86's conversion gives), never
/// a trap. Numbers to and from STRING: see `CastKernel+Strings.swift`.
struct CastKernel: Kernel {
    let to: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0)
        let code: Int
        if let c = n.attributes.int("to") {
            code = c
        } else if let name = n.attributes.string("to") {
            // Opset 1 spelled the type as a string.
            let names = ["FLOAT": 1, "INT32": 6, "INT64": 7, "STRING": 8, "BOOL": 9, "DOUBLE": 11]
            code = names[name] ?? -1
        } else {
            throw n.fail("attribute 'to' is required")
        }
        guard let to = ElementType(onnx: code) else {
            throw n.fail("casting to \(ElementType.onnxName(code)) is not supported")
        }
        n.attributes.ignore("saturate")
        let from = try n.type(0)
        if (from == .string) != (to == .string), from == .bool || to == .bool {
            throw n.fail("casting between bool and string is not supported")
        }
        if to == .string, from.isFloatingPoint {
            throw n.fail("casting to string from \(from) is not supported: ONNX's reference writes the shortest text that reads back (0.6048455) and onnxruntime C's %.8g (0.60484552), so no one answer is right")
        }
        return Compiled(kernel: CastKernel(to: to), outputTypes: [to])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let out = try ws.output(io, 0, to, x.shape)
        if x.type == to {
            copyElements(out, x.base, count: x.count, size: to.size)
            return
        }
        if to == .string {
            Self.format(x, out.assumingMemoryBound(to: Int64.self), ws)
            return
        }
        switch x.type {
        case .string: try Self.parse(x, to, out, ws, io)
        case .float: Self.convert(x.buffer(Float.self), to, out)
        case .double: Self.convert(x.buffer(Double.self), to, out)
        case .int64: Self.convertInteger(x.buffer(Int64.self), to, out)
        case .int32: Self.convertInteger(x.buffer(Int32.self), to, out)
        case .bool: Self.convertInteger(x.buffer(UInt8.self), to, out)
        }
    }

    private static func convert<T: BinaryFloatingPoint>(_ src: UnsafeBufferPointer<T>, _ to: ElementType, _ out: UnsafeMutableRawPointer) {
        switch to {
        case .float: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Float.self)[i] = Float(v) }
        case .double: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Double.self)[i] = Double(v) }
        case .int64: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Int64.self)[i] = Int64(exactly: v.rounded(.towardZero)) ?? .min }
        case .int32: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Int32.self)[i] = Int32(exactly: v.rounded(.towardZero)) ?? .min }
        case .bool: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: UInt8.self)[i] = v != 0 ? 1 : 0 }
        case .string: break  // `format`
        }
    }

    private static func convertInteger<T: BinaryInteger>(_ src: UnsafeBufferPointer<T>, _ to: ElementType, _ out: UnsafeMutableRawPointer) {
        switch to {
        case .float: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Float.self)[i] = Float(v) }
        case .double: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Double.self)[i] = Double(v) }
        case .int64: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Int64.self)[i] = Int64(truncatingIfNeeded: v) }
        case .int32: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: Int32.self)[i] = Int32(truncatingIfNeeded: v) }
        case .bool: for (i, v) in src.enumerated() { out.assumingMemoryBound(to: UInt8.self)[i] = v != 0 ? 1 : 0 }
        case .string: break  // `format`
        }
    }
}

/// Constant: its value becomes a constant at load (the node is folded away).
struct ConstantKernel: Kernel {
    let value: Constant

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(0...0)
        let a = n.attributes
        let value: Constant
        if let t = a.tensor("value") {
            do { value = try Constant(proto: t, limits: n.limits) } catch { throw n.fail("value: \(error.reason)") }
        } else if let f = a.float("value_float") {
            value = Constant([f], type: .float, shape: [])
        } else if let fs = a.floats("value_floats") {
            value = Constant(fs, type: .float, shape: [fs.count])
        } else if let i = a.int("value_int") {
            value = Constant([Int64(i)], type: .int64, shape: [])
        } else if let is_ = a.ints("value_ints") {
            value = Constant(is_.map { Int64($0) }, type: .int64, shape: [is_.count])
        } else if let text = a.proto("value_string"), text.type == .string {
            value = Constant(strings: [[UInt8](text.s)], shape: [])
        } else if let texts = a.proto("value_strings"), texts.type == .strings {
            value = Constant(strings: texts.strings.map { [UInt8]($0) }, shape: [texts.strings.count])
        } else {
            throw n.fail("only value, value_float(s), value_int(s) and value_string(s) are supported (sparse tensors are not)")
        }
        // A value_floats or value_ints list is as long as the file says: bounded like any tensor.
        guard Shape.count(value.shape, within: n.limits.maxTensorElements) != nil else {
            throw n.fail("value's \(n.limits.beyond(value.shape))")
        }
        return Compiled(kernel: ConstantKernel(value: value), outputTypes: [value.type])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let out = try ws.output(io, 0, value.type, value.shape)
        if value.type == .string {
            // The value's own strings join the table (the node is folded: the plan's table).
            let first = ws.intern(value.strings)
            let o = out.assumingMemoryBound(to: Int64.self)
            for i in 0..<value.count { o[i] = first + Int64(i) }
            return
        }
        copyElements(out, value.buffer.pointer, count: value.count, size: value.type.size)
    }
}

/// ConstantOfShape: a tensor of the shape its int64 input names, filled with `value`
/// (float 0 by default).
struct ConstantOfShapeKernel: Kernel {
    let value: Constant

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.int64])
        var value = Constant([Float(0)], type: .float, shape: [1])
        if let t = n.attributes.tensor("value") {
            do { value = try Constant(proto: t, limits: n.limits) } catch { throw n.fail("value: \(error.reason)") }
            guard value.count == 1, value.type != .string else { throw n.fail("value must hold one number") }
        }
        return Compiled(kernel: ConstantOfShapeKernel(value: value), outputTypes: [value.type])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let shape = ws.input(io, 0).integers()
        guard shape.allSatisfy({ $0 >= 0 }) else { throw io.fail("shape \(shape) has a negative dimension") }
        let out = try ws.output(io, 0, value.type, shape)
        let n = shape.reduce(1, *)  // within the limit: `output` took the shape
        let size = value.type.size
        for i in 0..<n { (out + i * size).copyMemory(from: value.buffer.pointer, byteCount: size) }
    }
}

/// Shape: the input's dimensions as int64, optionally sliced by `start`/`end` (opset 15).
struct ShapeKernel: Kernel {
    let start: Int
    let end: Int?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0)
        return Compiled(
            kernel: ShapeKernel(start: n.attributes.int("start", default: 0), end: n.attributes.int("end")),
            outputTypes: [.int64])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let dims = ws.input(io, 0).shape
        let r = dims.count
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let s = clamp(start), e = max(clamp(end ?? r), s)
        let out = try ws.output(io, 0, .int64, [e - s], as: Int64.self)
        for i in s..<e { out[i - s] = Int64(dims[i]) }
    }
}
