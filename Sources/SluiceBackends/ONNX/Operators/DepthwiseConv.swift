import CKernels

/// Depthwise Conv: each input channel convolved with its own kernels (group = input channels,
/// weights [C·multiplier, 1, kH, kW], 2-D), as MobileNet's 3×3 layers are. The general path
/// would run one im2col and one matrix-vector product per channel; here each output plane is
/// one pass of direct loops in C (Sources/CKernels/depthwise.c: AVX-512, AVX2 or baseline) over
/// its input plane, with the bias (a folded BatchNormalization's) and a Relu or Clip applied
/// before the plane is written; any other fused activation runs over the plane while it is
/// still in cache.
extension ConvKernel {
    /// Whether a Conv with these constant weights and group runs depthwise: 2-D weights whose
    /// second dimension (input channels per group) is 1, so every group reads one channel.
    /// Decided once, at make; nil weights (an input, not a constant) take the general path.
    static func isDepthwise(weights: [Int]?) -> Bool {
        guard let shape = weights, shape.count == 4, shape[1] == 1 else { return false }
        return true
    }

    /// The clamp the C kernels (depthwise, pointwise) apply, and what is left for Swift to apply
    /// after it (nil when the clamp is all of the activation).
    static func fusedClamp(_ activation: Activation) -> (low: Float, high: Float, rest: Activation?) {
        switch activation {
        case .identity: (-.infinity, .infinity, nil)
        case .relu: (0, .infinity, nil)
        case .clip(let low, let high): (Float(low), Float(high), nil)
        case .leakyRelu, .sigmoid, .tanh, .gelu, .geluTanh: (-.infinity, .infinity, activation)
        }
    }

    /// Output planes of `images` images: output map m reads input channel m / (maps / channels)
    /// and kernel m. `run` checked the shapes (weights [maps, 1, kH, kW], maps a multiple of
    /// channels, the plan's output within the output tensor), so every size and offset here is a
    /// product of dimensions of tensors that exist. Called on the request's thread; `level` is
    /// `CPULevel.current` (tests pass each runnable level).
    static func depthwise(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, maps: Int, _ p: Window.Plan, activation: Activation, level: Int32
    ) {
        let (H, W, OH, OW) = (p.input[1], p.input[2], p.output[1], p.output[2])
        let (KH, KW) = (p.kernel[1], p.kernel[2])
        let inPlane = H * W, outPlane = OH * OW, taps = KH * KW
        let multiplier = maps / channels
        let (low, high, rest) = fusedClamp(activation)
        for b in 0..<images {
            for m in 0..<maps {
                let plane = out + (b * maps + m) * outPlane
                sluice_depthwise_plane(
                    x + (b * channels + m / multiplier) * inPlane, H, W, w + m * taps, KH, KW, bias?[m] ?? 0, plane, OH, OW,
                    p.stride[1], p.stride[2], p.dilation[1], p.dilation[2], p.padBegin[1], p.padBegin[2], low, high, level)
                rest?.apply(plane, plane, outPlane)
            }
        }
    }
}
