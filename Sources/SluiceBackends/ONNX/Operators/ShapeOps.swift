import SluiceCore

/// Reshape, Flatten, Squeeze and Unsqueeze: a copy under a new shape. The target comes from
/// attributes (older opsets) or an int64 input, constant or per request.
struct ReshapeKernel: Kernel {
    enum Rule: Sendable {
        /// `shape` (attribute) or input 1: 0 copies a dimension unless `allowZero`, -1 is inferred.
        case reshape(fixed: [Int]?, allowZero: Bool)
        case flatten(axis: Int)
        /// nil axes: every dimension of size 1 (Squeeze without axes).
        case squeeze(axes: [Int]?)
        case unsqueeze(axes: [Int]?)
    }
    let rule: Rule

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let t = try n.type(0)
        let a = n.attributes
        let rule: Rule
        switch n.op {
        case "Reshape":
            if n.opset < 5 {
                try n.requireInputs(1...1)
                a.ignore("consumed_inputs")
                guard let shape = a.ints("shape") else { throw n.fail("attribute 'shape' is required") }
                rule = .reshape(fixed: shape, allowZero: false)
            } else {
                try n.requireInputs(2...2)
                _ = try n.type(1, in: [.int64])
                rule = .reshape(fixed: nil, allowZero: a.int("allowzero", default: 0) != 0)
            }
        case "Flatten":
            try n.requireInputs(1...1)
            rule = .flatten(axis: a.int("axis", default: 1))
        case "Squeeze":
            if n.opset < 13 {
                try n.requireInputs(1...1)
                rule = .squeeze(axes: a.ints("axes"))
            } else {
                try n.requireInputs(1...2)
                if n.has(1) { _ = try n.type(1, in: [.int64]) }
                rule = .squeeze(axes: nil)
            }
        default:
            if n.opset < 13 {
                try n.requireInputs(1...1)
                guard let axes = a.ints("axes") else { throw n.fail("attribute 'axes' is required") }
                rule = .unsqueeze(axes: axes)
            } else {
                try n.requireInputs(2...2)
                _ = try n.type(1, in: [.int64])
                rule = .unsqueeze(axes: nil)
            }
        }
        return Compiled(kernel: ReshapeKernel(rule: rule), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let shape = try target(x.shape, io, ws)
        // A target beyond the limit is refused by `output`, naming the limit.
        if let count = Shape.count(shape, within: ws.limits.maxTensorElements), count != x.count {
            throw io.fail("cannot reshape \(x.shape) to \(shape)")
        }
        try copyElements(ws.output(io, 0, x.type, shape), x.base, count: x.count, size: x.type.size)
    }

    private func target(_ dims: [Int], _ io: NodeIO, _ ws: Workspace) throws(ServingError) -> [Int] {
        let rank = dims.count
        switch rule {
        case .reshape(let fixed, let allowZero):
            let requested = fixed ?? ws.input(io, 1).integers()
            var out: [Int] = []
            var inferred: Int?
            for (i, d) in requested.enumerated() {
                if d == -1 {
                    guard inferred == nil else { throw io.fail("shape \(requested) has more than one -1") }
                    inferred = i
                    out.append(1)
                } else if d == 0 && !allowZero {
                    guard i < rank else { throw io.fail("shape \(requested) copies dimension \(i) of \(dims)") }
                    out.append(dims[i])
                } else if d < 0 {
                    throw io.fail("shape \(requested) has a negative dimension")
                } else {
                    out.append(d)
                }
            }
            if let i = inferred {
                guard let known = Shape.count(out, within: ws.limits.maxTensorElements) else {
                    throw io.fail("cannot reshape \(dims) to \(requested)")
                }
                let total = dims.reduce(1, *)
                guard known > 0, total % known == 0 else { throw io.fail("cannot reshape \(dims) to \(requested)") }
                out[i] = total / known
            }
            return out
        case .flatten(let axis):
            guard let a = axis == rank ? rank : Axis.normalize(axis, rank: rank) else {
                throw io.fail("axis \(axis) is out of range for rank \(rank)")
            }
            return [dims[..<a].reduce(1, *), dims[a...].reduce(1, *)]
        case .squeeze(let fixed):
            let requested = fixed ?? (ws.has(io, 1) ? ws.input(io, 1).integers() : nil)
            guard let requested else { return dims.filter { $0 != 1 } }
            var drop = Set<Int>()
            for axis in requested {
                guard let a = Axis.normalize(axis, rank: rank), dims[a] == 1 else {
                    throw io.fail("cannot squeeze axis \(axis) of \(dims)")
                }
                drop.insert(a)
            }
            return dims.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        case .unsqueeze(let fixed):
            let requested = fixed ?? ws.input(io, 1).integers()
            let outRank = rank + requested.count
            var ones = Set<Int>()
            for axis in requested {
                guard let a = Axis.normalize(axis, rank: outRank), ones.insert(a).inserted else {
                    throw io.fail("invalid unsqueeze axes \(requested) for \(dims)")
                }
            }
            var out: [Int] = []
            var next = 0
            for i in 0..<outRank {
                if ones.contains(i) {
                    out.append(1)
                } else {
                    out.append(dims[next])
                    next += 1
                }
            }
            return out
        }
    }
}

