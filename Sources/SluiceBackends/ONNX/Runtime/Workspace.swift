import SluiceCore
import Synchronization

/// One request's view of every value in the graph: shape, element type and where its elements
/// are. Constants point at their shared buffers; intermediate values at the workspace's own
/// buffers, which the plan lets values with disjoint lifetimes share.
///
/// Every shape it holds passed `Shape.count(_:within:)` against the model's
/// `limits.maxTensorElements` (at most 2^30): constants when the model loaded, inputs and
/// outputs in `write` and `refer`. So a kernel may multiply the dimensions of any value it reads
/// (outer and inner sizes, strides, planes) without overflow; a product across values that
/// sizes new memory (Conv's patch matrix) is checked where it is formed.
///
/// Used by one request at a time (taken from and returned to a `WorkspacePool`), so kernels
/// write into it without locks. `@unchecked Sendable` because it moves between threads only
/// through the pool's lock.
final class Workspace: @unchecked Sendable {
    var shapes: [[Int]]
    var types: [ElementType]
    var counts: [Int]
    var bases: [UnsafeMutableRawPointer]
    let buffers: [Buffer]
    /// Per-kernel temporary space (Conv's im2col matrix): kernels run one at a time, so one
    /// buffer serves them all.
    let scratch = Buffer()
    /// Value id → buffer id, -1 for constants.
    let bufferOf: [Int]
    let limits: ModelLimits
    /// The bytes of STRING elements: index i < `constantStrings.count` is the plan's (its
    /// constants'), index `constantStrings.count + k` is `strings[k]`, made by this request
    /// (its inputs, Cast, StringNormalizer, ...) and dropped when the next one starts.
    let constantStrings: [[UInt8]]
    var strings: [[UInt8]] = []
    /// Storage an answer being built lends to graph outputs (`lend`), written in place of the
    /// value's buffer when it fits. Empty unless `ONNXBackend.infer` is running the graph.
    private var lent: [(value: Int, base: UnsafeMutableRawPointer, bytes: Int)] = []
    /// Element counts of the previous request's graph outputs, by output index, which size the
    /// storage the next answer lends (`ONNXBackend.lendingCapacity`); 0 before any.
    var answerCounts: [Int]

    init(plan: ExecutionPlan) {
        limits = plan.limits
        let n = plan.valueCount
        shapes = Array(repeating: [], count: n)
        types = Array(repeating: .float, count: n)
        counts = Array(repeating: 0, count: n)
        buffers = (0..<plan.bufferCount).map { _ in Buffer() }
        bufferOf = plan.bufferOf
        constantStrings = plan.strings
        bases = Array(repeating: ExecutionPlan.emptyBase, count: n)
        answerCounts = Array(repeating: 0, count: plan.outputs.count)
        for (id, constant) in plan.constants {
            shapes[id] = constant.shape
            types[id] = constant.type
            counts[id] = constant.count
            bases[id] = constant.buffer.pointer
        }
    }

    /// Input `i` of a node. The plan guarantees it was written (or is a constant).
    @inline(__always)
    func input(_ io: NodeIO, _ i: Int) -> Operand {
        let v = io.inputs[i]
        return Operand(shape: shapes[v], type: types[v], count: counts[v], base: UnsafeRawPointer(bases[v]))
    }

    /// Whether the node was given input `i` (optional inputs may be absent or named "").
    @inline(__always)
    func has(_ io: NodeIO, _ i: Int) -> Bool { i < io.inputs.count && io.inputs[i] >= 0 }

    /// Sets output `i`'s shape and type and returns room for its elements. Throws, naming the
    /// node, for a shape beyond the model's limit (a request that asks Expand for a billion
    /// elements, or a Conv whose pads would take 160 GB).
    @inline(__always)
    func output(_ io: NodeIO, _ i: Int, _ type: ElementType, _ shape: [Int]) throws(ServingError) -> UnsafeMutableRawPointer {
        guard let base = write(io.outputs[i], type, shape) else { throw io.fail("output \(limits.beyond(shape))") }
        return base
    }

