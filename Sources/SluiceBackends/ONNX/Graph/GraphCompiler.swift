import SluiceCore

/// Turns a parsed `ModelProto` into an `ExecutionPlan`: checks IR version and opsets, reads
/// initializers, orders the nodes, compiles each with its operator's factory (which refuses
/// what it does not support), folds nodes whose inputs are all known at load, and plans the
/// workspace buffers. Runs on a loader thread; every failure is a `.loadFailure` that names the
/// node (op type and name), tensor or opset at fault.
struct GraphCompiler {
    /// IR versions 3 (opset imports) through 11 (ONNX 1.17) and later, read alike.
    static let irVersions: ClosedRange<Int64> = 3...13
    /// The default domain's opsets whose operators' semantics the kernels follow.
    static let onnxOpsets: ClosedRange<Int> = 1...23
    static let mlOpsets: ClosedRange<Int> = 1...5

    /// The model file's name, which starts every load-failure message.
    let file: String
    /// The server's limits, which constants and folded values must keep and the plan carries.
    let limits: ModelLimits
    private var ids: [String: Int] = [:]
    /// Element type of each value id; constants by value id; the steps in order (read and
    /// rewritten by `fuse`).
    var types: [ElementType] = []
    var constants: [Int: Constant] = [:]
    var steps: [ExecutionPlan.Step] = []
    /// What loading changed about the model (`Compiled.note`), in node order.
    private var notes: [String] = []
    /// Dimensions a kernel declares for an output whose graph type is not a tensor, by value id.
    private var declaredDims: [Int: [Int]] = [:]
    /// The STRING constants' bytes, indexed by their elements (`ExecutionPlan.strings`).
    var strings: [[UInt8]] = []

    /// `fusing: false` keeps every node its own step, copies included (tests compare the two
    /// plans' answers).
    static func compile(
        _ model: Onnx_ModelProto, file: String, limits: ModelLimits = ModelLimits(), fusing: Bool = true
    ) throws(ServingError) -> ExecutionPlan {
        var compiler = GraphCompiler(file: file, limits: limits)
        return try compiler.run(model, fusing: fusing)
    }

    /// A node's graph attribute (Scan's body) as a plan of its own, at `depth` graph
    /// attributes below the model's graph (`NodeInfo.subgraph`).
    static func compile(
        _ graph: Onnx_GraphProto, file: String, limits: ModelLimits, opsets: [String: Int], depth: Int
    ) throws(ServingError) -> ExecutionPlan {
        var compiler = GraphCompiler(file: file, limits: limits)
        return try compiler.run(graph, opsets: opsets, depth: depth, fusing: true)
    }

    private func fail(_ reason: String) -> ServingError { .loadFailure("\(file): \(reason)") }

    private mutating func value(_ name: String, _ type: ElementType) -> Int {
        let id = types.count
        types.append(type)
        ids[name] = id
        return id
    }

    private mutating func run(_ model: Onnx_ModelProto, fusing: Bool) throws(ServingError) -> ExecutionPlan {
        guard Self.irVersions.contains(model.irVersion) else {
            throw fail("IR version \(model.irVersion) is not supported (supported: \(Self.irVersions.lowerBound)–\(Self.irVersions.upperBound))")
        }
        guard model.hasGraph else { throw fail("the model has no graph") }
        let opsets = try opsets(model)
        try refuseUnsupported(model.graph.node, opsets: opsets)
        return try run(model.graph, opsets: opsets, depth: 0, fusing: fusing)
    }

