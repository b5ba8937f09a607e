package import SluiceCore

extension ONNXBackend {
    /// Runs the graph on one request. Called concurrently from event-loop or worker threads;
    /// each call takes its own workspace from the pool. Throws `.invalidInput` for a missing
    /// input, an element type that cannot be converted, a shape that does not fit the graph's
    /// fixed dimensions or is beyond `limits.maxTensorElements` (`[0, 4611686018427387904, 4]`
    /// has no elements, yet its dimensions multiply beyond any size), or data an operator cannot
    /// take (a Reshape that does not fit, an index out of range, an intermediate beyond the
    /// limit), naming the input or node.
    package func infer(_ request: [Tensor]) throws(ServingError) -> [Tensor] {
        let ws = pool.take(plan)
        defer { pool.give(ws) }
        ws.resetStrings()
        for (k, port) in plan.inputs.enumerated() {
            let name = inputs[k].name
            guard let tensor = request.first(where: { $0.name == name }) else {
                throw .invalidInput("missing input '\(name)'")
            }
            if let dims = port.dims {
                guard tensor.shape.count == dims.count,
                    zip(tensor.shape, dims).allSatisfy({ $1 < 0 || $0 == $1 })
                else {
                    throw .invalidInput("input '\(name)' has shape \(tensor.shape); the model takes \(dims)")
                }
            }
            guard let count = Shape.count(tensor.shape, within: plan.limits.maxTensorElements) else {
                throw .invalidInput("input '\(name)' has \(plan.limits.beyond(tensor.shape))")
            }
            guard count == tensor.data.count else {
                throw .invalidInput("input '\(name)' has shape \(tensor.shape) but \(tensor.data.count) elements")
            }
            if plan.inputs.count == 1 {
                // The one FP32 (or FP64) input, the usual model, is read where the request holds
                // it, for as long as the graph runs: kernels never write their inputs.
                switch (port.type, tensor.data) {
                case (.float, .fp32(let values)): return try run(ws, referring: values, port, tensor.shape, count)
                case (.double, .fp64(let values)): return try run(ws, referring: values, port, tensor.shape, count)
                default: break
                }
            }
            try bind(tensor, to: port, ws)
        }
        return try answer(ws)
    }

    /// Runs the graph with its one input `port` read in place from `values` (of the port's type).
    private func run<T>(
        _ ws: Workspace, referring values: [T], _ port: ExecutionPlan.Port, _ shape: [Int], _ count: Int
    ) throws(ServingError) -> [Tensor] {
        try values.withUnsafeBufferPointer { (buffer) throws(ServingError) -> [Tensor] in
            ws.refer(port.id, port.type, shape, count: count, to: buffer.baseAddress.map { UnsafeRawPointer($0) })
            return try answer(ws)
        }
    }

    /// Copies a request tensor, whose shape `infer` checked, into its workspace slot, converted
    /// to the graph's element type.
    private func bind(_ tensor: Tensor, to port: ExecutionPlan.Port, _ ws: Workspace) throws(ServingError) {
        let n = tensor.data.count
        func copy<T>(_ values: [T], _ type: ElementType) {
            // Never nil: `infer` checked the shape against the same limit.
            guard let out = ws.write(port.id, type, tensor.shape)?.assumingMemoryBound(to: T.self) else { return }
            values.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: n) } }
        }
        switch (port.type, tensor.data) {
        case (.float, .fp32(let a)): copy(a, .float)
        case (.float, _):
            guard let a = tensor.floatValues() else {
                throw .invalidInput("input '\(tensor.name)' is \(tensor.datatype.rawValue); the model takes FP32")
            }
            copy(a, .float)
        case (.double, .fp64(let a)): copy(a, .double)
        case (.double, _):
            // Integers convert exactly up to 2^53, as numpy's astype(float64) does.
            guard let a = tensor.doubleValues() else {
                throw .invalidInput("input '\(tensor.name)' is \(tensor.datatype.rawValue); the model takes FP64")
            }
            copy(a, .double)
        case (.int64, .int64(let a)): copy(a, .int64)
        case (.int64, .int32(let a)): copy(a.map { Int64($0) }, .int64)
        case (.int32, .int32(let a)): copy(a, .int32)
        case (.int32, .int64(let a)):
            let narrowed = a.compactMap { Int32(exactly: $0) }
            guard narrowed.count == a.count else {
                throw .invalidInput("input '\(tensor.name)' has values beyond INT32")
            }
            copy(narrowed, .int32)
        case (.bool, .bool(let a)): copy(a.map { $0 ? UInt8(1) : 0 }, .bool)
        case (.string, .bytes(let a)):
            // The bytes join the request's string table as they are (any bytes, as ONNX's).
            let first = ws.intern(a)
            copy((0..<Int64(n)).map { first + $0 }, .string)
        default:
            throw .invalidInput(
                "input '\(tensor.name)' is \(tensor.datatype.rawValue); the model takes \(port.type.wire.rawValue)")
        }
    }
}