    /// Sets value `v`'s shape and type and returns room for its elements (`v` is computed or a
    /// graph input, never a constant); nil, changing nothing, when a dimension is negative or
    /// the shape is beyond `limits`.
    @inline(__always)
    func write(_ v: Int, _ type: ElementType, _ shape: [Int]) -> UnsafeMutableRawPointer? {
        guard let count = Shape.count(shape, within: limits.maxTensorElements) else { return nil }
        describe(v, type, shape, count)
        let bytes = max(count * type.size, 1)
        let base = lentStorage(v, bytes) ?? buffers[bufferOf[v]].reserve(bytes)
        bases[v] = base
        return base
    }

    @inline(__always)
    private func lentStorage(_ v: Int, _ bytes: Int) -> UnsafeMutableRawPointer? {
        guard !lent.isEmpty, let storage = lent.first(where: { $0.value == v }), bytes <= storage.bytes else { return nil }
        return storage.base
    }

    /// Has `write` put computed value `v` in `bytes` from `base` (an answer's storage) instead of
    /// its buffer whenever it fits, until `reclaim(v)`. The caller owns the storage for that
    /// whole time and keeps it there: values the graph reads later find `v` where it was
    /// written. Only for a value that no other value shares a buffer with after it is written
    /// (a graph output: the plan never frees an output's buffer) and that nothing but a step
    /// writes (not a graph input or constant).
    func lend(_ v: Int, _ base: UnsafeMutableRawPointer, bytes: Int) {
        lent.append((v, base, bytes))
    }

    /// Ends `lend(v, ...)`. When `v` was written there, it now reads as empty: the storage
    /// leaves with the answer, and the workspace must not point into it.
    func reclaim(_ v: Int) {
        guard let k = lent.firstIndex(where: { $0.value == v }) else { return }
        if bases[v] == lent[k].base {
            describe(v, types[v], [0], 0)
            bases[v] = ExecutionPlan.emptyBase
        }
        lent.remove(at: k)
    }

    /// Points graph input `v` at the `count` elements the request holds (nil when there are
    /// none), to be read in place while the graph runs; the pointer is never written through.
    /// The caller has checked `count` is `Shape.count(shape, within: limits.maxTensorElements)`.
    func refer(_ v: Int, _ type: ElementType, _ shape: [Int], count: Int, to elements: UnsafeRawPointer?) {
        describe(v, type, shape, count)
        bases[v] = elements.map { UnsafeMutableRawPointer(mutating: $0) } ?? ExecutionPlan.emptyBase
    }

    @inline(__always)
    private func describe(_ v: Int, _ type: ElementType, _ shape: [Int], _ count: Int) {
        shapes[v] = shape
        types[v] = type
        counts[v] = count
    }

    /// The bytes of STRING element `index`. Every index a kernel reads was made by `intern`
    /// or is a constant's; an out-of-range one (a bug, never a request) reads as empty.
    @inline(__always)
    func string(_ index: Int64) -> [UInt8] {
        let i = Int(index)
        if i >= 0, i < constantStrings.count { return constantStrings[i] }
        let k = i &- constantStrings.count
        return k >= 0 && k < strings.count ? strings[k] : []
    }

    /// Adds `bytes` to this request's strings and returns its element index.
    @inline(__always)
    func intern(_ bytes: [UInt8]) -> Int64 {
        strings.append(bytes)
        return Int64(constantStrings.count + strings.count - 1)
    }

    /// Adds all of `list` and returns the first one's index (the rest follow in order).
    func intern(_ list: [[UInt8]]) -> Int64 {
        let first = Int64(constantStrings.count + strings.count)
        strings.append(contentsOf: list)
        return first
    }

