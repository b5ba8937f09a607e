import SluiceCore

extension GraphCompiler {
    /// Gives every FP32 Gemm and MatMul whose B is a constant matrix worth packing
    /// (`PackedMatrix.init`) its packed B, once, and takes B off the step's inputs (-1): the
    /// product streams the packed copy and never reads the constant again, so `plan` drops it
    /// unless another step or a graph output still reads it. Called as the plan is finished,
    /// after `fuse` (whose bias fusion looks at MatMul's B); a B that is not packed stays an input
    /// and goes to OpenBLAS. Products that share a B (tied weights) share its packed copy.
    mutating func packWeights() {
        var packings: [PackingKey: PackedMatrix?] = [:]
        func packed(_ b: Int, transposed: Bool) -> PackedMatrix? {
            let key = PackingKey(value: b, transposed: transposed)
            if let known = packings[key] { return known }
            let made = constants[b].flatMap { PackedMatrix($0, transposed: transposed, limits: limits) }
            packings[key] = made
            return made
        }
        for (i, step) in steps.enumerated() {
            let io = step.io
            guard io.inputs.count >= 2, io.inputs[1] >= 0, constants[io.inputs[1]] != nil else { continue }
            var inputs = io.inputs
            inputs[1] = -1
            let kernel: any Kernel
            if var gemm = step.kernel as? GemmKernel, gemm.type == .float,
                let b = packed(io.inputs[1], transposed: gemm.transB)
            {
                gemm.packedB = b
                kernel = gemm
            } else if var matmul = step.kernel as? MatMulKernel, matmul.type == .float,
                let b = packed(io.inputs[1], transposed: false)
            {
                matmul.packedB = b
                kernel = matmul
            } else {
                continue
            }
            steps[i] = ExecutionPlan.Step(io: NodeIO(inputs: inputs, outputs: io.outputs, label: io.label), kernel: kernel)
        }
    }
}

/// A constant and the orientation it was packed in (`packWeights`).
private struct PackingKey: Hashable {
    let value: Int
    let transposed: Bool
}
