import CKernels
import SluiceCore

/// Winograd F(2×2, 3×3) for a 3×3 convolution with unit strides and dilations, one group and
/// constant weights (a ResNet's convolutions): each 2×2 block of outputs is made from a 4×4
/// input tile with 16 multiplications per (map, channel) instead of 36, so the products are
/// 16 matrix products of [maps × channels] by [channels × tiles], 2.25× fewer flops than the
/// im2col product. The weights are transformed once, at load (`GraphCompiler.prepareConvolutions`,
/// after BatchNormalization was folded into them); the input and output transforms run in C
/// (Sources/CKernels/winograd.c), one block of tile rows at a time so the transformed tiles and
/// their products stay in the L2 cache.
struct Winograd: Sendable {
    /// U = G·g·Gᵀ of each (map, channel) 3×3 kernel g, as 16 matrices [maps × channels]
    /// (element (m, c) of matrix ξ at ξ·maps·channels + m·channels + c).
    let weights: [Float]
    let maps: Int
    let channels: Int

    /// Tiles per block: the block's transformed inputs and products (16 · (channels + maps)
    /// floats per tile) stay near 1 MB, the L2 cache of one core, at 64 channels.
    static let blockTiles = 128

    /// Fewer input channels than this stay on im2col: the 16 products of a block are written
    /// whatever the channels, while the work they save grows with them, so a grayscale stem (one
    /// channel: 16 products of k = 1) runs 1.5× slower as Winograd than as one im2col sgemm of
    /// k = 9 (the bundled-style 1×8×8 CNN, bench/backend-speed.sh).
    static let minChannels = 4

    /// The transform of `w` when the convolution is one Winograd computes: 3×3 window, strides
    /// and dilations 1, one group, FP32 weights [maps, channels, 3, 3] with at least
    /// `minChannels` channels; nil otherwise.
    init?(_ conv: ConvKernel, weights w: Constant) {
        guard conv.group == 1, conv.window.kernel == [3, 3], conv.window.strides == [1, 1],
            conv.window.dilations == [1, 1], w.shape.count == 4, w.shape[1] >= Self.minChannels
        else { return nil }
        self.init(transforming: w)
    }

    /// The transform of FP32 weights [maps, channels, 3, 3]; nil for other weights.
    init?(transforming w: Constant) {
        guard w.type == .float, w.shape.count == 4, w.shape[2] == 3, w.shape[3] == 3 else { return nil }
        let (maps, channels) = (w.shape[0], w.shape[1])
        let g = w.elements(as: Float.self)
        // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], computed in Double and rounded once.
        let rowsG: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        let plane = maps * channels
        var u = [Float](repeating: 0, count: 16 * plane)
        for m in 0..<maps {
            for c in 0..<channels {
                let k = (m * channels + c) * 9
                // t = G·g (4×3), then u = t·Gᵀ (4×4).
                var t = [[Double]](repeating: [0, 0, 0], count: 4)
                for i in 0..<4 {
                    for j in 0..<3 {
                        t[i][j] = (0..<3).reduce(0.0) { $0 + rowsG[i][$1] * Double(g[k + $1 * 3 + j]) }
                    }
                }
                for i in 0..<4 {
                    for j in 0..<4 {
                        let value = (0..<3).reduce(0.0) { $0 + t[i][$1] * rowsG[j][$1] }
                        u[(i * 4 + j) * plane + m * channels + c] = Float(value)
                    }
                }
            }
        }
        (weights, self.maps, self.channels) = (u, maps, channels)
    }

    /// Whether a run with window plan `p` is one this transform computes (2-D, 3×3, unit steps).
    func fits(_ p: Window.Plan, channels: Int, maps: Int) -> Bool {
        p.kernel == [1, 3, 3] && p.stride == [1, 1, 1] && p.dilation == [1, 1, 1] && p.input[0] == 1
            && channels == self.channels && maps == self.maps
    }

    /// Convolves `batch` NCHW images `x` into `out` ([batch, maps, OH, OW] of `p`), adding
    /// `bias` and `residual` (an input of the output's shape) before `activation`. Returns
    /// false, computing nothing, when one block's scratch would pass the model's limit (the
    /// caller then takes the im2col path, which slabs its own). The transforms run at
    /// instruction-set `level` (tests pass each of `CPULevel.runnable`).
    func run(
        _ x: UnsafePointer<Float>, batch: Int, _ p: Window.Plan, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>?, activation: Activation, into out: UnsafeMutablePointer<Float>, _ ws: Workspace,
        level: Int32 = CPULevel.current
    ) -> Bool {
        let (H, W, OH, OW) = (p.input[1], p.input[2], p.output[1], p.output[2])
        let tilesH = (OH + 1) / 2, tilesW = (OW + 1) / 2
        let rowsPerBlock = max(1, Self.blockTiles / tilesW)
        let n = rowsPerBlock * tilesW
        // Transformed tiles and products, then the C side's row buffers.
        guard let tiles = Shape.count([16, channels + maps, n], within: ws.limits.maxTensorElements) else { return false }
        let padWidth = 2 * tilesW + 2
        let total = tiles + 4 * padWidth + 8 * (tilesW + 1) + 4 * tilesW
        let scratch = ws.scratch.reserve(total * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
        let v = scratch, product = scratch + 16 * channels * n
        let pad = scratch + tiles, rows = pad + 4 * padWidth, outRows = rows + 8 * (tilesW + 1)
        let (inStride, outStride, outPlane) = (channels * H * W, maps * OH * OW, OH * OW)
        let tileRows = batch * tilesH
        weights.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            var first = 0
            while first < tileRows {
                let count = min(rowsPerBlock, tileRows - first)
                let width = count * tilesW
                sluice_winograd_input(
                    x, channels, H, W, inStride, p.padBegin[1], p.padBegin[2], tilesH, tilesW, first, count, v, width,
                    pad, rows, level)
                for xi in 0..<16 {
                    sgemm(
                        m: maps, n: width, k: channels, u + xi * maps * channels, lda: channels, v + xi * channels * width,
                        ldb: width, product + xi * maps * width, ldc: width)
                }
                sluice_winograd_output(
                    product, maps, width, bias, residual, out, OH, OW, outStride, tilesH, tilesW, first, count, outRows,
                    level)
                if activation != .identity {
                    // The block's output rows, one contiguous span per (image, map).
                    var g = first
                    while g < first + count {
                        let image = g / tilesH
                        let stop = min(first + count, (image + 1) * tilesH)
                        let top = 2 * (g - image * tilesH), bottom = min(OH, 2 * (stop - image * tilesH))
                        for m in 0..<maps {
                            let span = out + image * outStride + m * outPlane + top * OW
                            activation.apply(span, span, (bottom - top) * OW)
                        }
                        g = stop
                    }
                }
                first += count
            }
        }
        return true
    }
}
