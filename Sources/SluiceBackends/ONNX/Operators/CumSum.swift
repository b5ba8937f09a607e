import SluiceCore

/// CumSum along the axis given as a scalar input (int32 or int64), with `exclusive` (each sum
/// leaves out its own element) and `reverse` (summing from the end). Float and double sums
/// run in the element type, in order, as onnxruntime's do; integers wrap as theirs do.
struct CumSumKernel: Kernel {
    let exclusive: Bool
    let reverse: Bool
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0, in: [.float, .double, .int32, .int64])
        _ = try n.type(1, in: [.int32, .int64])
        let a = n.attributes
        let kernel = CumSumKernel(
            exclusive: a.int("exclusive", default: 0) != 0, reverse: a.int("reverse", default: 0) != 0, type: t)
        return Compiled(kernel: kernel, outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), axisInput = ws.input(io, 1)
        guard axisInput.count == 1, let axis = axisInput.integers().first else {
            throw io.fail("axis \(axisInput.shape) must be a scalar")
        }
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        let out = try ws.output(io, 0, type, x.shape)
        let outer = x.shape[..<a].reduce(1, *), length = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *)
        switch type {
        case .float: scan(x.pointer(Float.self), out.assumingMemoryBound(to: Float.self), outer, length, inner) { $0 + $1 }
        case .double: scan(x.pointer(Double.self), out.assumingMemoryBound(to: Double.self), outer, length, inner) { $0 + $1 }
        case .int32: scan(x.pointer(Int32.self), out.assumingMemoryBound(to: Int32.self), outer, length, inner) { $0 &+ $1 }
        case .int64: scan(x.pointer(Int64.self), out.assumingMemoryBound(to: Int64.self), outer, length, inner) { $0 &+ $1 }
        case .bool, .string: break
        }
    }

    /// One running sum per (outer, inner) pair, stepping `inner` apart; the inner index is the
    /// innermost loop, so the contiguous case adds whole rows.
    private func scan<T: Numeric>(
        _ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ outer: Int, _ length: Int, _ inner: Int,
        _ add: (T, T) -> T
    ) {
        for o in 0..<outer {
            let base = o * length * inner
            var previous = -1
            for step in 0..<length {
                let j = reverse ? length - 1 - step : step
                let row = base + j * inner
                if previous < 0 {
                    for i in 0..<inner { out[row + i] = exclusive ? 0 : src[row + i] }
                } else {
                    let before = base + previous * inner
                    for i in 0..<inner { out[row + i] = add(out[before + i], exclusive ? src[before + i] : src[row + i]) }
                }
                previous = j
            }
        }
    }
}
