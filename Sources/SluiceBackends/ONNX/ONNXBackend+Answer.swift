import SluiceCore

/// How a request's answer is built without copying its large outputs. Each numeric graph output
/// that a step computes gets its answer array before the graph runs, sized by the previous
/// request's output (`lendingCapacity`), and the graph runs inside that array's initializer
/// with the array's storage lent to the workspace (`Workspace.lend`): the step that writes the
/// output writes the answer. A steady stream of same-shaped requests copies nothing; an output
/// that does not fit its guess (a bigger batch, the first request) is written to its workspace
/// buffer and copied out as before. Several outputs nest one initializer in the next.
extension ONNXBackend {
    /// Outputs smaller than this are always copied: the copy is a sliver of the graph's time,
    /// and a guess that size would make every small answer carry its neighbour's capacity.
    static let minLentBytes = 64 << 10

    /// Runs the steps on bound inputs and returns the outputs, in the plan's order. Leaves the
    /// workspace pointing at none of the answer's storage, whether it returns or throws.
    func answer(_ ws: Workspace) throws(ServingError) -> [Tensor] {
        var tensors: [Tensor] = []
        tensors.reserveCapacity(plan.outputs.count)
        if plan.outputs.indices.contains(where: { lendingCapacity($0, ws) > 0 }) {
            var built = [Tensor?](repeating: nil, count: plan.outputs.count)
            try run(ws, lendingFrom: 0, &built)
            for case let tensor? in built { tensors.append(tensor) }
            guard tensors.count == plan.outputs.count else { throw .backendFailure("an output of the graph was not built") }
            for (k, tensor) in tensors.enumerated() {
                ws.answerCounts[k] = Self.learned(ws.answerCounts[k], tensor.data.count)
            }
        } else {
            // Nothing to lend (small outputs, the first request): no nesting, which a one-row
            // request would feel.
            try runSteps(ws)
            for (k, port) in plan.outputs.enumerated() {
                tensors.append(Self.tensor(outputs[k].name, ws, port.id))
                ws.answerCounts[k] = Self.learned(ws.answerCounts[k], ws.counts[port.id])
            }
        }
        return tensors
    }

    /// The capacity remembered after a request whose output had `count` elements, when the one
    /// remembered was `previous`: the larger stays while answers fill at least half of it (so
    /// batches that vary within 2× all fit), and a much smaller answer shrinks it.
    static func learned(_ previous: Int, _ count: Int) -> Int {
        count > previous || count * 2 < previous ? count : previous
    }

    /// Elements of room to lend output `k`'s answer, or 0 to copy it out instead: a BOOL or
    /// STRING output (stored otherwise than it is answered); a graph input or constant
    /// (no step writes it); the same value as an earlier output (which lends it); or a previous
    /// answer smaller than `minLentBytes` or none yet.
    func lendingCapacity(_ k: Int, _ ws: Workspace) -> Int {
        // Fields, not the port: a one-row request feels the copy of its name and dims.
        let type = plan.outputs[k].type, id = plan.outputs[k].id, count = ws.answerCounts[k]
        switch type {
        case .float, .double, .int64, .int32: break
        case .bool, .string: return 0
        }
        // The counts came from a workspace, so within limits.maxTensorElements: no overflow.
        guard count * type.size >= Self.minLentBytes, ws.bufferOf[id] >= 0,
            !plan.inputs.contains(where: { $0.id == id }),
            !plan.outputs[..<k].contains(where: { $0.id == id })
        else { return 0 }
        return count
    }

    /// Builds outputs `k...` into `answer`, running the graph once inside the innermost level.
    private func run(_ ws: Workspace, lendingFrom k: Int, _ answer: inout [Tensor?]) throws(ServingError) {
        guard k < plan.outputs.count else { return try runSteps(ws) }
        let capacity = lendingCapacity(k, ws)
        guard capacity > 0 else {
            try run(ws, lendingFrom: k + 1, &answer)
            answer[k] = Self.tensor(outputs[k].name, ws, plan.outputs[k].id)
            return
        }
        switch plan.outputs[k].type {
        case .float: answer[k] = try lending(capacity, to: k, ws, &answer) { TensorData.fp32($0) }
        case .double: answer[k] = try lending(capacity, to: k, ws, &answer) { TensorData.fp64($0) }
        case .int64: answer[k] = try lending(capacity, to: k, ws, &answer) { TensorData.int64($0) }
        case .int32: answer[k] = try lending(capacity, to: k, ws, &answer) { TensorData.int32($0) }
        case .bool, .string: throw .backendFailure("output '\(outputs[k].name)' cannot be lent")
        }
    }

    @inline(__always)
    private func runSteps(_ ws: Workspace) throws(ServingError) {
        for step in plan.steps {
            try step.kernel.run(step.io, ws)
        }
    }

    /// Output `k`'s answer made with room for `capacity` elements, lent to the workspace while
    /// the rest of the outputs are built and the graph runs. When the output landed there and
    /// fills at least half the room, the array is the answer; otherwise (it did not fit, or a
    /// much smaller batch) the output is copied to an array of its own size, and the lent one,
    /// left with no elements, is freed.
    private func lending<T: BitwiseCopyable>(
        _ capacity: Int, to k: Int, _ ws: Workspace, _ answer: inout [Tensor?], _ wrap: ([T]) -> TensorData
    ) throws(ServingError) -> Tensor {
        let port = plan.outputs[k]
        let name = outputs[k].name
        var failure: ServingError?
        var copy: Tensor?
        var shape: [Int] = []
        let values = [T](tensorCapacity: capacity) { buffer, initialized in
            let base = buffer.baseAddress.map { UnsafeMutableRawPointer($0) }
            if let base { ws.lend(port.id, base, bytes: buffer.count * MemoryLayout<T>.stride) }
            defer { ws.reclaim(port.id) }
            do throws(ServingError) {
                try run(ws, lendingFrom: k + 1, &answer)
            } catch {
                failure = error
                return
            }
            let count = ws.counts[port.id]
            if ws.bases[port.id] == base, ws.types[port.id] == port.type, count * 2 >= buffer.count {
                shape = ws.shapes[port.id]
                initialized = count
            } else {
                copy = Self.tensor(name, ws, port.id)
            }
        }
        if let failure { throw failure }
        return copy ?? Tensor(unchecked: name, shape: shape, data: wrap(values))
    }

    /// A value of the workspace as an answer tensor (one copy).
    static func tensor(_ name: String, _ ws: Workspace, _ v: Int) -> Tensor {
        let n = ws.counts[v]
        let base = UnsafeRawPointer(ws.bases[v])
        func array<T: BitwiseCopyable>(_: T.Type) -> [T] {
            let source = UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: n)
            // Small ones skip the generic call, which is not specialised across modules.
            guard n * MemoryLayout<T>.stride >= [T].hugePageBytes else { return Array(source) }
            return [T](tensorCapacity: n) { buffer, initialized in
                _ = buffer.initialize(fromContentsOf: source)
                initialized = n
            }
        }
        let data: TensorData
        switch ws.types[v] {
        case .float: data = .fp32(array(Float.self))
        case .double: data = .fp64(array(Double.self))
        case .int64: data = .int64(array(Int64.self))
        case .int32: data = .int32(array(Int32.self))
        case .bool: data = .bool(array(UInt8.self).map { $0 != 0 })
        case .string: data = .bytes(array(Int64.self).map { ws.string($0) })
        }
        return Tensor(unchecked: name, shape: ws.shapes[v], data: data)
    }
}
