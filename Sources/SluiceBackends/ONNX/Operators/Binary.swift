import Foundation
import SluiceCore

/// Add, Sub, Mul, Div with NumPy broadcasting, on float, double, int64 and int32. Integer
/// arithmetic wraps and integer division by zero gives 0 (where C would be undefined), so a
/// request cannot trap the process.
struct ArithmeticKernel: Kernel {
    enum Op: Sendable { case add, sub, mul, div }
    let op: Op
    let type: ElementType
    /// Before opset 7, `broadcast=1` with `axis` aligns B's first dimension with A's `axis`.
    var legacyAxis: Int?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        guard try n.type(1) == t else { throw n.fail("inputs have different types (\(t), \(try n.type(1)))") }
        var legacyAxis: Int?
        if n.opset < 7 {
            n.attributes.ignore("consumed_inputs")
            if n.attributes.int("broadcast", default: 0) != 0 { legacyAxis = n.attributes.int("axis") }
        }
        let op: Op
        switch n.op {
        case "Add": op = .add
        case "Sub": op = .sub
        case "Mul": op = .mul
        default: op = .div
        }
        return Compiled(kernel: ArithmeticKernel(op: op, type: t, legacyAxis: legacyAxis), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let a = ws.input(io, 0)
        var b = ws.input(io, 1)
        if let axis = legacyAxis {
            // `axis` is any Int64 the file holds: compared, never added to.
            let start = axis < 0 ? axis + a.rank : axis
            guard start >= 0, start <= a.rank - b.rank else { throw io.fail("B \(b.shape) does not fit A \(a.shape) at axis \(axis)") }
            let shape = b.shape + Array(repeating: 1, count: a.rank - start - b.rank)
            b = Operand(shape: shape, type: b.type, count: b.count, base: b.base)
        }
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw io.fail("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = try ws.output(io, 0, type, shape)
        switch type {
        case .float: floating(a, b, shape, out.assumingMemoryBound(to: Float.self))
        case .double: floating(a, b, shape, out.assumingMemoryBound(to: Double.self))
        case .int64: integer(a, b, shape, out.assumingMemoryBound(to: Int64.self))
        case .int32: integer(a, b, shape, out.assumingMemoryBound(to: Int32.self))
        case .bool, .string: break
        }
    }

    private func floating<T: BinaryFloatingPoint>(_ a: Operand, _ b: Operand, _ s: [Int], _ o: UnsafeMutablePointer<T>) {
        switch op {
        case .add: Broadcast.map(a, b, s, o) { (x: T, y: T) in x + y }
        case .sub: Broadcast.map(a, b, s, o) { (x: T, y: T) in x - y }
        case .mul: Broadcast.map(a, b, s, o) { (x: T, y: T) in x * y }
        case .div: Broadcast.map(a, b, s, o) { (x: T, y: T) in x / y }
        }
    }

    private func integer<T: FixedWidthInteger>(_ a: Operand, _ b: Operand, _ s: [Int], _ o: UnsafeMutablePointer<T>) {
        switch op {
        case .add: Broadcast.map(a, b, s, o) { (x: T, y: T) in x &+ y }
        case .sub: Broadcast.map(a, b, s, o) { (x: T, y: T) in x &- y }
        case .mul: Broadcast.map(a, b, s, o) { (x: T, y: T) in x &* y }
        case .div:
            Broadcast.map(a, b, s, o) { (x: T, y: T) in
                let (q, overflow) = x.dividedReportingOverflow(by: y)
                return overflow ? 0 : q
            }
        }
    }
}

/// Pow (broadcast): a float base with a float, double, int64 or int32 exponent in float
/// arithmetic; a double base in double arithmetic; an int64 or int32 base in double arithmetic,
/// truncated back.
struct PowKernel: Kernel {
    let baseType: ElementType
    let exponentType: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        let e = try n.type(1, in: [.float, .double, .int64, .int32])
        if n.opset < 7 { n.attributes.ignore("broadcast") }
        return Compiled(kernel: PowKernel(baseType: t, exponentType: e), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let a = ws.input(io, 0), b = ws.input(io, 1)
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw io.fail("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if baseType == .double {
            let o = try ws.output(io, 0, .double, shape, as: Double.self)
            switch exponentType {
            case .float: Broadcast.map(a, b, shape, o) { (x: Double, y: Float) in Foundation.pow(x, Double(y)) }
            case .double: Broadcast.map(a, b, shape, o) { (x: Double, y: Double) in Foundation.pow(x, y) }
            case .int64: Broadcast.map(a, b, shape, o) { (x: Double, y: Int64) in Foundation.pow(x, Double(y)) }
            case .int32: Broadcast.map(a, b, shape, o) { (x: Double, y: Int32) in Foundation.pow(x, Double(y)) }
            case .bool, .string: break
            }
            return
        }
        if baseType != .float {
            let out = try ws.output(io, 0, baseType, shape)
            switch (baseType, exponentType) {
            case (.int64, _): integerPower(a, b, shape, out.assumingMemoryBound(to: Int64.self))
            default: integerPower(a, b, shape, out.assumingMemoryBound(to: Int32.self))
            }
            return
        }
        let o = try ws.output(io, 0, .float, shape, as: Float.self)
        switch exponentType {
        case .float: Broadcast.map(a, b, shape, o) { (x: Float, y: Float) in Foundation.pow(x, y) }
        case .double: Broadcast.map(a, b, shape, o) { (x: Float, y: Double) in Float(Foundation.pow(Double(x), y)) }
        case .int64: Broadcast.map(a, b, shape, o) { (x: Float, y: Int64) in Foundation.pow(x, Float(y)) }
        case .int32: Broadcast.map(a, b, shape, o) { (x: Float, y: Int32) in Foundation.pow(x, Float(y)) }
        case .bool, .string: break
        }
    }

