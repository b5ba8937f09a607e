import SluiceCore

/// Index arithmetic and element moves shared by GatherElements, GatherND, ScatterElements and
/// ScatterND. Called inside kernels on the request's thread.
enum Indexing {
    /// `ids` made absolute (a negative index counts from the end of `dim`); throws naming the
    /// first index outside [-dim, dim).
    static func absolute(_ ids: [Int], within dim: Int, _ io: NodeIO) throws(ServingError) -> [Int] {
        if let bad = ids.first(where: { $0 < -dim || $0 >= dim }) {
            throw io.fail("index \(bad) is out of range for dimension \(dim)")
        }
        return ids.map { $0 < 0 ? $0 + dim : $0 }
    }

    /// The element offset `Σ ik·strides[k]` of every element of a row-major `shape`, in order.
    static func offsets(_ shape: [Int], strides: [Int]) -> [Int] {
        let total = shape.reduce(1, *)
        var result = [Int](repeating: 0, count: total)
        guard total > 0, !shape.isEmpty else { return result }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for i in 0..<total {
            result[i] = offset
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                offset += strides[k]
                if index[k] < shape[k] { break }
                offset -= strides[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
        return result
    }

    /// The offsets of `tuples` (each `dims.count` indices, flattened, checked against `dims`)
    /// into a tensor of `strides`: GatherND's and ScatterND's index tuples.
    static func tupleOffsets(
        _ indices: Operand, dims: ArraySlice<Int>, strides: ArraySlice<Int>, _ io: NodeIO
    ) throws(ServingError) -> [Int] {
        let k = dims.count
        // Tuples of no indices each name the whole tensor.
        guard k > 0 else { return Array(repeating: 0, count: indices.shape.dropLast().reduce(1, *)) }
        let tuples = indices.integers()
        var result: [Int] = []
        result.reserveCapacity(tuples.count / k)
        var t = 0
        while t < tuples.count {
            var offset = 0
            for (j, (dim, stride)) in zip(dims, strides).enumerated() {
                let i = tuples[t + j]
                guard i >= -dim, i < dim else { throw io.fail("index \(i) is out of range for dimension \(dim)") }
                offset += (i < 0 ? i + dim : i) * stride
            }
            result.append(offset)
            t += k
        }
        return result
    }

    /// `dst[i·block ..< (i+1)·block] = src[from[i] ..< from[i] + block]` for each i.
    static func gather(_ src: UnsafeRawPointer, from: [Int], block: Int, into dst: UnsafeMutableRawPointer, size: Int) {
        guard block == 1 else {
            for (i, f) in from.enumerated() { copyElements(dst + i * block * size, src + f * size, count: block, size: size) }
            return
        }
        switch size {
        case 1: gather(src, from, dst, UInt8.self)
        case 4: gather(src, from, dst, UInt32.self)
        default: gather(src, from, dst, UInt64.self)
        }
    }

    private static func gather<T>(_ src: UnsafeRawPointer, _ from: [Int], _ dst: UnsafeMutableRawPointer, _: T.Type) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        for (i, f) in from.enumerated() { d[i] = s[f] }
    }

    /// How ScatterElements and ScatterND combine an update with the element it lands on
    /// (`reduction`, opset 16 on; max and min from 18).
    enum Reduction: String, Sendable { case none, add, mul, max, min }

    static func reduction(_ n: NodeInfo, _ t: ElementType) throws(ServingError) -> Reduction {
        let name = n.attributes.string("reduction") ?? "none"
        guard let r = Reduction(rawValue: name) else { throw n.fail("reduction '\(name)' is not supported (none, add, mul, max, min)") }
        if r != .none && t == .bool { throw n.fail("reduction '\(name)' on bool elements is not supported") }
        return r
    }

    /// For each i, combines `updates[i·block ..< (i+1)·block]` into `out` from `to[i]` on, in
    /// order (later duplicates win, or accumulate under a reduction).
    static func scatter(
        _ updates: UnsafeRawPointer, to: [Int], block: Int, into out: UnsafeMutableRawPointer, _ type: ElementType,
        _ reduction: Reduction
    ) {
        // Integer sums and products wrap, as everywhere else here: a request cannot trap.
        switch type {
        case .float: scatter(updates, to, block, out, reduction, Float.self, +, *)
        case .double: scatter(updates, to, block, out, reduction, Double.self, +, *)
        case .int64: scatter(updates, to, block, out, reduction, Int64.self, &+, &*)
        case .int32: scatter(updates, to, block, out, reduction, Int32.self, &+, &*)
        case .bool: for (i, t) in to.enumerated() { copyElements(out + t, updates + i * block, count: block, size: 1) }
        case .string: break  // refused at load
        }
    }

    private static func scatter<T: Comparable>(
        _ updates: UnsafeRawPointer, _ to: [Int], _ block: Int, _ raw: UnsafeMutableRawPointer, _ reduction: Reduction, _: T.Type,
        _ add: (T, T) -> T, _ multiply: (T, T) -> T
    ) {
        let u = updates.assumingMemoryBound(to: T.self), out = raw.assumingMemoryBound(to: T.self)
        for (i, t) in to.enumerated() {
            let (src, dst) = (u + i * block, out + t)
            switch reduction {
            case .none: dst.update(from: src, count: block)
            case .add: for j in 0..<block { dst[j] = add(dst[j], src[j]) }
            case .mul: for j in 0..<block { dst[j] = multiply(dst[j], src[j]) }
            case .max: for j in 0..<block { dst[j] = Swift.max(dst[j], src[j]) }
            case .min: for j in 0..<block { dst[j] = Swift.min(dst[j], src[j]) }
            }
        }
    }
}

extension Indexing {
    /// The element offsets into `x` that GatherElements reads and ScatterElements writes.
    static func elementOffsets(_ x: Operand, _ indices: Operand, axis: Int, _ io: NodeIO) throws(ServingError) -> [Int] {
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        guard indices.rank == x.rank, (0..<x.rank).allSatisfy({ $0 == a || indices.shape[$0] <= x.shape[$0] }) else {
            throw io.fail("indices \(indices.shape) do not fit data \(x.shape) along axis \(a)")
        }
        let ids = try Indexing.absolute(indices.integers(), within: x.shape[a], io)
        let strides = Axis.strides(x.shape)
        var along = strides
        along[a] = 0
        var offsets = Indexing.offsets(indices.shape, strides: along)
        for i in offsets.indices { offsets[i] += ids[i] * strides[a] }
        return offsets
    }
}

/// GatherElements: `out[i…] = data[i…]` with the index along `axis` taken from `indices`.
struct GatherElementsKernel: Kernel {
    let axis: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64, .int32])
        return Compiled(kernel: GatherElementsKernel(axis: n.attributes.int("axis", default: 0)), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1)
        let from = try Indexing.elementOffsets(x, indices, axis: axis, io)
        let out = try ws.output(io, 0, x.type, indices.shape)
        Indexing.gather(x.base, from: from, block: 1, into: out, size: x.type.size)
    }
}

