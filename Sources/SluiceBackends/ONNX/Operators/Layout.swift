import SluiceCore

/// Split along `axis` into the node's outputs: lengths from the `split` attribute (before
/// opset 13) or input (13 on), else equal parts; from opset 18 `num_outputs` names the count
/// and the last part may be shorter.
struct SplitKernel: Kernel {
    let axis: Int
    let fixed: [Int]?
    let parts: Int
    let uneven: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...2)
        let t = try n.type(0)
        if n.has(1) { _ = try n.type(1, in: [.int64]) }
        let a = n.attributes
        let fixed = n.opset < 13 ? a.ints("split") : nil
        if let fixed, fixed.count != n.outputCount { throw n.fail("split \(fixed) does not give \(n.outputCount) outputs") }
        if n.opset >= 18, let count = a.int("num_outputs"), count != n.outputCount {
            throw n.fail("num_outputs \(count) differs from the node's \(n.outputCount) outputs")
        }
        guard n.outputCount >= 1 else { throw n.fail("has no outputs") }
        let kernel = SplitKernel(axis: a.int("axis", default: 0), fixed: fixed, parts: n.outputCount, uneven: n.opset >= 18)
        return Compiled(kernel: kernel, outputTypes: Array(repeating: t, count: n.outputCount), requiredOutputs: 0)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        let dim = x.shape[a]
        let lengths = try self.lengths(dim, io, ws)
        let size = x.type.size
        let outer = x.shape[..<a].reduce(1, *)
        let inner = x.shape[(a + 1)...].reduce(1, *)
        var start = 0
        for (k, length) in lengths.enumerated() {
            defer { start += length }
            guard ws.wants(io, k) else { continue }
            var shape = x.shape
            shape[a] = length
            let out = try ws.output(io, k, x.type, shape)
            let block = length * inner
            for o in 0..<outer {
                copyElements(out + o * block * size, x.base + (o * dim + start) * inner * size, count: block, size: size)
            }
        }
    }

    private func lengths(_ dim: Int, _ io: NodeIO, _ ws: Workspace) throws(ServingError) -> [Int] {
        if let given = fixed ?? (ws.has(io, 1) ? ws.input(io, 1).integers() : nil) {
            // Each part is checked against `dim` before the sum, which then cannot overflow.
            guard given.count == parts, given.allSatisfy({ $0 >= 0 && $0 <= dim }), given.reduce(0, +) == dim else {
                throw io.fail("split \(given) does not divide a dimension of \(dim) into \(parts) parts")
            }
            return given
        }
        if dim % parts == 0 { return Array(repeating: dim / parts, count: parts) }
        let chunk = (dim + parts - 1) / parts
        guard uneven, dim - chunk * (parts - 1) >= 0 else {
            throw io.fail("a dimension of \(dim) does not split into \(parts) equal parts")
        }
        return Array(repeating: chunk, count: parts - 1) + [dim - chunk * (parts - 1)]
    }
}