    private func integerPower<T: FixedWidthInteger>(_ a: Operand, _ b: Operand, _ shape: [Int], _ o: UnsafeMutablePointer<T>) {
        func power(_ x: T, _ y: Double) -> T {
            let v = Foundation.pow(Double(x), y).rounded(.towardZero)
            return T(exactly: v) ?? T.min
        }
        switch exponentType {
        case .float: Broadcast.map(a, b, shape, o) { (x: T, y: Float) in power(x, Double(y)) }
        case .double: Broadcast.map(a, b, shape, o) { (x: T, y: Double) in power(x, y) }
        case .int64: Broadcast.map(a, b, shape, o) { (x: T, y: Int64) in power(x, Double(y)) }
        case .int32: Broadcast.map(a, b, shape, o) { (x: T, y: Int32) in power(x, Double(y)) }
        case .bool, .string: break
        }
    }
}

/// Equal, Less, Greater (broadcast) on any supported type, answering bool; strings (their
/// bytes) only for Equal.
struct CompareKernel: Kernel {
    enum Op: Sendable { case equal, less, greater, lessOrEqual, greaterOrEqual }
    let op: Op
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0)
        guard try n.type(1) == t else { throw n.fail("inputs have different types") }
        if n.opset < 7 { n.attributes.ignore("broadcast") }
        let ops: [String: Op] = [
            "Equal": .equal, "Less": .less, "Greater": .greater, "LessOrEqual": .lessOrEqual,
            "GreaterOrEqual": .greaterOrEqual,
        ]
        let op = ops[n.op] ?? .equal
        if op != .equal && (t == .bool || t == .string) { throw n.fail("\(t) inputs are not supported") }
        return Compiled(kernel: CompareKernel(op: op, type: t), outputTypes: [.bool])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let a = ws.input(io, 0), b = ws.input(io, 1)
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw io.fail("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let o = try ws.output(io, 0, .bool, shape, as: UInt8.self)
        switch type {
        case .float: compare(a, b, shape, o, Float.self)
        case .double: compare(a, b, shape, o, Double.self)
        case .int64: compare(a, b, shape, o, Int64.self)
        case .int32: compare(a, b, shape, o, Int32.self)
        case .bool: compare(a, b, shape, o, UInt8.self)
        case .string: Broadcast.map(a, b, shape, o) { (x: Int64, y: Int64) in x == y || ws.string(x) == ws.string(y) ? 1 : 0 }
        }
    }

    private func compare<T: Comparable>(_ a: Operand, _ b: Operand, _ s: [Int], _ o: UnsafeMutablePointer<UInt8>, _: T.Type) {
        switch op {
        case .equal: Broadcast.map(a, b, s, o) { (x: T, y: T) in x == y ? 1 : 0 }
        case .less: Broadcast.map(a, b, s, o) { (x: T, y: T) in x < y ? 1 : 0 }
        case .greater: Broadcast.map(a, b, s, o) { (x: T, y: T) in x > y ? 1 : 0 }
        case .lessOrEqual: Broadcast.map(a, b, s, o) { (x: T, y: T) in x <= y ? 1 : 0 }
        case .greaterOrEqual: Broadcast.map(a, b, s, o) { (x: T, y: T) in x >= y ? 1 : 0 }
        }
    }
}

/// Where(condition, X, Y) with three-way broadcasting, on any supported element type.
struct WhereKernel: Kernel {
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        _ = try n.type(0, in: [.bool])
        let t = try n.type(1)
        guard try n.type(2) == t else { throw n.fail("X and Y have different types") }
        return Compiled(kernel: WhereKernel(type: t), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let c = ws.input(io, 0), x = ws.input(io, 1), y = ws.input(io, 2)
        guard let shape = Broadcast.shape(c.shape, x.shape, y.shape) else {
            throw io.fail("shapes \(c.shape), \(x.shape) and \(y.shape) do not broadcast")
        }
        let out = try ws.output(io, 0, type, shape)
        switch type.size {
        case 1: select(c, x, y, shape, out, UInt8.self)
        case 4: select(c, x, y, shape, out, UInt32.self)
        default: select(c, x, y, shape, out, UInt64.self)
        }
    }

    private func select<T>(_ c: Operand, _ x: Operand, _ y: Operand, _ shape: [Int], _ raw: UnsafeMutableRawPointer, _: T.Type) {
        let o = raw.assumingMemoryBound(to: T.self)
        let pc = c.pointer(UInt8.self), px = x.pointer(T.self), py = y.pointer(T.self)
        var i = 0
        Broadcast.rows([c.shape, x.shape, y.shape], out: shape) { off, inner, length in
            var ic = off[0], ix = off[1], iy = off[2]
            for j in 0..<length {
                o[i + j] = pc[ic] != 0 ? px[ix] : py[iy]
                ic += inner[0]
                ix += inner[1]
                iy += inner[2]
            }
            i += length
        }
    }
}