/// ScatterElements (and Scatter, its name before opset 11): a copy of `data` with each update
/// written where GatherElements would read it, combined by `reduction`.
struct ScatterElementsKernel: Kernel {
    let axis: Int
    let reduction: Indexing.Reduction

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        let t = try n.type(0, in: ElementType.numbersAndBool)
        _ = try n.type(1, in: [.int64, .int32])
        guard try n.type(2) == t else { throw n.fail("updates are \(try n.type(2)), data \(t)") }
        let kernel = ScatterElementsKernel(axis: n.attributes.int("axis", default: 0), reduction: try Indexing.reduction(n, t))
        return Compiled(kernel: kernel, outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1), updates = ws.input(io, 2)
        guard updates.shape == indices.shape else { throw io.fail("updates \(updates.shape) differ from indices \(indices.shape)") }
        let to = try Indexing.elementOffsets(x, indices, axis: axis, io)
        let out = try ws.output(io, 0, x.type, x.shape)
        copyElements(out, x.base, count: x.count, size: x.type.size)
        Indexing.scatter(updates.base, to: to, block: 1, into: out, x.type, reduction)
    }
}

/// GatherND (opset 11; `batch_dims` from 12): slices of `data` picked by index tuples, the
/// last dimension of `indices`, after `batch_dims` leading dimensions both share.
struct GatherNDKernel: Kernel {
    let batchDims: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64, .int32])
        let b = n.attributes.int("batch_dims", default: 0)
        guard b >= 0 else { throw n.fail("batch_dims \(b) is negative") }
        return Compiled(kernel: GatherNDKernel(batchDims: b), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1)
        let b = batchDims
        guard let k = indices.shape.last, b < indices.rank, b + k <= x.rank, k >= 1,
            Array(indices.shape[..<b]) == Array(x.shape[..<b])
        else {
            throw io.fail("indices \(indices.shape) do not fit data \(x.shape) with batch_dims \(b)")
        }
        let strides = Axis.strides(x.shape)
        let batches = x.shape[..<b].reduce(1, *)
        let batchSize = x.shape[b...].reduce(1, *)
        let block = x.shape[(b + k)...].reduce(1, *)
        var from = try Indexing.tupleOffsets(indices, dims: x.shape[b..<(b + k)], strides: strides[b..<(b + k)], io)
        let perBatch = from.count / max(batches, 1)
        for i in from.indices { from[i] += (i / max(perBatch, 1)) * batchSize }
        let shape = Array(x.shape[..<b]) + Array(indices.shape[b..<(indices.rank - 1)]) + Array(x.shape[(b + k)...])
        let out = try ws.output(io, 0, x.type, shape)
        Indexing.gather(x.base, from: from, block: block, into: out, size: x.type.size)
    }
}