/// Transpose by `perm` (reversed dimensions by default).
struct TransposeKernel: Kernel {
    let perm: [Int]?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let perm = n.attributes.ints("perm")
        if let perm, Set(perm) != Set(0..<perm.count) { throw n.fail("perm \(perm) is not a permutation") }
        return Compiled(kernel: TransposeKernel(perm: perm), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        let p = perm ?? Array((0..<rank).reversed())
        guard p.count == rank else { throw io.fail("perm \(p) does not fit rank \(rank)") }
        let strides = Axis.strides(x.shape)
        let shape = p.map { x.shape[$0] }
        let out = try ws.output(io, 0, x.type, shape)
        stridedCopy(x.base, offset: 0, strides: p.map { strides[$0] }, shape: shape, into: out, size: x.type.size)
    }
}

/// Concat along `axis`; all inputs share the element type and every other dimension.
struct ConcatKernel: Kernel {
    let axis: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        guard !n.inputTypes.isEmpty else { throw n.fail("needs at least one input") }
        let t = try n.type(0)
        for i in n.inputTypes.indices where try n.type(i) != t { throw n.fail("inputs have different types") }
        guard let axis = n.attributes.int("axis") ?? (n.opset < 4 ? 1 : nil) else {
            throw n.fail("attribute 'axis' is required")
        }
        return Compiled(kernel: ConcatKernel(axis: axis), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let first = ws.input(io, 0)
        let rank = first.rank
        guard let a = Axis.normalize(axis, rank: rank) else { throw io.fail("axis \(axis) is out of range for rank \(rank)") }
        var shape = first.shape
        shape[a] = 0
        for i in io.inputs.indices {
            let s = ws.input(io, i).shape
            guard s.count == rank, (0..<rank).allSatisfy({ $0 == a || s[$0] == first.shape[$0] }) else {
                throw io.fail("input \(i) has shape \(s), which does not fit \(first.shape) along axis \(a)")
            }
            shape[a] += s[a]
        }
        let size = first.type.size
        let out = try ws.output(io, 0, first.type, shape)
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        let row = shape[a] * inner
        var column = 0
        for i in io.inputs.indices {
            let x = ws.input(io, i)
            let block = x.shape[a] * inner
            for o in 0..<outer {
                copyElements(out + (o * row + column) * size, x.base + o * block * size, count: block, size: size)
            }
            column += block
        }
    }
}

/// Gather along `axis` with int64 or int32 indices (negative ones count from the end).
struct GatherKernel: Kernel {
    let axis: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64, .int32])
        return Compiled(kernel: GatherKernel(axis: n.attributes.int("axis", default: 0)), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1)
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        let dim = x.shape[a]
        let ids = indices.integers()
        let shape = Array(x.shape[..<a]) + indices.shape + Array(x.shape[(a + 1)...])
        let size = x.type.size
        let outer = x.shape[..<a].reduce(1, *)
        let inner = x.shape[(a + 1)...].reduce(1, *)
        for i in ids where i < -dim || i >= dim { throw io.fail("index \(i) is out of range for dimension \(dim)") }
        let out = try ws.output(io, 0, x.type, shape)
        var o = 0
        for outerIndex in 0..<outer {
            for i in ids {
                let j = i < 0 ? i + dim : i
                copyElements(out + o * size, x.base + ((outerIndex * dim + j) * inner) * size, count: inner, size: size)
                o += inner
            }
        }
    }
}