/// Pad in mode constant, reflect, edge or wrap (opset 19). Before opset 11 the pads and the
/// value are attributes; from 11 the pads, the value and (opset 18) the axes are inputs.
/// Negative pads crop. Each pad is bounded by `limits.maxTensorElements` before it is added.
struct PadKernel: Kernel {
    enum Mode: String, Sendable { case constant, reflect, edge, wrap }
    let mode: Mode
    /// Before opset 11: the pads and the fill value (as FP32 or FP64 bits).
    let fixed: (pads: [Int], value: Double)?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let a = n.attributes
        let name = a.string("mode") ?? "constant"
        guard let mode = Mode(rawValue: name), mode != .wrap || n.opset >= 19 else {
            throw n.fail("mode '\(name)' is not supported (constant, reflect, edge, wrap)")
        }
        if n.opset < 11 {
            try n.requireInputs(1...1)
            let t = try n.type(0, in: [.float, .double])
            guard let pads = a.ints("pads") else { throw n.fail("attribute 'pads' is required") }
            let value = Double(a.float("value", default: 0))
            return Compiled(kernel: PadKernel(mode: mode, fixed: (pads, value)), outputTypes: [t])
        }
        try n.requireInputs(2...4)
        let t = try n.type(0, in: ElementType.numbersAndBool)
        _ = try n.type(1, in: [.int64])
        if n.has(2), try n.type(2) != t { throw n.fail("constant_value's type \(try n.type(2)) is not the input's \(t)") }
        if n.has(3) { _ = try n.type(3, in: [.int64, .int32]) }
        return Compiled(kernel: PadKernel(mode: mode, fixed: nil), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        let pads = fixed?.pads ?? ws.input(io, 1).integers()
        var axes = Array(0..<rank)
        if fixed == nil, ws.has(io, 3) {
            let given = ws.input(io, 3).integers()
            axes = []
            for axis in given {
                guard let a = Axis.normalize(axis, rank: rank), !axes.contains(a) else {
                    throw io.fail("axes \(given) are invalid or repeated for rank \(rank)")
                }
                axes.append(a)
            }
        }
        guard pads.count == 2 * axes.count else { throw io.fail("\(pads.count) pads for \(axes.count) axes") }
        let longest = ws.limits.maxTensorElements
        var begin = [Int](repeating: 0, count: rank), shape = x.shape
        for (k, a) in axes.enumerated() {
            let (b, e) = (pads[k], pads[k + axes.count])
            // Int64.min has no absolute value: compare both ends, never `abs`.
            guard (-longest...longest).contains(b), (-longest...longest).contains(e) else {
                throw io.fail("pad \((-longest...longest).contains(b) ? e : b) is longer than a dimension may be (limits.max_model_tensor_elements is \(longest))")
            }
            begin[a] = b
            shape[a] = x.shape[a] + b + e
            guard shape[a] >= 0 else { throw io.fail("pads \(pads) crop more than dimension \(a) of \(x.shape) holds") }
            if mode != .constant, x.shape[a] == 0, shape[a] > 0 {
                throw io.fail("cannot pad an empty dimension in mode \(mode.rawValue)")
            }
        }
        var fill: UInt64 = 0
        if let value = fixed?.value {
            fill = x.type == .double ? value.bitPattern : UInt64(Float(value).bitPattern)
        } else if ws.has(io, 2) {
            let c = ws.input(io, 2)
            if c.count > 0 {
                withUnsafeMutableBytes(of: &fill) { raw in
                    if let p = raw.baseAddress { p.copyMemory(from: c.base, byteCount: c.type.size) }
                }
            }
        }
        let out = try ws.output(io, 0, x.type, shape)
        guard shape.allSatisfy({ $0 > 0 }) else { return }
        // Per axis, the source index of each output index (-1: the fill value).
        let maps = (0..<rank).map { a in (0..<shape[a]).map { source($0 - begin[a], x.shape[a]) } }
        switch x.type.size {
        case 1: fillPadded(x, maps, shape, out, UInt8(truncatingIfNeeded: fill))
        case 4: fillPadded(x, maps, shape, out, UInt32(truncatingIfNeeded: fill))
        default: fillPadded(x, maps, shape, out, fill)
        }
    }

    /// Where output index `i - begin` along an axis of `d` elements reads, or -1 for the fill.
    private func source(_ i: Int, _ d: Int) -> Int {
        if i >= 0 && i < d { return i }
        switch mode {
        case .constant: return -1
        case .edge: return i < 0 ? 0 : d - 1
        case .wrap: return (i % d + d) % d
        case .reflect:
            guard d > 1 else { return 0 }
            let period = 2 * (d - 1)
            let m = (i % period + period) % period
            return m < d ? m : period - m
        }
    }

    private func fillPadded<T>(_ x: Operand, _ maps: [[Int]], _ shape: [Int], _ raw: UnsafeMutableRawPointer, _ fill: T) {
        let src = x.pointer(T.self), out = raw.assumingMemoryBound(to: T.self)
        let rank = shape.count
        guard rank > 0 else {
            out[0] = src[0]
            return
        }
        let strides = Axis.strides(x.shape)
        let last = maps[rank - 1], length = shape[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var o = 0
        for _ in 0..<(shape.reduce(1, *) / length) {
            var base = 0, inside = true
            for k in 0..<(rank - 1) {
                let s = maps[k][index[k]]
                if s < 0 { inside = false }
                base += s * strides[k]
            }
            for j in 0..<length {
                let s = last[j]
                out[o + j] = inside && s >= 0 ? src[base + s] : fill
            }
            o += length
            var k = rank - 2
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
    }
}

/// Tile: the input repeated `repeats[k]` times along each axis. Read as the shape
/// [r0, d0, r1, d1, …] with stride 0 along each repeat, it is one strided copy.
struct TileKernel: Kernel {
    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64])
        return Compiled(kernel: TileKernel(), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let repeats = ws.input(io, 1).integers()
        guard repeats.count == x.rank else { throw io.fail("\(repeats.count) repeats for rank \(x.rank)") }
        // Each repeat within the limit keeps each product below 2^60; `output` bounds the whole.
        let longest = ws.limits.maxTensorElements
        guard repeats.allSatisfy({ $0 >= 0 && $0 <= longest }) else {
            throw io.fail("repeats \(repeats) must be between 0 and \(longest) (limits.max_model_tensor_elements)")
        }
        let strides = Axis.strides(x.shape)
        let out = try ws.output(io, 0, x.type, zip(x.shape, repeats).map { $0 * $1 })
        let interleaved = zip(repeats, x.shape).flatMap { [$0, $1] }
        let steps = strides.flatMap { [0, $0] }
        stridedCopy(x.base, offset: 0, strides: steps, shape: interleaved, into: out, size: x.type.size)
    }
}

