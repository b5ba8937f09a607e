import SluiceCore

extension GraphCompiler {
    /// Lays out once the constant weights of the convolutions that run on Sluice's own kernels:
    /// Winograd's transform of a 3×3 convolution (`Winograd.init`), and the packed weights of a
    /// pointwise 1×1 Conv (`PointwiseWeights`), alone or as the second half of a fused separable
    /// pair. Called as the plan is finished, after `fuse` folded any BatchNormalization into
    /// the weights; a convolution whose weights are not constant keeps the OpenBLAS paths.
    mutating func prepareConvolutions() {
        for (i, step) in steps.enumerated() {
            let inputs = step.io.inputs
            if var conv = step.kernel as? ConvKernel, inputs.count >= 2, inputs[1] >= 0, let weights = constants[inputs[1]] {
                conv.winograd = Winograd(conv, weights: weights)
                if conv.isPointwise { conv.pointwiseWeights = PointwiseWeights(weights, limits: limits) }
                steps[i] = ExecutionPlan.Step(io: step.io, kernel: conv)
            } else if var pair = step.kernel as? SeparableConvKernel, inputs.count > 3, inputs[3] >= 0,
                let weights = constants[inputs[3]]
            {
                pair.pointwise.pointwiseWeights = PointwiseWeights(weights, limits: limits)
                steps[i] = ExecutionPlan.Step(io: step.io, kernel: pair)
            }
        }
    }
}
