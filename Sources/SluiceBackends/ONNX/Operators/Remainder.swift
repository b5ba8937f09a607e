import Foundation
import SluiceCore

/// Mod (broadcast): with `fmod=1` the remainder of truncated division (C's fmod), the only
/// one ONNX defines for floats; with `fmod=0` (integers) the remainder takes the divisor's
/// sign, as Python's %. An integer remainder by 0, and Int.min by -1, give 0 instead of a trap.
struct ModKernel: Kernel {
    let type: ElementType
    let truncated: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        guard try n.type(1) == t else { throw n.fail("inputs have different types (\(t), \(try n.type(1)))") }
        let truncated = n.attributes.int("fmod", default: 0) != 0
        if t.isFloatingPoint && !truncated { throw n.fail("fmod=0 is not defined for \(t) inputs (ONNX requires fmod=1)") }
        return Compiled(kernel: ModKernel(type: t, truncated: truncated), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let a = ws.input(io, 0), b = ws.input(io, 1)
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw io.fail("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = try ws.output(io, 0, type, shape)
        switch type {
        case .float: Broadcast.map(a, b, shape, out.assumingMemoryBound(to: Float.self)) { (x: Float, y: Float) in Foundation.fmod(x, y) }
        case .double: Broadcast.map(a, b, shape, out.assumingMemoryBound(to: Double.self)) { (x: Double, y: Double) in Foundation.fmod(x, y) }
        case .int64: integer(a, b, shape, out.assumingMemoryBound(to: Int64.self))
        case .int32: integer(a, b, shape, out.assumingMemoryBound(to: Int32.self))
        case .bool, .string: break
        }
    }

    private func integer<T: FixedWidthInteger>(_ a: Operand, _ b: Operand, _ shape: [Int], _ out: UnsafeMutablePointer<T>) {
        let truncated = self.truncated
        Broadcast.map(a, b, shape, out) { (x: T, y: T) in
            let (r, overflow) = x.remainderReportingOverflow(dividingBy: y)
            if overflow { return 0 }
            return truncated || r == 0 || (r < 0) == (y < 0) ? r : r &+ y
        }
    }
}

/// IsNaN, and IsInf (`detect_positive`, `detect_negative`): bool masks of a float or double input.
struct ClassifyKernel: Kernel {
    enum Test: Sendable { case nan, infinite(positive: Bool, negative: Bool) }
    let test: Test

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float, .double])
        let a = n.attributes
        let test: Test = n.op == "IsNaN"
            ? .nan
            : .infinite(positive: a.int("detect_positive", default: 1) != 0, negative: a.int("detect_negative", default: 1) != 0)
        return Compiled(kernel: ClassifyKernel(test: test), outputTypes: [.bool])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let out = try ws.output(io, 0, .bool, x.shape, as: UInt8.self)
        if x.type == .double {
            classify(x.buffer(Double.self), out)
        } else {
            classify(x.buffer(Float.self), out)
        }
    }

    private func classify<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutablePointer<UInt8>) {
        switch test {
        case .nan: for (i, v) in x.enumerated() { out[i] = v.isNaN ? 1 : 0 }
        case .infinite(let positive, let negative):
            for (i, v) in x.enumerated() { out[i] = v.isInfinite && (v > 0 ? positive : negative) ? 1 : 0 }
        }
    }
}
