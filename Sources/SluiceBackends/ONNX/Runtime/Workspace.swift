import Synchronization

/// One request's view of every value in the graph: shape, element type and where its elements
/// are. Constants point at their shared buffers; intermediate values at the workspace's own
/// buffers, which the plan lets values with disjoint lifetimes share.
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

    init(plan: ExecutionPlan) {
        let n = plan.valueCount
        shapes = Array(repeating: [], count: n)
        types = Array(repeating: .float, count: n)
        counts = Array(repeating: 0, count: n)
        buffers = (0..<plan.bufferCount).map { _ in Buffer() }
        bufferOf = plan.bufferOf
        bases = Array(repeating: ExecutionPlan.emptyBase, count: n)
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

    /// Sets output `i`'s shape and type and returns room for its elements.
    @inline(__always)
    func output(_ io: NodeIO, _ i: Int, _ type: ElementType, _ shape: [Int]) -> UnsafeMutableRawPointer {
        write(io.outputs[i], type, shape)
    }

    /// Sets value `v`'s shape and type and returns room for its elements (`v` is computed or a
    /// graph input, never a constant).
    @inline(__always)
    func write(_ v: Int, _ type: ElementType, _ shape: [Int]) -> UnsafeMutableRawPointer {
        let count = describe(v, type, shape)
        let base = buffers[bufferOf[v]].reserve(max(count * type.size, 1))
        bases[v] = base
        return base
    }

    /// Points graph input `v` at elements the request holds (nil when there are none), to be
    /// read in place while the graph runs; the pointer is never written through.
    func refer(_ v: Int, _ type: ElementType, _ shape: [Int], to elements: UnsafeRawPointer?) {
        describe(v, type, shape)
        bases[v] = elements.map { UnsafeMutableRawPointer(mutating: $0) } ?? ExecutionPlan.emptyBase
    }

    /// Records value `v`'s shape, type and element count (returned), for `write` and `refer`.
    @inline(__always) @discardableResult
    private func describe(_ v: Int, _ type: ElementType, _ shape: [Int]) -> Int {
        var count = 1
        for d in shape { count &*= d }
        shapes[v] = shape
        types[v] = type
        counts[v] = count
        return count
    }

    /// As `output`, typed.
    @inline(__always)
    func output<T>(_ io: NodeIO, _ i: Int, _ type: ElementType, _ shape: [Int], as _: T.Type) -> UnsafeMutablePointer<T> {
        output(io, i, type, shape).assumingMemoryBound(to: T.self)
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
        }
    }

    /// The element count of a shape a request computed (Reshape, Expand, ConstantOfShape
    /// targets), or nil when it is negative, overflows, or exceeds `limit` elements, so request
    /// data can neither trap the process nor ask for unbounded memory.
    static func count(of shape: [Int], limit: Int = 1 << 28) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { return nil }
            count = p
        }
        return count
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
        }
    }
}

/// Workspaces for concurrent requests: each request takes one (or makes one when all are in
/// use) and gives it back, so buffers are reused and never shared by two requests at once.
/// Called from any event-loop or worker thread; the lock is held only to pop or push.
final class WorkspacePool: Sendable {
    private let idle = Mutex<[Workspace]>([])
    /// More idle workspaces than this are dropped (a burst of concurrency should not pin memory).
    private let limit = 16

    func take(_ plan: ExecutionPlan) -> Workspace {
        if let ws = idle.withLock({ $0.popLast() }) { return ws }
        return Workspace(plan: plan)
    }

    func give(_ ws: Workspace) {
        idle.withLock { list in
            if list.count < limit { list.append(ws) }
        }
    }
}
