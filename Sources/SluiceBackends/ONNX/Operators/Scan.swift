import SluiceCore

/// Scan (opset 9 and later): runs its `body` graph once per slice of the scan inputs, carrying
/// N state values from one iteration to the next, and stacks the body's K scan outputs along
/// their axes. `scan_input_axes`/`directions` and `scan_output_axes`/`directions` as the spec
/// says. The body is compiled at load (`NodeInfo.subgraph`) and runs in a workspace of its own,
/// pooled like the model's. Opset 8's Scan (a batch axis and `sequence_lens`) is refused.
struct ScanKernel: Kernel {
    let body: ExecutionPlan
    let pool = WorkspacePool()
    /// N: the leading inputs and outputs that are state values.
    let states: Int
    let inputAxes: [Int]
    let inputReversed: [Bool]
    let outputAxes: [Int]
    let outputReversed: [Bool]

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        guard n.opset >= 9 else {
            throw n.fail("Scan before opset 9 (with a batch axis and sequence_lens) is not supported; export with opset 9 or later")
        }
        let a = n.attributes
        let count = n.inputTypes.count
        guard let m = a.int("num_scan_inputs"), m >= 1, m <= count else {
            throw n.fail("num_scan_inputs must be between 1 and the \(count) inputs")
        }
        for i in 0..<count where !n.has(i) { throw n.fail("input \(i) is required") }
        let body = try n.subgraph("body")
        let states = count - m
        guard body.inputs.count == count, body.outputs.count >= states else {
            throw n.fail("the body takes \(body.inputs.count) inputs and gives \(body.outputs.count) outputs; the node has \(states) states and \(m) scan inputs")
        }
        for i in 0..<count where body.inputs[i].type != n.inputTypes[i] {
            throw n.fail("input \(i) is \(n.inputTypes[i].map(\.description) ?? "absent"); the body's '\(body.inputs[i].name)' is \(body.inputs[i].type)")
        }
        for i in 0..<states where body.outputs[i].type != body.inputs[i].type {
            throw n.fail("state \(i) goes into the body as \(body.inputs[i].type) and comes out as \(body.outputs[i].type)")
        }
        // The body runs in a workspace of its own, whose string table is not the graph's.
        guard !n.inputTypes.contains(.string), !body.outputs.contains(where: { $0.type == .string }), body.strings.isEmpty else {
            throw n.fail("strings in a Scan's inputs, outputs or body are not supported")
        }
        let k = body.outputs.count - states
        func flags(_ name: String, _ count: Int) throws(ServingError) -> [Bool] {
            let values = a.ints(name) ?? Array(repeating: 0, count: count)
            guard values.count == count, values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw n.fail("\(name) must hold \(count) values of 0 or 1")
            }
            return values.map { $0 == 1 }
        }
        func axes(_ name: String, _ count: Int) throws(ServingError) -> [Int] {
            let values = a.ints(name) ?? Array(repeating: 0, count: count)
            guard values.count == count, values.allSatisfy({ abs($0) <= 64 }) else {
                throw n.fail("\(name) must hold \(count) axes")
            }
            return values
        }
        let kernel = ScanKernel(
            body: body, states: states, inputAxes: try axes("scan_input_axes", m),
            inputReversed: try flags("scan_input_directions", m), outputAxes: try axes("scan_output_axes", k),
            outputReversed: try flags("scan_output_directions", k))
        return Compiled(kernel: kernel, outputTypes: body.outputs.map(\.type), requiredOutputs: 0)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let n = states, m = io.inputs.count - n, k = body.outputs.count - n
        var length = -1
        var scanAxes: [Int] = []
        for j in 0..<m {
            let x = ws.input(io, n + j)
            let axis = inputAxes[j] < 0 ? inputAxes[j] + x.rank : inputAxes[j]
            guard axis >= 0, axis < x.rank else { throw io.fail("scan input \(j) \(x.shape) has no axis \(inputAxes[j])") }
            guard length < 0 || x.shape[axis] == length else {
                throw io.fail("scan input \(j) \(x.shape) has \(x.shape[axis]) steps along axis \(axis); the others have \(length)")
            }
            length = x.shape[axis]
            scanAxes.append(axis)
        }
        let inner = pool.take(body)
        defer { pool.give(inner) }
        // States ping-pong between two sets of buffers: the body reads one while its outputs
        // (which may be its own inputs passed through) are copied to the other.
        let stores = (0..<2).map { _ in (0..<n).map { _ in Buffer() } }
        let slices = (0..<m).map { _ in Buffer() }
        for s in 0..<n {
            let x = ws.input(io, s)
            inner.refer(body.inputs[s].id, x.type, x.shape, count: x.count, to: x.base)
        }
        var outputs: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: k)
        var outputShapes: [[Int]] = Array(repeating: [], count: k)
        for t in 0..<length {
            for j in 0..<m {
                let x = ws.input(io, n + j), axis = scanAxes[j]
                let step = inputReversed[j] ? length - 1 - t : t
                var shape = x.shape
                shape.remove(at: axis)
                let outer = x.shape[..<axis].reduce(1, *), block = shape[axis...].reduce(1, *), size = x.type.size
                if outer == 1 {
                    inner.refer(body.inputs[n + j].id, x.type, shape, count: block, to: x.base + step * block * size)
                } else {
                    let slice = slices[j].reserve(max(outer * block * size, 1))
                    for o in 0..<outer {
                        (slice + o * block * size).copyMemory(from: x.base + (o * length + step) * block * size, byteCount: block * size)
                    }
                    inner.refer(body.inputs[n + j].id, x.type, shape, count: outer * block, to: slice)
                }
            }
            for step in body.steps { try step.kernel.run(step.io, inner) }
            // All states are copied before any input is rebound: an output may be another
            // state's input passed through.
            let next = (0..<n).map { s in
                let v = body.outputs[s].id
                let store = stores[t % 2][s].reserve(max(inner.counts[v] * inner.types[v].size, 1))
                store.copyMemory(from: inner.bases[v], byteCount: inner.counts[v] * inner.types[v].size)
                return (inner.types[v], inner.shapes[v], inner.counts[v], store)
            }
            for (s, (type, shape, count, store)) in next.enumerated() {
                inner.refer(body.inputs[s].id, type, shape, count: count, to: store)
            }
            for o in 0..<k {
                let v = body.outputs[n + o].id
                let shape = inner.shapes[v], size = inner.types[v].size
                let axis = outputAxes[o] < 0 ? outputAxes[o] + shape.count + 1 : outputAxes[o]
                guard axis >= 0, axis <= shape.count else { throw io.fail("scan output \(o) \(shape) has no axis \(outputAxes[o])") }
                if t == 0 {
                    outputShapes[o] = shape
                    var full = shape
                    full.insert(length, at: axis)
                    if ws.wants(io, n + o) { outputs[o] = try ws.output(io, n + o, inner.types[v], full) }
                } else if shape != outputShapes[o] {
                    throw io.fail("scan output \(o) is \(shape) at step \(t) and was \(outputShapes[o]) at step 0")
                }
                guard let out = outputs[o] else { continue }
                let position = outputReversed[o] ? length - 1 - t : t
                let outer = shape[..<axis].reduce(1, *), block = shape[axis...].reduce(1, *)
                for q in 0..<outer {
                    (out + (q * length + position) * block * size).copyMemory(
                        from: inner.bases[v] + q * block * size, byteCount: block * size)
                }
            }
        }
        for s in 0..<n where ws.wants(io, s) {
            // After the last step the body's inputs are the final states.
            let v = body.inputs[s].id
            let out = try ws.output(io, s, inner.types[v], inner.shapes[v])
            out.copyMemory(from: inner.bases[v], byteCount: inner.counts[v] * inner.types[v].size)
        }
        if length == 0 { try emptyScanOutputs(io, ws) }
    }

    /// With no steps the scan outputs have 0 along their axis and the rest of the body's
    /// declared shape, which must be known.
    private func emptyScanOutputs(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        for o in 0..<(body.outputs.count - states) where ws.wants(io, states + o) {
            let port = body.outputs[states + o]
            guard var shape = port.dims, !shape.contains(-1) else {
                throw io.fail("the scan has no steps and the body does not declare the shape of '\(port.name)'")
            }
            let axis = outputAxes[o] < 0 ? outputAxes[o] + shape.count + 1 : outputAxes[o]
            guard axis >= 0, axis <= shape.count else { throw io.fail("scan output \(o) \(shape) has no axis \(outputAxes[o])") }
            shape.insert(0, at: axis)
            _ = try ws.output(io, states + o, port.type, shape)
        }
    }
}