    /// Compiles `graph` (the model's, or at `depth` > 0 a node's graph attribute: Scan's body).
    private mutating func run(_ graph: Onnx_GraphProto, opsets: [String: Int], depth: Int, fusing: Bool) throws(ServingError) -> ExecutionPlan {
        guard graph.sparseInitializer.isEmpty else { throw fail("sparse initializers are not supported") }

        for t in graph.initializer {
            do {
                var c = try Constant(proto: t, limits: limits)
                if c.type == .string {
                    c = c.indexed(from: strings.count)
                    strings += c.strings
                }
                constants[value(t.name, c.type)] = c
            } catch {
                throw fail("initializer '\(t.name)': \(error.reason)")
            }
        }
        var inputs: [ExecutionPlan.Port] = []
        for vi in graph.input where ids[vi.name] == nil || constants[ids[vi.name] ?? -1] == nil {
            let (type, dims) = try tensorType(vi, what: "input")
            inputs.append(.init(
                id: value(vi.name, type), name: vi.name, type: type, dims: dims, leadingSymbol: Self.leadingSymbol(vi.type)))
        }
        // Graph inputs that an initializer also names (IR < 4) are constants, not request inputs.
        inputs.removeAll { constants[$0.id] != nil }

        for (index, node) in try topologicalOrder(graph, known: Set(ids.keys)).enumerated() {
            try compile(node, index: index, opsets: opsets, depth: depth)
        }

        var outputs: [ExecutionPlan.Port] = []
        for vi in graph.output {
            guard let id = ids[vi.name] else { throw fail("graph output '\(vi.name)' is not produced by any node") }
            // Answers carry the declared type, as onnxruntime's type check insists (skl2onnx's
            // DoubleTensorType tree exports declare FP64 outputs their FP32 tree nodes never make).
            if let t = Self.tensor(vi.type), let declared = ElementType(onnx: Int(t.elemType)), declared != types[id] {
                let fix = declared == .double ? "; re-export with FloatTensorType" : ""
                throw fail("graph output '\(vi.name)' is declared \(declared), but its node computes \(types[id])\(fix)")
            }
            let dims = Self.tensor(vi.type).flatMap(Self.dims) ?? declaredDims[id]
            outputs.append(.init(id: id, name: vi.name, type: types[id], dims: dims, leadingSymbol: Self.leadingSymbol(vi.type)))
        }
        guard !outputs.isEmpty else { throw fail("the graph has no outputs") }
        if fusing {
            fusePatterns(outputs: Set(outputs.map(\.id)))
            fuse(outputs: Set(outputs.map(\.id)))
        }
        prepareConvolutions()
        packWeights()
        return plan(inputs: inputs, outputs: outputs)
    }

    /// Refuses the model when any node's operator has no kernel here, listing every such
    /// operator (domain, op type, how many nodes, the first one's name) with the way around
    /// it when there is one (`UnsupportedOperators`), so one load says all that is missing.
    private func refuseUnsupported(_ nodes: [Onnx_NodeProto], opsets: [String: Int]) throws(ServingError) {
        var missing = UnsupportedOperators()
        for (index, node) in nodes.enumerated() {
            let domain = node.domain == "ai.onnx" ? "" : node.domain
            // A node in a domain the model does not import is refused, naming it, as it compiles.
            guard opsets[domain] != nil || !Self.runsDomain(domain) else { continue }
            if !Self.runsDomain(domain) || Operators.factory(op: node.opType, domain: domain) == nil {
                missing.add(op: node.opType, domain: domain, node: node.name.isEmpty ? "#\(index)" : node.name)
            }
        }
        if let reason = missing.reason { throw fail(reason) }
    }

    /// The domains this build has kernels for: ai.onnx (spelled ""), ai.onnx.ml and com.microsoft
    /// (its Tokenizer only: `Operators.microsoft`).
    private static func runsDomain(_ domain: String) -> Bool {
        domain.isEmpty || domain == "ai.onnx.ml" || domain == "com.microsoft"
    }

    /// The version of each domain the model imports, refusing versions of ai.onnx and ai.onnx.ml
    /// we do not run.
    private func opsets(_ model: Onnx_ModelProto) throws(ServingError) -> [String: Int] {
        var result: [String: Int] = [:]
        for o in model.opsetImport {
            let domain = o.domain == "ai.onnx" ? "" : o.domain
            let v = Int(o.version)
            switch domain {
            case "":
                guard Self.onnxOpsets.contains(v) else {
                    throw fail("opset \(v) of the default domain (ai.onnx) is not supported (supported: \(Self.onnxOpsets.lowerBound)–\(Self.onnxOpsets.upperBound))")
                }
            case "ai.onnx.ml":
                guard Self.mlOpsets.contains(v) else {
                    throw fail("opset \(v) of ai.onnx.ml is not supported (supported: \(Self.mlOpsets.lowerBound)–\(Self.mlOpsets.upperBound))")
                }
            case "com.microsoft":
                // Only its Tokenizer (`Operators.microsoft`), whose version 1 is the only one.
                guard v == 1 else { throw fail("opset \(v) of com.microsoft is not supported (supported: 1)") }
            default:
                // Other domains (com.microsoft, say) are refused node by node, with the fix when
                // one is known (`refuseUnsupported`); an import that no node uses is harmless.
                break
            }
            result[domain] = v
        }
        if result[""] == nil, model.opsetImport.isEmpty { result[""] = 1 }
        return result
    }

