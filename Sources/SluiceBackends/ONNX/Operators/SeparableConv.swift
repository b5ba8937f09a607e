import SluiceCore

/// A depthwise Conv followed by a pointwise 1×1 Conv (MobileNet's separable block), fused at
/// load (`GraphCompiler.fuseSeparable`), run a band of output rows at a time: the depthwise
/// output of an image (800 KB for 64 maps at 56×56), or of as many rows of it as fit
/// `bandBytes`, goes to the workspace's scratch and the pointwise product reads it at once, from
/// the L2 cache, into those rows of every output map. The batch's intermediate (25.7 MB for 32
/// such images) is never written. Each half keeps its own kernel: the depthwise one with its
/// folded BatchNormalization and activation (its bias and clamp in the C pass), the pointwise
/// one with its own, in its tiles' epilogue. Without packed pointwise weights, a whole image's
/// depthwise output is multiplied by one sgemm.
///
/// Inputs: [x, depthwise weights, depthwise bias or −1, pointwise weights, pointwise bias or −1].
struct SeparableConvKernel: Kernel {
    let depthwise: ConvKernel
    var pointwise: ConvKernel

    /// The most bytes of depthwise output per band: 1 MiB, a core's L2 cache. An image of 64 maps
    /// at 56×56 (800 KB) is one band: cut into bands of 128 KiB it ran 7% slower, the depthwise
    /// half then reading its 64 input planes a few rows at a time instead of one after another.
    static let bandBytes = 1 << 20

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), dw = ws.input(io, 1), pw = ws.input(io, 3)
        // The checks ConvKernel.run makes for each half, with the intermediate's shape in between.
        guard x.rank == 4, dw.rank == 4, pw.rank == 4 else {
            throw io.fail("input \(x.shape) and weights \(dw.shape), \(pw.shape) do not fit")
        }
        let batch = x.shape[0], channels = x.shape[1], maps = dw.shape[0], group = depthwise.group
        guard channels % group == 0, maps % group == 0, dw.shape[1] == channels / group, dw.shape[1] == 1,
            Array(dw.shape.dropFirst(2)) == depthwise.window.kernel
        else {
            throw io.fail("input \(x.shape), weights \(dw.shape) and group \(group) do not fit")
        }
        let p = try depthwise.window.plan(Array(x.shape.dropFirst(2)), io)
        let middle = [batch, maps] + p.outputDims
        guard Shape.count(middle, within: ws.limits.maxTensorElements) != nil else {
            throw io.fail("depthwise output \(ws.limits.beyond(middle))")
        }
        let outMaps = pw.shape[0]
        guard pw.shape[1] == maps, Array(pw.shape.dropFirst(2)) == pointwise.window.kernel else {
            throw io.fail("depthwise output \(middle) and pointwise weights \(pw.shape) do not fit")
        }
        let q = try pointwise.window.plan(p.outputDims, io)
        guard q.outputDims == p.outputDims else { throw io.fail("the pointwise Conv changes the image \(p.outputDims)") }
        let firstBias = try Self.bias(io, 2, maps: maps, ws)
        let secondBias = try Self.bias(io, 4, maps: outMaps, ws)
        let out = try ws.output(io, 0, .float, [batch, outMaps] + p.outputDims, as: Float.self)
        guard batch > 0, outMaps > 0, !p.outputDims.contains(0) else { return }
        let positions = p.output[0] * p.output[1] * p.output[2]
        let inPlane = p.input[0] * p.input[1] * p.input[2]
        let (px, pdw, ppw) = (x.pointer(Float.self), dw.pointer(Float.self), pw.pointer(Float.self))
        let level = CPULevel.current
        if let packed = pointwise.pointwiseWeights, packed.runs(maps: outMaps, channels: maps, level: level) {
            // Rows of one output depth (2-D: p.output[0] is 1), each band the depthwise window
            // with the padding before moved by the band's first row, as im2col's slabs do.
            let (rowsOut, width) = (p.output[1], p.output[2])
            // A band's output rows may start anywhere in a 64-byte line: the kernel peels the
            // columns before the first line when it streams.
            let rows = Swift.max(1, Swift.min(rowsOut, Self.bandBytes / MemoryLayout<Float>.size / Swift.max(maps * width, 1)))
            let band = ws.scratch.reserve(Swift.max(maps * rows * width, 1) * MemoryLayout<Float>.size)
                .assumingMemoryBound(to: Float.self)
            let stream = PointwiseWeights.streams(batch * outMaps * positions)
            for b in 0..<batch {
                var first = 0
                while first < rowsOut {
                    let n = Swift.min(rows, rowsOut - first)
                    var part = p
                    part.output[1] = n
                    part.padBegin[1] -= first * p.stride[1]
                    ConvKernel.depthwise(
                        px + b * channels * inPlane, pdw, bias: firstBias, into: band, images: 1, channels: channels, maps: maps,
                        part, activation: depthwise.activation, level: level)
                    packed.run(
                        band, ldx: n * width, columns: n * width, bias: secondBias, activation: pointwise.activation,
                        into: out + b * outMaps * positions + first * width, ldy: positions, stream: stream, level: level)
                    first += n
                }
            }
            return
        }
        // One image's intermediate, within the limit checked above for the whole batch.
        let image = ws.scratch.reserve(max(maps * positions, 1) * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
        for b in 0..<batch {
            ConvKernel.depthwise(
                px + b * channels * inPlane, pdw, bias: firstBias, into: image, images: 1, channels: channels, maps: maps, p,
                activation: depthwise.activation, level: level)
            ConvKernel.pointwise(
                image, ppw, packed: nil, bias: secondBias, into: out + b * outMaps * positions, images: 1, channels: maps,
                maps: outMaps, positions: positions, activation: pointwise.activation, level: level)
        }
    }

    /// Input `i`, a bias of `maps` values, or nil when absent.
    private static func bias(_ io: NodeIO, _ i: Int, maps: Int, _ ws: Workspace) throws(ServingError) -> UnsafePointer<Float>? {
        guard ws.has(io, i) else { return nil }
        let b = ws.input(io, i)
        guard b.count == maps else { throw io.fail("bias has \(b.count) values for \(maps) feature maps") }
        return b.pointer(Float.self)
    }
}
