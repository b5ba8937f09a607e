import SluiceCore

extension GraphCompiler {
    /// A ResNet's skip connection: Conv (its BatchNormalization already folded, no activation
    /// yet), then Add of another FP32 tensor. The Add runs in the convolution's epilogue, the
    /// other operand becoming the Conv's input 3 (`ConvKernel.residual`), and a Relu after it
    /// fuses as the activation, as for any Conv; the sum is never written and read back.
    ///
    /// `fuse` has checked the Conv's output has this one reader and is not a graph output. The
    /// fused step runs where the Conv did, so the other operand must be there by then: a
    /// constant, a graph input or the output of an earlier step, never one made between the
    /// Conv and the Add. Returns the fused kernel and its inputs, or nil.
    func residualFusion(
        of step: ExecutionPlan.Step, onto conv: ExecutionPlan.Step, at: Int, others: [Int], producer: [Int: Int]
    ) -> (kernel: ConvKernel, inputs: [Int])? {
        guard let add = step.kernel as? ArithmeticKernel, add.op == .add, add.legacyAxis == nil, add.type == .float,
            var kernel = conv.kernel as? ConvKernel, !kernel.residual, kernel.activation == .identity,
            others.count == 1, others[0] >= 0, conv.io.inputs.count <= 3
        else { return nil }
        let other = others[0]
        if let made = producer[other], made >= at { return nil }
        kernel.residual = true
        let inputs = conv.io.inputs + Array(repeating: -1, count: 3 - conv.io.inputs.count) + [other]
        return (kernel, inputs)
    }
}
