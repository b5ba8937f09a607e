import SluiceCore

/// Fusion at load: a node that only finishes what the matrix product or convolution before it
/// computed runs inside that step, so its intermediate is never written and read back.
///
/// - MatMul by a constant matrix, then Add of a constant bias row: the bias goes into the
///   output before sgemm adds the product (beta 1), as Gemm does with C.
/// - Conv with constant weights, then BatchNormalization with constant statistics: folded into
///   the weights and bias once, here (onnxruntime's default optimisations do the same).
/// - Gemm, MatMul or Conv, then Relu, LeakyRelu, Sigmoid, Tanh or a Clip with bounds known at
///   load: applied to the output in place (Conv: in the pass that adds the bias).
/// - Conv, then Add of a tensor already computed: added in the Conv's epilogue (`residualFusion`).
///
/// Before that, an Identity, an inference Dropout or a Cast to the type the value already has
/// is dropped and its readers read its input instead (unless its output is a graph output).
///
/// Only when the intermediate has this one reader and is not a graph output (else someone
/// else still needs it as it was). The fused step takes the producer's place in the order,
/// which is sound because the consumer's other inputs are constants.
extension GraphCompiler {
    mutating func fuse(outputs: Set<Int>) {
        var readers = readerCounts()
        var result: [ExecutionPlan.Step] = []
        var producer: [Int: Int] = [:]
        var renamed: [Int: Int] = [:]
        for original in steps {
            let inputs = original.io.inputs.map { renamed[$0] ?? $0 }
            let step = ExecutionPlan.Step(
                io: NodeIO(inputs: inputs, outputs: original.io.outputs, label: original.io.label), kernel: original.kernel)
            if let (from, to) = copy(step), !outputs.contains(to) {
                renamed[to] = from
                readers[from] += readers[to] - 1
                continue
            }
            if let (at, fused) = fusion(of: step, after: result, producer: producer, readers: readers, outputs: outputs) {
                result[at] = fused
                for v in step.io.outputs where v >= 0 { producer[v] = at }
                continue
            }
            for v in step.io.outputs where v >= 0 { producer[v] = result.count }
            result.append(step)
        }
        steps = result
        fuseSeparable(outputs: outputs)
    }

    /// How many step inputs read each value (a step reading it twice counts twice), indexed
    /// by value id: the fusions' test that an intermediate has one reader.
    func readerCounts() -> [Int] {
        var readers = [Int](repeating: 0, count: types.count)
        for step in steps {
            for v in step.io.inputs where v >= 0 { readers[v] += 1 }
        }
        return readers
    }

    /// (input, output) of a step that only copies its input: Identity, Dropout without its
    /// mask, or a Cast to the input's own type.
    private func copy(_ step: ExecutionPlan.Step) -> (Int, Int)? {
        let io = step.io
        guard io.inputs.count >= 1, io.inputs[0] >= 0, io.outputs.count >= 1, io.outputs[0] >= 0,
            io.outputs.dropFirst().allSatisfy({ $0 < 0 })
        else { return nil }
        if step.kernel is CopyKernel { return (io.inputs[0], io.outputs[0]) }
        if let cast = step.kernel as? CastKernel, cast.to == types[io.inputs[0]] { return (io.inputs[0], io.outputs[0]) }
        return nil
    }