    private func tensorType(_ vi: Onnx_ValueInfoProto, what: String) throws(ServingError) -> (ElementType, [Int]?) {
        guard let t = Self.tensor(vi.type) else {
            throw fail("\(what) '\(vi.name)' is not a tensor (sequences and maps are not supported)")
        }
        guard let type = ElementType(onnx: Int(t.elemType)) else {
            throw fail("\(what) '\(vi.name)' has element type \(ElementType.onnxName(Int(t.elemType))), which is not supported")
        }
        return (type, Self.dims(t))
    }

    private static func tensor(_ type: Onnx_TypeProto) -> Onnx_TypeProto.Tensor? {
        if case .tensorType(let t) = type.value { return t }
        return nil
    }

    /// Declared dimensions, -1 for symbolic or unknown ones; nil when the rank is unknown.
    private static func dims(_ t: Onnx_TypeProto.Tensor) -> [Int]? {
        guard t.hasShape else { return nil }
        return t.shape.dim.map { d in
            if case .dimValue(let v) = d.value, v >= 0 { return Int(v) }
            return -1
        }
    }

    /// The symbol naming a value's first dimension, if it has one.
    private static func leadingSymbol(_ type: Onnx_TypeProto) -> String? {
        guard let t = tensor(type), t.hasShape, let first = t.shape.dim.first,
            case .dimParam(let symbol) = first.value, !symbol.isEmpty
        else { return nil }
        return symbol
    }

