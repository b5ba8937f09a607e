import SluiceCore

extension GraphCompiler {
    /// Gives every convolution Winograd computes (`Winograd.init`) its transformed weights,
    /// once, after `fuse` folded any BatchNormalization into them. Called as the plan is
    /// finished; a convolution whose weights are not constant keeps the im2col path.
    mutating func prepareWinograd() {
        for (i, step) in steps.enumerated() {
            guard var conv = step.kernel as? ConvKernel, step.io.inputs.count >= 2, step.io.inputs[1] >= 0,
                let weights = constants[step.io.inputs[1]], let winograd = Winograd(conv, weights: weights)
            else { continue }
            conv.winograd = winograd
            steps[i] = ExecutionPlan.Step(io: step.io, kernel: conv)
        }
    }
}
