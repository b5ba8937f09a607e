/// Raw, 64-byte aligned memory that grows on demand and never shrinks: an intermediate value's
/// storage in a `Workspace` (reused request after request, so a steady stream of same-sized
/// requests allocates nothing per node) or a constant's storage (written once at load).
///
/// `@unchecked Sendable`: a constant's buffer is only read after load; a workspace's buffers
/// belong to one request at a time, handed between threads through `WorkspacePool`'s lock.
final class Buffer: @unchecked Sendable {
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(bytes: Int = 0) {
        capacity = max(bytes, 64)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `bytes`; the old contents are lost when it has to grow.
    @inline(__always)
    func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity { grow(bytes) }
        return pointer
    }

    private func grow(_ bytes: Int) {
        pointer.deallocate()
        capacity = max(bytes, capacity * 2)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }
}

/// A value known at load time: an initializer, a `Constant` node's output, or a folded node's
/// output. Immutable after load and shared by every workspace.
///
/// A STRING constant's elements are indices into the plan's string table
/// (`ExecutionPlan.strings`); one decoded from a file also keeps its bytes in `strings`
/// (element order) until `GraphCompiler` enters them in the table (`indexed(from:)`).
struct Constant: Sendable {
    let type: ElementType
    let shape: [Int]
    let count: Int
    let buffer: Buffer
    /// A decoded STRING tensor's elements; empty otherwise.
    var strings: [[UInt8]] = []

    /// Copies `count` elements of `type` from `source`.
    init(type: ElementType, shape: [Int], source: UnsafeRawPointer?) {
        self.type = type
        self.shape = shape
        count = shape.reduce(1, *)
        buffer = Buffer(bytes: count * type.size)
        if let source, count > 0 {
            buffer.pointer.copyMemory(from: source, byteCount: count * type.size)
        }
    }

    init<T>(_ values: [T], type: ElementType, shape: [Int]) {
        precondition(MemoryLayout<T>.size == type.size, "element size matches the type")
        self.init(type: type, shape: shape, source: nil)
        values.withUnsafeBytes { raw in
            if let base = raw.baseAddress, !raw.isEmpty {
                buffer.pointer.copyMemory(from: base, byteCount: raw.count)
            }
        }
    }

    /// A STRING constant of `strings`, whose indices `indexed(from:)` sets.
    init(strings: [[UInt8]], shape: [Int]) {
        self.init(type: .string, shape: shape, source: nil)
        self.strings = strings
    }

    /// This STRING constant with its elements numbered from `first` (where the compiler's
    /// table will hold them).
    func indexed(from first: Int) -> Constant {
        let p = buffer.pointer.assumingMemoryBound(to: Int64.self)
        for i in 0..<count { p[i] = Int64(first + i) }
        return self
    }

    func elements<T>(as _: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: buffer.pointer.assumingMemoryBound(to: T.self), count: count)
    }

    /// The values widened to Int (integer and bool types) or truncated from floats, for
    /// attributes passed as inputs (shapes, axes, indices).
    var integers: [Int] {
        switch type {
        case .int64: elements(as: Int64.self).map { Int($0) }
        case .int32: elements(as: Int32.self).map { Int($0) }
        case .bool: elements(as: UInt8.self).map { Int($0) }
        case .float: elements(as: Float.self).map { Int(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .double: elements(as: Double.self).map { Int(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .string: []
        }
    }

    /// The values as Double (numbers given as inputs: Clip bounds, ConstantOfShape's value).
    var doubles: [Double] {
        switch type {
        case .int64: elements(as: Int64.self).map { Double($0) }
        case .int32: elements(as: Int32.self).map { Double($0) }
        case .bool: elements(as: UInt8.self).map { Double($0) }
        case .float: elements(as: Float.self).map { Double($0) }
        case .double: Array(elements(as: Double.self))
        case .string: []
        }
    }
}