/// ScatterND: a copy of `data` with the slices that index tuples (the last dimension of
/// `indices`) name replaced by, or combined (`reduction`) with, `updates`.
struct ScatterNDKernel: Kernel {
    let reduction: Indexing.Reduction

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        let t = try n.type(0, in: ElementType.numbersAndBool)
        _ = try n.type(1, in: [.int64])
        guard try n.type(2) == t else { throw n.fail("updates are \(try n.type(2)), data \(t)") }
        return Compiled(kernel: ScatterNDKernel(reduction: try Indexing.reduction(n, t)), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1), updates = ws.input(io, 2)
        guard let k = indices.shape.last, k <= x.rank,
            updates.shape == Array(indices.shape.dropLast()) + Array(x.shape[k...])
        else {
            throw io.fail("indices \(indices.shape) and updates \(updates.shape) do not fit data \(x.shape)")
        }
        let strides = Axis.strides(x.shape)
        let block = x.shape[k...].reduce(1, *)
        let to = try Indexing.tupleOffsets(indices, dims: x.shape[..<k], strides: strides[..<k], io)
        let out = try ws.output(io, 0, x.type, x.shape)
        copyElements(out, x.base, count: x.count, size: x.type.size)
        guard block > 0 else { return }
        Indexing.scatter(updates.base, to: to, block: block, into: out, x.type, reduction)
    }
}

/// OneHot (opset 9, 11): `values[1]` where an index (negative ones count from the end of
/// `depth`) meets its position along the new `axis`, `values[0]` elsewhere. The depth comes
/// with the request or the model and is bounded by `limits.maxTensorElements` before use.
struct OneHotKernel: Kernel {
    let axis: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        let numbers: [ElementType] = [.float, .double, .int64, .int32]
        _ = try n.type(0, in: numbers)
        _ = try n.type(1, in: numbers)
        return Compiled(kernel: OneHotKernel(axis: n.attributes.int("axis", default: -1)), outputTypes: [try n.type(2, in: ElementType.numbersAndBool)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let indices = ws.input(io, 0), values = ws.input(io, 2)
        let longest = ws.limits.maxTensorElements
        guard let d = ws.input(io, 1).scalar(), d.isFinite, d >= 1, d <= Double(longest) else {
            throw io.fail("depth must be a number from 1 to \(longest) (limits.max_model_tensor_elements)")
        }
        let depth = Int(d)
        guard values.count == 2 else { throw io.fail("values has \(values.count) elements instead of 2 (off, on)") }
        let rank = indices.rank + 1
        guard let a = Axis.normalize(axis, rank: rank) else { throw io.fail("axis \(axis) is out of range for rank \(rank)") }
        var shape = indices.shape
        shape.insert(depth, at: a)
        let size = values.type.size
        let out = try ws.output(io, 0, values.type, shape)
        let total = shape.reduce(1, *)
        for i in 0..<total { copyElements(out + i * size, values.base, count: 1, size: size) }
        let inner = indices.shape[a...].reduce(1, *)
        for (p, index) in positions(indices).enumerated() {
            guard let index, index >= -depth, index < depth else { continue }
            let o = p / inner, i = p % inner
            copyElements(out + ((o * depth + (index < 0 ? index + depth : index)) * inner + i) * size, values.base + size, count: 1, size: size)
        }
    }

    /// The indices as Ints; a float index that is NaN or beyond Int is nil (it matches no position).
    private func positions(_ x: Operand) -> [Int?] {
        switch x.type {
        case .float: x.buffer(Float.self).map { Int(exactly: $0.rounded(.towardZero)) }
        case .double: x.buffer(Double.self).map { Int(exactly: $0.rounded(.towardZero)) }
        default: x.integers().map { Optional($0) }
        }
    }
}

/// NonZero: the int64 coordinates [rank, count] of the nonzero elements, in row-major order
/// (a scalar reads as one element of rank 1, as numpy's nonzero does).
struct NonZeroKernel: Kernel {
    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: ElementType.numbersAndBool)
        return Compiled(kernel: NonZeroKernel(), outputTypes: [.int64])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let dims = x.rank == 0 ? [1] : x.shape
        let found: [Int]
        switch x.type {
        case .float: found = Self.nonzero(x.buffer(Float.self))
        case .double: found = Self.nonzero(x.buffer(Double.self))
        case .int64: found = Self.nonzero(x.buffer(Int64.self))
        case .int32: found = Self.nonzero(x.buffer(Int32.self))
        case .bool: found = Self.nonzero(x.buffer(UInt8.self))
        case .string: return  // refused at load
        }
        let out = try ws.output(io, 0, .int64, [dims.count, found.count], as: Int64.self)
        let strides = Axis.strides(dims)
        for (j, flat) in found.enumerated() {
            var rest = flat
            for k in dims.indices {
                out[k * found.count + j] = Int64(rest / strides[k])
                rest %= strides[k]
            }
        }
    }

    /// Positions of the elements that are not 0 (NaN is not 0, as in numpy).
    private static func nonzero<T: Equatable & ExpressibleByIntegerLiteral>(_ b: UnsafeBufferPointer<T>) -> [Int] {
        b.indices.filter { b[$0] != 0 }
    }
}
