import SluiceCore

/// ReduceSum and ReduceMean over the axes of an attribute (ReduceSum before opset 13,
/// ReduceMean before 18) or an optional int64 input (after), with keepdims and
/// noop_with_empty_axes. Sums run in Double and are rounded once.
struct ReduceKernel: Kernel {
    let mean: Bool
    let axes: [Int]?
    let keepDims: Bool
    let noopWithEmptyAxes: Bool
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let mean = n.op == "ReduceMean"
        let axesAsInput = n.opset >= (mean ? 18 : 13)
        try n.requireInputs(axesAsInput ? 1...2 : 1...1)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        if axesAsInput, n.has(1) { _ = try n.type(1, in: [.int64]) }
        let a = n.attributes
        let kernel = ReduceKernel(
            mean: mean, axes: axesAsInput ? nil : a.ints("axes"), keepDims: a.int("keepdims", default: 1) != 0,
            noopWithEmptyAxes: axesAsInput && a.int("noop_with_empty_axes", default: 0) != 0, type: t)
        return Compiled(kernel: kernel, outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        let requested = axes ?? (ws.has(io, 1) ? ws.input(io, 1).integers() : [])
        if requested.isEmpty && noopWithEmptyAxes {
            try copyElements(ws.output(io, 0, type, x.shape), x.base, count: x.count, size: type.size)
            return
        }
        var reduced = Set<Int>()
        for axis in requested {
            guard let a = Axis.normalize(axis, rank: rank) else { throw io.fail("axis \(axis) is out of range for rank \(rank)") }
            reduced.insert(a)
        }
        if requested.isEmpty { reduced = Set(0..<rank) }
        let kept = (0..<rank).map { reduced.contains($0) ? 1 : x.shape[$0] }
        let shape = keepDims ? kept : (0..<rank).filter { !reduced.contains($0) }.map { x.shape[$0] }
        let outCount = kept.reduce(1, *)
        let n = reduced.reduce(1) { $0 * x.shape[$1] }
        let out = try ws.output(io, 0, type, shape)
        switch type {
        case .float: reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Float.self)) { Double($0) } back: { Float($0) }
        case .double: reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Double.self)) { $0 } back: { $0 }
        case .int64: reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Int64.self)) { Double($0) } back: { Int64(exactly: $0.rounded(.towardZero)) ?? .min }
        case .int32: reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Int32.self)) { Double($0) } back: { Int32(exactly: $0.rounded(.towardZero)) ?? .min }
        case .bool, .string: break
        }
    }

    private func reduce<T>(
        _ x: Operand, _ kept: [Int], _ n: Int, _ outCount: Int, _ out: UnsafeMutablePointer<T>,
        _ widen: (T) -> Double, back: (Double) -> T
    ) {
        let src = x.pointer(T.self)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(outCount, 1)) { sums in
            for i in 0..<outCount { sums[i] = 0 }
            // Walk the input in order; each element lands on its output through broadcast strides.
            var i = 0
            Broadcast.rows([kept], out: x.shape) { off, inner, length in
                var o = off[0]
                for j in 0..<length {
                    sums[o] += widen(src[i + j])
                    o += inner[0]
                }
                i += length
            }
            for k in 0..<outCount {
                out[k] = back(mean ? (n > 0 ? sums[k] / Double(n) : .nan) : sums[k])
            }
        }
    }
}

/// ArgMax along `axis` (keepdims, select_last_index), answering int64.
struct ArgMaxKernel: Kernel {
    let axis: Int
    let keepDims: Bool
    let last: Bool
    let type: ElementType
    /// ArgMin: the smallest instead.
    var smallest = false

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        let a = n.attributes
        let kernel = ArgMaxKernel(
            axis: a.int("axis", default: 0), keepDims: a.int("keepdims", default: 1) != 0,
            last: a.int("select_last_index", default: 0) != 0, type: t, smallest: n.op == "ArgMin")
        return Compiled(kernel: kernel, outputTypes: [.int64])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        var shape = x.shape
        if keepDims { shape[a] = 1 } else { shape.remove(at: a) }
        let out = try ws.output(io, 0, .int64, shape, as: Int64.self)
        switch type {
        case .float: argmax(x, a, out, Float.self)
        case .double: argmax(x, a, out, Double.self)
        case .int64: argmax(x, a, out, Int64.self)
        case .int32: argmax(x, a, out, Int32.self)
        case .bool, .string: break
        }
    }

    private func argmax<T: Comparable>(_ x: Operand, _ a: Int, _ out: UnsafeMutablePointer<Int64>, _: T.Type) {
        // `v > b || (last && v == b)` is `v >= b` (NaN fails both): one comparison, chosen here.
        switch (smallest, last) {
        case (false, false): scan(x, a, out, T.self) { $0 > $1 }
        case (false, true): scan(x, a, out, T.self) { $0 >= $1 }
        case (true, false): scan(x, a, out, T.self) { $0 < $1 }
        case (true, true): scan(x, a, out, T.self) { $0 <= $1 }
        }
    }

    /// The index of the first element along `a` that no later one `replaces`, the best value
    /// kept in a register.
    @inline(__always)
    private func scan<T: Comparable>(
        _ x: Operand, _ a: Int, _ out: UnsafeMutablePointer<Int64>, _: T.Type, replaces: (T, T) -> Bool
    ) {
        let outer = x.shape[..<a].reduce(1, *), length = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *)
        let src = x.pointer(T.self)
        guard length > 0 else { return }
        for o in 0..<outer {
            for i in 0..<inner {
                let line = src + (o * length * inner + i)
                var best = 0, bestValue = line[0]
                for j in 1..<length {
                    let v = line[j &* inner]
                    if replaces(v, bestValue) {
                        best = j
                        bestValue = v
                    }
                }
                out[o * inner + i] = Int64(best)
            }
        }
    }
}
