import CKernels
import SluiceCore

/// Pointwise Conv: a 1×1 window, unit strides, no padding and one group, as MobileNet's
/// layers after each depthwise one. An image's output is the weights [maps, channels] times its
/// input [channels, positions]. With constant FP32 weights (`PointwiseWeights`, packed at load)
/// Sluice's own kernel (Sources/CKernels/pointwise.c) computes it, the bias and a Relu or Clip
/// applied to each tile while it is in registers, and the input read in place; otherwise one
/// OpenBLAS sgemm per image, which packs both operands again on every call, then the bias and
/// activation over that image's output while it is still in cache (for 32 images of 128 maps at
/// 56×56, finishing image by image beat one pass over the batch's 51 MB afterwards, and splitting
/// an image into chunks that fit the L2 cache was slower than both: OpenBLAS packs the weights
/// again for every chunk).
extension ConvKernel {
    /// `run` checked the shapes: x [images, channels, positions], w [maps, channels], the bias
    /// `maps` values, out [images, maps, positions], all nonempty. `packed`, when it holds these
    /// weights and `runs` at this level, takes the place of `w`. Called on the request's thread; `level` is
    /// `CPULevel.current` (tests pass each runnable level).
    static func pointwise(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, packed: PointwiseWeights?, bias: UnsafePointer<Float>?,
        into out: UnsafeMutablePointer<Float>, images: Int, channels: Int, maps: Int, positions: Int, activation: Activation,
        level: Int32
    ) {
        if let packed, packed.runs(maps: maps, channels: channels, level: level) {
            let stream = PointwiseWeights.streams(images * maps * positions)
            for b in 0..<images {
                packed.run(
                    x + b * channels * positions, ldx: positions, columns: positions, bias: bias, activation: activation,
                    into: out + b * maps * positions, ldy: positions, stream: stream, level: level)
            }
            return
        }
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

/// The constant FP32 weights [maps, channels(, 1, 1)] of a pointwise Conv laid out once, at load
/// (`GraphCompiler.prepareConvolutions`, after any BatchNormalization was folded into them), in
/// the order Sources/CKernels/pointwise.c reads them: panels of 12 maps, channel after channel.
/// Built on the loading thread, read by any request thread afterwards (immutable). The weights
/// then live twice: the Conv still reads its input 1, for its shape checks and for the OpenBLAS
/// path below `fewestLevel` (SLUICE_CPU_LEVEL=0, a CPU without AVX2, the tests' lower levels).
/// Dropping the original would take shape checks from these weights and an unpacked fallback
/// decided at load, in both Conv kernels, to save at most maps × channels floats per layer
/// (32 KiB for MobileNet's 64 → 128 block, 4 MiB for its widest 1024 → 1024 layer).
struct PointwiseWeights: Sendable {
    let maps: Int
    let channels: Int
    private let buffer: Buffer

    /// Outputs of more floats than this (16 MiB, half this machine's L3 cache) are written past
    /// the caches (non-temporal stores, AVX-512 only): no reader finds such an output there
    /// anyway. Into the workspace's reused buffer, not reading every line before writing it made
    /// the 64 → 128 maps product of 32 images at 56×56 (51 MB) 15% faster; into the fresh
    /// huge-page answer it is written to now (starting 48 bytes past a line, so the kernel peels
    /// each row's first 4 columns), the MobileNet block ran 37.9 ms a call against 39.5 written
    /// through the cache (medians of 11 alternating rounds). Smaller outputs, which the next
    /// layer may still find in the caches, are written through them.
    static let streamingFloats = 1 << 22

    /// Whether an output of `count` floats is written with non-temporal stores (at AVX-512).
    static func streams(_ count: Int) -> Bool { count > streamingFloats }

    /// The packed form of `w`, or nil when `w` is not FP32 [maps, channels] with every further
    /// dimension 1, or the packed form would exceed the model's tensor limit (the Conv then runs
    /// through OpenBLAS, as it would without packing).
    init?(_ w: Constant, limits: ModelLimits) {
        guard w.type == .float, w.shape.count >= 2, w.count > 0, w.shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            return nil
        }
        let (maps, channels) = (w.shape[0], w.shape[1])
        // maps (at most w.count) rounded up to whole panels of 12, times channels, within the limit.
        guard let count = Shape.count([(maps + 11) / 12 * 12, channels], within: limits.maxTensorElements),
            count == sluice_pointwise_packed_count(maps, channels)
        else { return nil }
        (self.maps, self.channels) = (maps, channels)
        buffer = Buffer(bytes: count * MemoryLayout<Float>.size)
        sluice_pointwise_pack(maps, channels, w.elements(as: Float.self).baseAddress, buffer.pointer.assumingMemoryBound(to: Float.self))
    }

    /// The lowest instruction-set level at which the Convs take this kernel. Its SSE2 tile reaches
    /// about half of SSE's peak: with SLUICE_CPU_LEVEL=0 the MobileNet block took 88-97 ms a call
    /// against OpenBLAS's 60 (OpenBLAS still on its AVX-512 kernels there; on a CPU without AVX2
    /// it would use SSE kernels, which are still ahead of ours). The baseline tile keeps the C
    /// kernel whole at every level, which its tests check.
    static let fewestLevel = Int32(SLUICE_CPU_AVX2)

    /// Whether the product with `maps` outputs over `channels` inputs at `level` runs on these
    /// weights (they are its weights, and the level is one where the kernel beats OpenBLAS).
    func runs(maps: Int, channels: Int, level: Int32) -> Bool {
        level >= Self.fewestLevel && maps == self.maps && channels == self.channels
    }

    /// y[m·ldy + j] = activation(bias[m] + Σ_c W[m, c]·x[c·ldx + j]) for every map m and column
    /// j < columns (> 0). A Relu or Clip is applied in the kernel; any other activation over
    /// each map's row afterwards. The caller checked that x has `channels` rows of `ldx` and y
    /// `maps` rows of `ldy`, within their tensors.
    func run(
        _ x: UnsafePointer<Float>, ldx: Int, columns: Int, bias: UnsafePointer<Float>?, activation: Activation,
        into y: UnsafeMutablePointer<Float>, ldy: Int, stream: Bool, level: Int32
    ) {
        let (low, high, rest) = ConvKernel.fusedClamp(activation)
        sluice_pointwise(
            UnsafePointer(buffer.pointer.assumingMemoryBound(to: Float.self)), maps, channels, x, ldx, columns, bias, low, high,
            y, ldy, stream ? 1 : 0, level)
        guard let rest else { return }
        for m in 0..<maps { rest.apply(y + m * ldy, y + m * ldy, columns) }
    }
}
