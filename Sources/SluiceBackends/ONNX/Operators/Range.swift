import SluiceCore

/// Range: `start, start + delta, …` up to (not including) `limit`, from three scalars of one
/// type (float, double, int32, int64). The count is max(ceil((limit - start) / delta), 0),
/// checked against the model's limits before anything is made; delta 0 is refused.
struct RangeKernel: Kernel {
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        let t = try n.type(0, in: [.float, .double, .int32, .int64])
        for i in 1..<3 where try n.type(i) != t {
            throw n.fail("input \(i) is \(try n.type(i)), input 0 is \(t): start, limit and delta share one type")
        }
        return Compiled(kernel: RangeKernel(type: t), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let (start, limit, delta) = (ws.input(io, 0), ws.input(io, 1), ws.input(io, 2))
        guard start.count == 1, limit.count == 1, delta.count == 1 else {
            throw io.fail("start \(start.shape), limit \(limit.shape) and delta \(delta.shape) must be scalars")
        }
        switch type {
        case .float: try floats(io, ws, start.pointer(Float.self)[0], limit.pointer(Float.self)[0], delta.pointer(Float.self)[0])
        case .double: try floats(io, ws, start.pointer(Double.self)[0], limit.pointer(Double.self)[0], delta.pointer(Double.self)[0])
        case .int32: try integers(io, ws, start.pointer(Int32.self)[0], limit.pointer(Int32.self)[0], delta.pointer(Int32.self)[0])
        case .int64: try integers(io, ws, start.pointer(Int64.self)[0], limit.pointer(Int64.self)[0], delta.pointer(Int64.self)[0])
        case .bool, .string: break
        }
    }

    private func floats<T: BinaryFloatingPoint>(_ io: NodeIO, _ ws: Workspace, _ start: T, _ limit: T, _ delta: T) throws(ServingError) {
        guard delta != 0, start.isFinite, limit.isFinite, delta.isFinite else {
            throw io.fail("start \(start), limit \(limit) and delta \(delta) do not make a finite range")
        }
        let steps = ((Double(limit) - Double(start)) / Double(delta)).rounded(.up)
        guard steps <= Double(ws.limits.maxTensorElements) else {
            throw io.fail("the range has \(steps) elements, beyond the model's limit of \(ws.limits.maxTensorElements)")
        }
        let count = steps > 0 ? Int(steps) : 0
        let out = try ws.output(io, 0, type, [count], as: T.self)
        // As numpy.arange, which ONNX's reference calls: start + i·delta, not a running sum.
        for i in 0..<count { out[i] = start + T(i) * delta }
    }

    private func integers<T: FixedWidthInteger & SignedInteger>(_ io: NodeIO, _ ws: Workspace, _ start: T, _ limit: T, _ delta: T) throws(ServingError) {
        guard delta != 0 else { throw io.fail("delta is 0") }
        // In Int (64 bits): the difference of two int64s may not fit, so it is checked.
        let (span, overflow) = Int(limit).subtractingReportingOverflow(Int(start))
        guard !overflow else { throw io.fail("limit \(limit) - start \(start) overflows") }
        let d = Int(delta)
        // Ceiling division with the sign of each.
        let (quotient, overflows) = span.dividedReportingOverflow(by: d)
        guard !overflows else { throw io.fail("(limit \(limit) - start \(start)) / delta \(delta) overflows") }
        let steps = quotient + (span % d != 0 && (span > 0) == (d > 0) ? 1 : 0)
        let count = Swift.max(steps, 0)
        let out = try ws.output(io, 0, type, [count], as: T.self)
        var v = start
        for i in 0..<count {
            out[i] = v
            // The step after the last may leave the type's range; it is never stored.
            v = v &+ delta
        }
    }
}