    /// The step `step` fuses into (its index in `done`) and the fused step, or nil.
    private mutating func fusion(
        of step: ExecutionPlan.Step, after done: [ExecutionPlan.Step], producer: [Int: Int], readers: [Int],
        outputs: Set<Int>
    ) -> (Int, ExecutionPlan.Step)? {
        let io = step.io
        guard io.outputs.count == 1, io.outputs[0] >= 0 else { return nil }
        for (k, v) in io.inputs.enumerated() where v >= 0 {
            guard let at = producer[v], readers[v] == 1, !outputs.contains(v) else { continue }
            let first = done[at]
            guard first.io.outputs == [v] else { continue }
            let label = Activation.label(first.io.label, io.label)
            let others = io.inputs.enumerated().filter { $0.offset != k }.map(\.element)
            func replaced(_ kernel: any Kernel, inputs: [Int]? = nil) -> (Int, ExecutionPlan.Step) {
                let fusedIO = NodeIO(inputs: inputs ?? first.io.inputs, outputs: io.outputs, label: label)
                return (at, ExecutionPlan.Step(io: fusedIO, kernel: kernel))
            }
            if let activation = activation(of: step), k == 0 {
                if var gemm = first.kernel as? GemmKernel, gemm.activation == .identity {
                    gemm.activation = activation
                    return replaced(gemm)
                }
                if var matmul = first.kernel as? MatMulKernel, matmul.activation == .identity {
                    matmul.activation = activation
                    return replaced(matmul)
                }
                if var conv = first.kernel as? ConvKernel, conv.activation == .identity {
                    conv.activation = activation
                    return replaced(conv)
                }
                continue
            }
            if let fused = residualFusion(of: step, onto: first, at: at, others: others, producer: producer) {
                return replaced(fused.kernel, inputs: fused.inputs)
            }
            if let add = step.kernel as? ArithmeticKernel, add.op == .add, add.legacyAxis == nil,
                var matmul = first.kernel as? MatMulKernel, add.type == matmul.type, matmul.bias == nil,
                matmul.activation == .identity, let weights = constants[first.io.inputs[1]], weights.shape.count == 2,
                let bias = others.first.flatMap({ constants[$0] }), bias.type == matmul.type,
                bias.count == weights.shape[1], bias.shape.last == weights.shape[1]
            {
                matmul.bias = bias
                return replaced(matmul)
            }
            if let norm = step.kernel as? BatchNormKernel, k == 0, let conv = first.kernel as? ConvKernel,
                conv.activation == .identity, !conv.residual, let folded = fold(norm, io, into: first.io)
            {
                return replaced(conv, inputs: folded)
            }
        }
        return nil
    }

    /// A new value id for a constant made here (folded weights), nameless.
    private mutating func constant(_ c: Constant) -> Int {
        types.append(c.type)
        constants[types.count - 1] = c
        return types.count - 1
    }

    /// The activation a step computes when a product before it can apply it, or nil.
    private func activation(of step: ExecutionPlan.Step) -> Activation? {
        if let unary = step.kernel as? UnaryKernel { return unary.activation }
        if let clip = step.kernel as? ClipKernel { return clip.activation(step.io, constants: constants) }
        return nil
    }

    /// Conv inputs [x, W·k, (b − mean)·k + B] with k = scale / √(var + ε) per feature map, as new
    /// constants; nil unless the weights, bias and statistics are constants that fit.
    private mutating func fold(_ norm: BatchNormKernel, _ io: NodeIO, into conv: NodeIO) -> [Int]? {
        guard conv.inputs.count >= 2, let weights = constants[conv.inputs[1]], weights.type == .float,
            weights.shape.count >= 3, io.inputs.count == 5
        else { return nil }
        let maps = weights.shape[0]
        let stats = io.inputs[1...].compactMap { constants[$0] }
        guard stats.count == 4, stats.allSatisfy({ $0.type == .float && $0.count == maps }) else { return nil }
        var bias = [Float](repeating: 0, count: maps)
        if conv.inputs.count > 2, conv.inputs[2] >= 0 {
            guard let b = constants[conv.inputs[2]], b.type == .float, b.count == maps else { return nil }
            bias = Array(b.elements(as: Float.self))
        }
        let (scale, shift) = (stats[0].elements(as: Float.self), stats[1].elements(as: Float.self))
        let (mean, variance) = (stats[2].elements(as: Float.self), stats[3].elements(as: Float.self))
        let w = weights.elements(as: Float.self)
        let per = maps > 0 ? weights.count / maps : 0
        var newWeights = [Float](repeating: 0, count: weights.count)
        for m in 0..<maps {
            let k = Double(scale[m]) / (Double(variance[m]) + Double(norm.epsilon)).squareRoot()
            for i in m * per..<(m + 1) * per { newWeights[i] = Float(Double(w[i]) * k) }
            bias[m] = Float((Double(bias[m]) - Double(mean[m])) * k + Double(shift[m]))
        }
        let wID = constant(Constant(newWeights, type: .float, shape: weights.shape))
        let bID = constant(Constant(bias, type: .float, shape: [maps]))
        return [conv.inputs[0], wID, bID]
    }
}
