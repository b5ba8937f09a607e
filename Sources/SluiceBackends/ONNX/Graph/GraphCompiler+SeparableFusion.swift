import SluiceCore

/// Fusion at load of a depthwise Conv and the pointwise 1×1 Conv that reads its output
/// (`SeparableConvKernel`), after `fuse` has folded each Conv's BatchNormalization and
/// activation into it. Only when the depthwise output has that one reader and is not a graph
/// output, and the pointwise Conv has one group, a 1×1 window, unit strides, no padding and
/// constant weights and bias, and neither has a residual Add fused into it (a MobileNetV2 block's
/// skip after the projection stays on its own Conv): the fused step then takes the depthwise step's place, which is
/// sound because the pointwise step's other inputs are constants.
extension GraphCompiler {
    mutating func fuseSeparable(outputs: Set<Int>) {
        let readers = readerCounts()
        var result: [ExecutionPlan.Step] = []
        var producer: [Int: Int] = [:]
        for step in steps {
            let io = step.io
            if let second = step.kernel as? ConvKernel, isPointwise(second, io), io.outputs.count == 1,
                let v = io.inputs.first, v >= 0, readers[v] == 1, !outputs.contains(v), let at = producer[v],
                let first = result[at].kernel as? ConvKernel, first.depthwise, result[at].io.outputs == [v],
                // A residual fused into either Conv (input 3) is not part of the pair's inputs.
                !first.residual, !second.residual
            {
                let firstInputs = result[at].io.inputs
                let inputs = [firstInputs[0], firstInputs[1], firstInputs.count > 2 ? firstInputs[2] : -1,
                    io.inputs[1], io.inputs.count > 2 ? io.inputs[2] : -1]
                let label = Activation.label(result[at].io.label, io.label)
                result[at] = ExecutionPlan.Step(
                    io: NodeIO(inputs: inputs, outputs: io.outputs, label: label),
                    kernel: SeparableConvKernel(depthwise: first, pointwise: second))
                producer[io.outputs[0]] = at
                continue
            }
            for v in io.outputs where v >= 0 { producer[v] = result.count }
            result.append(step)
        }
        steps = result
    }

    /// A pointwise Conv (`ConvKernel.isPointwise`) whose weights are a constant [maps, channels,
    /// 1, 1] and whose bias, if any, is a constant.
    private func isPointwise(_ conv: ConvKernel, _ io: NodeIO) -> Bool {
        guard conv.isPointwise, conv.window.kernel == [1, 1], io.inputs.count >= 2, let w = constants[io.inputs[1]],
            w.shape.count == 4, w.shape[2] == 1, w.shape[3] == 1
        else { return false }
        return io.inputs.count <= 2 || io.inputs[2] < 0 || constants[io.inputs[2]] != nil
    }
}