/// Trilu (opset 14): the upper (default) or lower triangle of the last two dimensions from
/// diagonal `k` (an optional int64 input), the rest 0.
struct TriluKernel: Kernel {
    let upper: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...2)
        if n.has(1) { _ = try n.type(1, in: [.int64]) }
        return Compiled(
            kernel: TriluKernel(upper: n.attributes.int("upper", default: 1) != 0),
            outputTypes: [try n.type(0, in: ElementType.numbersAndBool)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank >= 2 else { throw io.fail("input \(x.shape) has fewer than 2 dimensions") }
        let rows = x.shape[x.rank - 2], columns = x.shape[x.rank - 1]
        // A diagonal beyond either side keeps all or nothing; clamped, `j - k` cannot overflow.
        let requested = ws.has(io, 1) ? (ws.input(io, 1).integers().first ?? 0) : 0
        let k = min(max(requested, -rows - 1), columns + 1)
        let size = x.type.size
        let out = try ws.output(io, 0, x.type, x.shape)
        copyElements(out, x.base, count: x.count, size: size)
        guard rows > 0, columns > 0 else { return }
        for m in 0..<(x.count / (rows * columns)) {
            for i in 0..<rows {
                let row = out + (m * rows + i) * columns * size
                // Kept columns: j ≥ i + k (upper) or j ≤ i + k (lower); the others are zeroed.
                let edge = min(max(i + k, 0), columns)
                if upper {
                    row.initializeMemory(as: UInt8.self, repeating: 0, count: edge * size)
                } else {
                    let from = min(max(i + k + 1, 0), columns)
                    (row + from * size).initializeMemory(as: UInt8.self, repeating: 0, count: (columns - from) * size)
                }
            }
        }
    }
}

/// Size: the input's element count as an int64 scalar.
struct SizeKernel: Kernel {
    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0)
        return Compiled(kernel: SizeKernel(), outputTypes: [.int64])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let count = ws.input(io, 0).count
        try ws.output(io, 0, .int64, [], as: Int64.self)[0] = Int64(count)
    }
}

/// DepthToSpace (modes DCR, the default, and CRD) and SpaceToDepth on [N, C, H, W]: each is a
/// reshape to six dimensions, a transpose and a reshape back, so one strided copy.
struct BlockShuffleKernel: Kernel {
    let toSpace: Bool
    let columnRowDepth: Bool
    let block: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        guard let block = n.attributes.int("blocksize") else { throw n.fail("attribute 'blocksize' is required") }
        // Within the limit, block² cannot overflow.
        guard block >= 1, block <= n.limits.maxTensorElements else { throw n.fail("blocksize \(block) is out of range") }
        let toSpace = n.op == "DepthToSpace"
        let mode = toSpace ? n.attributes.string("mode") ?? "DCR" : "DCR"
        guard mode == "DCR" || mode == "CRD" else { throw n.fail("mode '\(mode)' is not DCR or CRD") }
        let kernel = BlockShuffleKernel(toSpace: toSpace, columnRowDepth: mode == "CRD", block: block)
        return Compiled(kernel: kernel, outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank == 4 else { throw io.fail("input \(x.shape) is not [N, C, H, W]") }
        let (n, c, h, w, b) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], block)
        let view: [Int], perm: [Int], shape: [Int]
        if toSpace {
            guard c % (b * b) == 0 else { throw io.fail("\(c) channels do not divide into blocks of \(b)×\(b)") }
            let d = c / (b * b)
            view = columnRowDepth ? [n, d, b, b, h, w] : [n, b, b, d, h, w]
            perm = columnRowDepth ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2]
            shape = [n, d, h * b, w * b]
        } else {
            guard h % b == 0, w % b == 0 else { throw io.fail("\(h)×\(w) does not divide into blocks of \(b)×\(b)") }
            // An empty image divides by any block, so C·b² may be beyond any size (b² cannot be).
            let (depth, overflow) = c.multipliedReportingOverflow(by: b * b)
            guard !overflow else { throw io.fail("\(c) channels in blocks of \(b)×\(b) are beyond any tensor size") }
            view = [n, c, h / b, b, w / b, b]
            perm = [0, 3, 5, 1, 2, 4]
            shape = [n, depth, h / b, w / b]
        }
        let out = try ws.output(io, 0, x.type, shape)
        let strides = Axis.strides(view)
        stridedCopy(x.base, offset: 0, strides: perm.map { strides[$0] }, shape: perm.map { view[$0] }, into: out, size: x.type.size)
    }
}