    /// Drops the previous request's strings (called as a request starts).
    @inline(__always)
    func resetStrings() {
        if !strings.isEmpty { strings.removeAll(keepingCapacity: true) }
    }

    /// Bytes of memory the workspace holds, for `WorkspacePool`'s budget.
    var heldBytes: Int { buffers.reduce(scratch.capacity) { $0 + $1.capacity } }

    /// As `output`, typed.
    @inline(__always)
    func output<T>(
        _ io: NodeIO, _ i: Int, _ type: ElementType, _ shape: [Int], as _: T.Type
    ) throws(ServingError) -> UnsafeMutablePointer<T> {
        try output(io, i, type, shape).assumingMemoryBound(to: T.self)
    }

    /// Whether output `i` is wanted (an optional output may be unnamed).
    @inline(__always)
    func wants(_ io: NodeIO, _ i: Int) -> Bool { i < io.outputs.count && io.outputs[i] >= 0 }
}

/// A read-only input of a kernel: shape, type and the first element.
struct Operand {
    let shape: [Int]
    let type: ElementType
    let count: Int
    let base: UnsafeRawPointer

    @inline(__always)
    func pointer<T>(_: T.Type) -> UnsafePointer<T> { base.assumingMemoryBound(to: T.self) }

    @inline(__always)
    func buffer<T>(_: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: count)
    }

    var rank: Int { shape.count }

    /// The elements as Ints (shape, axes and index inputs).
    func integers() -> [Int] {
        switch type {
        case .int64: buffer(Int64.self).map { Int($0) }
        case .int32: buffer(Int32.self).map { Int($0) }
        case .bool: buffer(UInt8.self).map { Int($0) }
        case .float: buffer(Float.self).map { Int(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .double: buffer(Double.self).map { Int(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .string: []
        }
    }

    /// The first element as a Double (scalar inputs such as Clip's bounds).
    func scalar() -> Double? {
        guard count > 0 else { return nil }
        switch type {
        case .int64: return Double(pointer(Int64.self)[0])
        case .int32: return Double(pointer(Int32.self)[0])
        case .bool: return Double(pointer(UInt8.self)[0])
        case .float: return Double(pointer(Float.self)[0])
        case .double: return pointer(Double.self)[0]
        case .string: return nil
        }
    }
}

/// Workspaces for concurrent requests: each request takes one (or makes one when all are in
/// use) and gives it back, so buffers are reused and never shared by two requests at once.
/// Called from any event-loop or worker thread; the lock is held only to pop or push.
///
/// What it keeps is bounded: at most `maxIdle` workspaces holding at most
/// `limits.maxIdleWorkspaceBytes` in all (`limits.max_idle_workspace_bytes`, 256 MiB by default).
/// A workspace that would pass either is dropped (its memory freed) when its request ends, so
/// one request that made a 1 GB intermediate does not pin it; a model whose requests need more
/// than the budget allocates its intermediates per request.
final class WorkspacePool: Sendable {
    private struct Idle {
        var workspaces: [(Workspace, bytes: Int)] = []
        var bytes = 0
    }

    private let idle = Mutex(Idle())
    /// More idle workspaces than this are dropped (a burst of concurrency should not pin memory).
    static let maxIdle = 16

    func take(_ plan: ExecutionPlan) -> Workspace {
        let reused = idle.withLock { idle -> Workspace? in
            guard let (ws, bytes) = idle.workspaces.popLast() else { return nil }
            idle.bytes -= bytes
            return ws
        }
        return reused ?? Workspace(plan: plan)
    }

    func give(_ ws: Workspace) {
        // The answer holds copies of the request's strings by now: an idle workspace keeps none.
        ws.resetStrings()
        let bytes = ws.heldBytes
        idle.withLock { idle in
            guard idle.workspaces.count < Self.maxIdle, bytes <= ws.limits.maxIdleWorkspaceBytes - idle.bytes else { return }
            idle.workspaces.append((ws, bytes))
            idle.bytes += bytes
        }
    }
}