/// Slice with starts/ends/axes attributes (before opset 10) or inputs (starts, ends, axes,
/// steps; opset 10 on), clamped as the ONNX spec says: INT64_MAX and INT64_MIN are the usual
/// "to the end" and "to the start". A step must be nonzero and no longer than a dimension can
/// be (`limits.maxTensorElements`): such a step takes one element, and no model needs it; a
/// constant one fails the load, one from a request answers 400.
struct SliceKernel: Kernel {
    let fixed: (starts: [Int], ends: [Int], axes: [Int]?)?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let t = try n.type(0)
        if n.opset < 10 {
            try n.requireInputs(1...1)
            guard let starts = n.attributes.ints("starts"), let ends = n.attributes.ints("ends") else {
                throw n.fail("attributes 'starts' and 'ends' are required")
            }
            return Compiled(kernel: SliceKernel(fixed: (starts, ends, n.attributes.ints("axes"))), outputTypes: [t])
        }
        try n.requireInputs(3...5)
        // Starts and ends are read on every run; axes and steps may be absent.
        for i in 1..<n.inputTypes.count where i < 3 || n.has(i) { _ = try n.type(i, in: [.int64, .int32]) }
        if n.constants.count > 4, let steps = n.constants[4]?.integers, let bad = invalidStep(steps, n.limits) {
            throw n.fail(bad)
        }
        return Compiled(kernel: SliceKernel(fixed: nil), outputTypes: [t])
    }

    /// Why `steps` cannot be taken, or nil when each is nonzero and within the limit.
    static func invalidStep(_ steps: [Int], _ limits: ModelLimits) -> String? {
        let longest = limits.maxTensorElements
        guard let s = steps.first(where: { $0 == 0 || $0 > longest || $0 < -longest }) else { return nil }
        return s == 0
            ? "a step of 0"
            : "step \(s) is longer than a dimension may be (limits.max_model_tensor_elements is \(longest))"
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        let starts = fixed?.starts ?? ws.input(io, 1).integers()
        let ends = fixed?.ends ?? ws.input(io, 2).integers()
        let axes = (fixed == nil ? (ws.has(io, 3) ? ws.input(io, 3).integers() : nil) : fixed?.axes) ?? Array(0..<starts.count)
        let steps = fixed == nil && ws.has(io, 4) ? ws.input(io, 4).integers() : [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw io.fail("starts, ends, axes and steps differ in length")
        }
        if let bad = Self.invalidStep(steps, ws.limits) { throw io.fail(bad) }
        var begin = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var shape = x.shape
        var seen = Set<Int>()
        for k in starts.indices {
            guard let a = Axis.normalize(axes[k], rank: rank), seen.insert(a).inserted else {
                throw io.fail("axis \(axes[k]) is invalid or repeated for rank \(rank)")
            }
            // |s| and every dimension are within the limit (2^30 at most), so nothing below
            // overflows: starts and ends of any Int64 are clamped before they are added to.
            let dim = x.shape[a], s = steps[k]
            var st = min(max(starts[k], -dim - 1), dim + 1)
            var en = min(max(ends[k], -dim - 1), dim + 1)
            if st < 0 { st += dim }
            if en < 0 { en += dim }
            if s > 0 {
                st = min(max(st, 0), dim)
                en = min(max(en, 0), dim)
                shape[a] = en > st ? (en - st - 1) / s + 1 : 0
            } else {
                st = min(max(st, 0), dim - 1)
                en = min(max(en, -1), dim - 1)
                shape[a] = st > en ? (st - en - 1) / -s + 1 : 0
            }
            begin[a] = st
            step[a] = s
        }
        let strides = Axis.strides(x.shape)
        var offset = 0
        for a in 0..<rank where shape[a] > 0 { offset += begin[a] * strides[a] }
        let out = try ws.output(io, 0, x.type, shape)
        stridedCopy(x.base, offset: offset, strides: (0..<rank).map { strides[$0] * step[$0] }, shape: shape, into: out, size: x.type.size)
    }
}

/// Expand: broadcast the input to a shape given as an int64 input.
struct ExpandKernel: Kernel {
    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64])
        return Compiled(kernel: ExpandKernel(), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let requested = ws.input(io, 1).integers()
        guard requested.allSatisfy({ $0 >= 0 }), let shape = Broadcast.shape(x.shape, requested) else {
            throw io.fail("cannot expand \(x.shape) to \(requested)")
        }
        let out = try ws.output(io, 0, x.type, shape)
        stridedCopy(x.base, offset: 0, strides: Broadcast.strides(x.shape, to: shape), shape: shape, into: out, size: x.type.size)
    }
}