    /// Kahn's algorithm, keeping the file's order among ready nodes. Refuses cycles and inputs
    /// that nothing produces.
    private func topologicalOrder(_ graph: Onnx_GraphProto, known: Set<String>) throws(ServingError) -> [Onnx_NodeProto] {
        let nodes = graph.node
        var producer: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            for o in n.output where !o.isEmpty { producer[o] = i }
        }
        var waiting = [Int](repeating: 0, count: nodes.count)
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            for input in Set(n.input) where !input.isEmpty {
                if let p = producer[input] {
                    waiting[i] += 1
                    consumers[p].append(i)
                } else if !known.contains(input) {
                    throw fail("node '\(n.name)' (\(n.opType)) reads '\(input)', which no node, initializer or input provides")
                }
            }
        }
        var ready = (0..<nodes.count).filter { waiting[$0] == 0 }.reversed() as [Int]
        var order: [Onnx_NodeProto] = []
        while let i = ready.popLast() {
            order.append(nodes[i])
            for c in consumers[i].reversed() {
                waiting[c] -= 1
                if waiting[c] == 0 { ready.append(c) }
            }
        }
        guard order.count == nodes.count else { throw fail("the graph has a cycle") }
        return order
    }

    private mutating func compile(_ node: Onnx_NodeProto, index: Int, opsets: [String: Int], depth: Int) throws(ServingError) {
        let domain = node.domain == "ai.onnx" ? "" : node.domain
        let name = node.name.isEmpty ? "#\(index)" : node.name
        guard let opset = opsets[domain] else {
            throw fail("node '\(name)' (\(node.opType)) is in domain '\(node.domain)', which the model does not import")
        }
        guard let factory = Operators.factory(op: node.opType, domain: domain) else {
            throw fail("node '\(name)': operator \(domain.isEmpty ? "" : domain + ".")\(node.opType) is not supported")
        }
        let inputIDs = node.input.map { $0.isEmpty ? -1 : (ids[$0] ?? -1) }
        let info = NodeInfo(
            file: file, op: node.opType, domain: domain, name: name, opset: opset, limits: limits,
            attributes: try Attributes(node.attribute, node: "\(file): node '\(name)' (\(node.opType))"),
            inputTypes: inputIDs.map { $0 >= 0 ? types[$0] : nil },
            constants: inputIDs.map { $0 >= 0 ? constants[$0] : nil },
            outputCount: node.output.count, opsets: opsets, depth: depth, firstString: strings.count)
        let compiled = try factory(info)
        strings += compiled.strings
        if let extra = info.attributes.unread.first {
            throw info.fail("attribute '\(extra)' is not supported")
        }
        guard compiled.outputTypes.count >= node.output.count else {
            throw info.fail("\(node.output.count) outputs requested, the operator gives \(compiled.outputTypes.count)")
        }
        // The kernel writes these whatever the file names: an absent one would be value -1.
        if let missing = (0..<compiled.requiredOutputs).first(where: { $0 >= node.output.count || node.output[$0].isEmpty }) {
            throw info.fail("output \(missing) is required")
        }
        let outputIDs = node.output.enumerated().map { i, n in n.isEmpty ? -1 : value(n, compiled.outputTypes[i]) }
        for (i, id) in outputIDs.enumerated() where id >= 0 && i < compiled.outputDims.count {
            declaredDims[id] = compiled.outputDims[i]
        }
        if let note = compiled.note { notes.append(note) }
        let io = NodeIO(inputs: inputIDs, outputs: outputIDs, label: "\(node.opType) '\(name)'")
        let foldable = inputIDs.allSatisfy { $0 < 0 || constants[$0] != nil }
        if foldable {
            try fold(io, compiled.kernel, info)
        } else {
            steps.append(.init(io: io, kernel: compiled.kernel))
        }
    }

    /// Runs a node whose inputs are all constants once, now, and keeps its outputs as constants.
    private mutating func fold(_ io: NodeIO, _ kernel: any Kernel, _ info: NodeInfo) throws(ServingError) {
        let local = NodeIO(
            inputs: io.inputs.enumerated().map { $1 < 0 ? -1 : $0 },
            outputs: io.outputs.enumerated().map { $1 < 0 ? -1 : io.inputs.count + $0 },
            label: io.label)
        var bound: [(Int, Constant)] = []
        for (i, id) in io.inputs.enumerated() where id >= 0 {
            if let c = constants[id] { bound.append((i, c)) }
        }
        let n = io.inputs.count + io.outputs.count
        let plan = ExecutionPlan(
            valueCount: n, steps: [], constants: bound,
            bufferOf: (0..<n).map { $0 < io.inputs.count ? -1 : $0 - io.inputs.count },
            bufferCount: io.outputs.count, inputs: [], outputs: [], limits: limits, strings: strings)
        let ws = Workspace(plan: plan)
        do {
            try kernel.run(local, ws)
        } catch {
            throw info.fail("cannot be computed from its constant inputs: \(error)")
        }
        for (i, id) in io.outputs.enumerated() where id >= 0 {
            let v = local.outputs[i]
            constants[id] = Constant(type: ws.types[v], shape: ws.shapes[v], source: ws.bases[v])
        }
        // Strings the node made are numbered after the table's: they join it in that order.
        strings += ws.strings
    }

    /// Gives every computed value a buffer, sharing buffers between values whose lifetimes
    /// (first write to last read) do not overlap. Graph inputs and outputs keep their own.
    /// Keeps only the constants a step reads or a graph output is: those of folded nodes,
    /// weights a BatchNormalization was folded into, a bias fused into its MatMul (which holds
    /// it) and a B packed for its product (`packWeights`) would otherwise stay beside their
    /// replacement for as long as the model is loaded.
    private func plan(inputs: [ExecutionPlan.Port], outputs: [ExecutionPlan.Port]) -> ExecutionPlan {
        var lastUse = [Int](repeating: -1, count: types.count)
        for (s, step) in steps.enumerated() {
            for v in step.io.inputs where v >= 0 { lastUse[v] = s }
        }
        let pinned = Set(outputs.map(\.id))
        var bufferOf = [Int](repeating: -1, count: types.count)
        var free: [Int] = []
        var count = 0
        func take() -> Int {
            if let b = free.popLast() { return b }
            count += 1
            return count - 1
        }
        for p in inputs { bufferOf[p.id] = take() }
        for (s, step) in steps.enumerated() {
            for v in step.io.outputs where v >= 0 { bufferOf[v] = take() }
            for v in Set(step.io.inputs + step.io.outputs) where v >= 0 && constants[v] == nil {
                if lastUse[v] <= s, !pinned.contains(v) { free.append(bufferOf[v]) }
            }
        }
        let read = Set(steps.flatMap(\.io.inputs)).union(pinned)
        return ExecutionPlan(
            valueCount: types.count, steps: steps, constants: constants.filter { read.contains($0.key) }.map { ($0.key, $0.value) },
            bufferOf: bufferOf, bufferCount: count, inputs: inputs, outputs: outputs, limits: limits, notes: notes,
            strings: strings)
    }
}
