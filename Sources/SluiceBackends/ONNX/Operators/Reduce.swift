import Foundation
import SluiceCore

/// The Reduce* family over the axes of an attribute (ReduceSum before opset 13, the others
/// before 18) or an optional int64 input (after), with keepdims and noop_with_empty_axes.
/// Sums run in Double and are rounded once; Max and Min compare in the element type.
/// Reducing an empty set gives the operation's identity (0, 1, -inf for Max and the logs,
/// +inf for Min), as ONNX's reference does.
struct ReduceKernel: Kernel {
    enum Operation: Sendable {
        case sum, mean, sumSquare, l1, l2, logSum, logSumExp, prod, max, min

        init?(op: String) {
            switch op {
            case "ReduceSum": self = .sum
            case "ReduceMean": self = .mean
            case "ReduceSumSquare": self = .sumSquare
            case "ReduceL1": self = .l1
            case "ReduceL2": self = .l2
            case "ReduceLogSum": self = .logSum
            case "ReduceLogSumExp": self = .logSumExp
            case "ReduceProd": self = .prod
            case "ReduceMax": self = .max
            case "ReduceMin": self = .min
            default: return nil
            }
        }
    }
    let operation: Operation
    let axes: [Int]?
    let keepDims: Bool
    let noopWithEmptyAxes: Bool
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        guard let operation = Operation(op: n.op) else { throw n.fail("not a reduction") }
        let axesAsInput = n.opset >= (operation == .sum ? 13 : 18)
        try n.requireInputs(axesAsInput ? 1...2 : 1...1)
        let t = try n.type(0, in: [.float, .double, .int64, .int32])
        if axesAsInput, n.has(1) { _ = try n.type(1, in: [.int64]) }
        let a = n.attributes
        let kernel = ReduceKernel(
            operation: operation, axes: axesAsInput ? nil : a.ints("axes"), keepDims: a.int("keepdims", default: 1) != 0,
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
        case .float:
            reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Float.self), extremes: (-.infinity, .infinity)) {
                Double($0)
            } back: { Float($0) }
        case .double:
            reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Double.self), extremes: (-.infinity, .infinity)) {
                $0
            } back: { $0 }
        case .int64:
            reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Int64.self), extremes: (.min, .max)) {
                Double($0)
            } back: { Int64(exactly: $0.rounded(.towardZero)) ?? .min }
        case .int32:
            reduce(x, kept, n, outCount, out.assumingMemoryBound(to: Int32.self), extremes: (.min, .max)) {
                Double($0)
            } back: { Int32(exactly: $0.rounded(.towardZero)) ?? .min }
        case .bool, .string: break
        }
    }

    private func reduce<T: Comparable>(
        _ x: Operand, _ kept: [Int], _ n: Int, _ outCount: Int, _ out: UnsafeMutablePointer<T>,
        extremes: (lowest: T, highest: T), _ widen: (T) -> Double, back: (Double) -> T
    ) {
        let src = x.pointer(T.self)
        switch operation {
        case .max, .min:
            // In the element type: int64 beyond 2^53 must not round. An empty set gives the
            // type's lowest value for Max and highest for Min (±inf for floats).
            let largest = operation == .max
            let identity = largest ? extremes.lowest : extremes.highest
            for k in 0..<outCount { out[k] = identity }
            walk(x, kept) { i, o in
                let v = src[i]
                // NaN propagates: a NaN replaces the best and nothing replaces a NaN.
                let best = out[o]
                if best != best { return }
                if v != v || (largest ? v > best : v < best) { out[o] = v }
            }
            return
        default: break
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(outCount, 1)) { sums in
            var largest: UnsafeMutableBufferPointer<Double>? = nil
            let start: Double = operation == .prod ? 1 : 0
            for i in 0..<outCount { sums[i] = start }
            switch operation {
            case .sum, .mean, .logSum: walk(x, kept) { i, o in sums[o] += widen(src[i]) }
            case .sumSquare, .l2: walk(x, kept) { i, o in let v = widen(src[i]); sums[o] += v * v }
            case .l1: walk(x, kept) { i, o in sums[o] += Swift.abs(widen(src[i])) }
            case .prod: walk(x, kept) { i, o in sums[o] *= widen(src[i]) }
            case .logSumExp:
                // Σ e^(x - max), so large inputs do not overflow; max of an empty set is -inf.
                let m = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(outCount, 1))
                for k in 0..<outCount { m[k] = -.infinity }
                walk(x, kept) { i, o in m[o] = Swift.max(m[o], widen(src[i])) }
                walk(x, kept) { i, o in
                    let v = widen(src[i]), top = m[o]
                    sums[o] += top.isInfinite ? Foundation.exp(v) : Foundation.exp(v - top)
                }
                largest = m
            case .max, .min: break
            }
            for k in 0..<outCount {
                let s = sums[k]
                let r: Double
                switch operation {
                case .mean: r = n > 0 ? s / Double(n) : .nan
                case .l2: r = s.squareRoot()
                case .logSum: r = Foundation.log(s)
                case .logSumExp:
                    let top = largest?[k] ?? 0
                    r = top.isInfinite ? Foundation.log(s) : top + Foundation.log(s)
                default: r = s
                }
                out[k] = back(r)
            }
            largest?.deallocate()
        }
    }

    /// Calls `body(i, o)` for every input element `i` in order with the output `o` it reduces
    /// into (through broadcast strides).
    @inline(__always)
    private func walk(_ x: Operand, _ kept: [Int], _ body: (Int, Int) -> Void) {
        var i = 0
        Broadcast.rows([kept], out: x.shape) { off, inner, length in
            var o = off[0]
            for j in 0..<length {
                body(i + j, o)
                o += inner[0]
            }
            i += length
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
