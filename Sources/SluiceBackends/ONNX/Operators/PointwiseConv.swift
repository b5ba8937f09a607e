/// Pointwise Conv: a 1×1 window, unit strides, no padding and one group, as MobileNet's
/// layers after each depthwise one. An image's output is the weights [maps, channels] times its
/// input [channels, positions], one sgemm; the bias and fused activation are applied to that
/// image's output right after its product, while it is still in cache, instead of in one pass
/// over the whole batch's output afterwards (for 32 images of 128 maps at 56×56, 51 MB read back
/// from memory). Measured on that layer: finishing image by image beat finishing the batch
/// afterwards, and splitting an image's product into chunks that fit the L2 cache was slower
/// than both (OpenBLAS packs the weights again for every chunk).
extension ConvKernel {
    /// `run` checked the shapes: x [images, channels, positions], w [maps, channels], the bias
    /// `maps` values, out [images, maps, positions], all nonempty. Called on the request's thread.
    static func pointwise(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
        images: Int, channels: Int, maps: Int, positions: Int, activation: Activation
    ) {
        let finish = bias != nil || activation != .identity
        for b in 0..<images {
            let output = out + b * maps * positions
            sgemm(m: maps, n: positions, k: channels, w, lda: channels, x + b * channels * positions, ldb: positions, output, ldc: positions)
            guard finish else { continue }
            for m in 0..<maps {
                let plane = output + m * positions
                activation.apply(plane, plane, positions, bias: bias?[m] ?? 0)
            }
        }
    }
}
