import SluiceCore

/// Min, Max, Sum and Mean of one or more FP32 or FP64 inputs (broadcast; Min and Max also of
/// int64 or int32 ones), and PRelu.
struct VariadicKernel: Kernel {
    enum Op: Sendable { case min, max, sum, mean }
    let op: Op
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        guard !n.inputTypes.isEmpty else { throw n.fail("needs at least one input") }
        let op: Op = n.op == "Min" ? .min : n.op == "Max" ? .max : n.op == "Sum" ? .sum : .mean
        let t = try n.type(0, in: op == .min || op == .max ? [.float, .double, .int64, .int32] : [.float, .double])
        for i in n.inputTypes.indices { _ = try n.type(i, in: [t]) }
        if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
        return Compiled(kernel: VariadicKernel(op: op, type: t), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .double: try run(io, ws, Double.self)
        case .int64: try extreme(io, ws, Int64.self)
        case .int32: try extreme(io, ws, Int32.self)
        default: try run(io, ws, Float.self)
        }
    }

    /// The inputs, their broadcast shape, and the output holding the first input broadcast.
    private func start(_ io: NodeIO, _ ws: Workspace) throws(ServingError) -> ([Operand], [Int], UnsafeMutableRawPointer) {
        let inputs = io.inputs.indices.map { ws.input(io, $0) }
        var shape = inputs[0].shape
        for x in inputs.dropFirst() {
            guard let s = Broadcast.shape(shape, x.shape) else { throw io.fail("shapes \(shape) and \(x.shape) do not broadcast") }
            shape = s
        }
        let raw = try ws.output(io, 0, type, shape)
        let first = inputs[0]
        stridedCopy(
            first.base, offset: 0, strides: Broadcast.strides(first.shape, to: shape), shape: shape, into: raw,
            size: type.size)
        return (inputs, shape, raw)
    }

    private func run<T: FloatElement>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let (inputs, shape, raw) = try start(io, ws)
        let out = raw.assumingMemoryBound(to: T.self)
        let acc = Operand(shape: shape, type: type, count: shape.reduce(1, *), base: UnsafeRawPointer(raw))
        for x in inputs.dropFirst() {
            switch op {
            case .min: Broadcast.map(acc, x, shape, out) { (a: T, b: T) in a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }
            case .max: Broadcast.map(acc, x, shape, out) { (a: T, b: T) in a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
            case .sum, .mean: Broadcast.map(acc, x, shape, out) { (a: T, b: T) in a + b }
            }
        }
        if op == .mean {
            let k = T(inputs.count)
            for i in 0..<acc.count { out[i] /= k }
        }
    }
}

extension VariadicKernel {
    /// Min or Max of integer inputs.
    private func extreme<T: FixedWidthInteger>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let (inputs, shape, raw) = try start(io, ws)
        let out = raw.assumingMemoryBound(to: T.self)
        let acc = Operand(shape: shape, type: type, count: shape.reduce(1, *), base: UnsafeRawPointer(raw))
        let smaller = op == .min
        for x in inputs.dropFirst() {
            Broadcast.map(acc, x, shape, out) { (a: T, b: T) in
                smaller ? Swift.min(a, b) : Swift.max(a, b)
            }
        }
    }
}

/// PRelu: `x < 0 ? slope·x : x`, the slope broadcast to X.
struct PReluKernel: Kernel {
    /// Before opset 7 a 1-D slope of C values applies per channel (dimension 1).
    let perChannel: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(0, in: [.float])
        _ = try n.type(1, in: [.float])
        if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
        return Compiled(kernel: PReluKernel(perChannel: n.opset < 7), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        var slope = ws.input(io, 1)
        if perChannel, slope.rank == 1, x.rank >= 2, slope.count == x.shape[1], slope.count > 1 {
            slope = Operand(
                shape: [slope.count] + Array(repeating: 1, count: x.rank - 2), type: slope.type, count: slope.count,
                base: slope.base)
        }
        guard let shape = Broadcast.shape(x.shape, slope.shape), shape == x.shape else {
            throw io.fail("slope \(slope.shape) does not broadcast to \(x.shape)")
        }
        let out = try ws.output(io, 0, .float, shape, as: Float.self)
        Broadcast.map(x, slope, shape, out) { (v: Float, s: Float) in v < 0 ? s * v : v }
    }
}

/// Not, And, Or, Xor on bool tensors (broadcast).
struct LogicalKernel: Kernel {
    enum Op: Sendable { case not, and, or, xor }
    let op: Op

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let op: Op = n.op == "Not" ? .not : n.op == "And" ? .and : n.op == "Or" ? .or : .xor
        try n.requireInputs(op == .not ? 1...1 : 2...2)
        for i in n.inputTypes.indices { _ = try n.type(i, in: [.bool]) }
        if n.opset < 7 { n.attributes.ignore("broadcast") }
        return Compiled(kernel: LogicalKernel(op: op), outputTypes: [.bool])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let a = ws.input(io, 0)
        if op == .not {
            let src = a.pointer(UInt8.self)
            let out = try ws.output(io, 0, .bool, a.shape, as: UInt8.self)
            for i in 0..<a.count { out[i] = src[i] == 0 ? 1 : 0 }
            return
        }
        let b = ws.input(io, 1)
        guard let shape = Broadcast.shape(a.shape, b.shape) else { throw io.fail("shapes \(a.shape) and \(b.shape) do not broadcast") }
        let out = try ws.output(io, 0, .bool, shape, as: UInt8.self)
        switch op {
        case .and: Broadcast.map(a, b, shape, out) { (x: UInt8, y: UInt8) in x != 0 && y != 0 ? 1 : 0 }
        case .or: Broadcast.map(a, b, shape, out) { (x: UInt8, y: UInt8) in x != 0 || y != 0 ? 1 : 0 }
        default: Broadcast.map(a, b, shape, out) { (x: UInt8, y: UInt8) in (x != 0) != (y != 0) ? 1 : 0 }
        }
    }
}
