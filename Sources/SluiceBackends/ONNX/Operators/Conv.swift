import SluiceCore

/// Conv (1-D to 3-D, groups, pads or auto_pad, strides, dilations, optional bias): per group,
/// the input patches of a chunk of images are laid out as one matrix (im2col) and multiplied
/// with the weights by one sgemm. A 1×1 window with unit strides and no padding reads the input
/// as it is. The bias and a fused activation are applied in the one pass that moves the product
/// into place (or in place after it). A 3×3 convolution with unit steps and constant weights runs
/// as Winograd F(2×2, 3×3) instead (`Winograd`). A residual Add fused at load
/// (`GraphCompiler.fuseResidual`) is input 3, added before the activation.
struct ConvKernel: Kernel {
    let window: Window
    let group: Int
    /// The Relu, Clip, … node that followed, fused at load (`GraphCompiler.fuse`).
    var activation = Activation.identity
    /// The weights transformed for Winograd, when it computes this convolution
    /// (`GraphCompiler.prepareConvolutions`).
    var winograd: Winograd?
    /// Whether input 3 is a tensor to add to the output before the activation: the other
    /// operand of an Add that followed (`GraphCompiler.fuseResidual`).
    var residual = false
    /// One input channel per group, 2-D, constant weights: run by `depthwise` (DepthwiseConv.swift).
    var depthwise = false
    /// The weights packed for Sluice's pointwise kernel, when this is a 1×1 Conv with one group
    /// and constant FP32 weights (`GraphCompiler.prepareConvolutions`, PointwiseConv.swift).
    var pointwiseWeights: PointwiseWeights?

    /// A 1×1 window with unit strides, no padding (explicit zeros or VALID) and one group: each
    /// image's output is the weights times its input as it is (`pointwise`).
    var isPointwise: Bool {
        guard group == 1, !window.kernel.isEmpty, window.kernel.allSatisfy({ $0 == 1 }), window.strides.allSatisfy({ $0 == 1 }) else { return false }
        switch window.padding {
        case .explicit(let pads): return pads.allSatisfy { $0 == 0 }
        case .valid: return true
        case .sameUpper, .sameLower: return false
        }
    }

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...3)
        // X and W are read on every run; only the bias may be absent.
        for i in 0..<n.inputTypes.count where i < 2 || n.has(i) { _ = try n.type(i, in: [.float]) }
        let weightKernel = n.constants[1].map { Array($0.shape.dropFirst(2)) }
        let window = try Window.read(n, rank: weightKernel?.count, kernel: weightKernel, ceilMode: false)
        let group = n.attributes.int("group", default: 1)
        guard group >= 1 else { throw n.fail("group \(group) must be positive") }
        // A single-channel input (group 1) stays on im2col, which puts a chunk of images in one
        // sgemm: the per-plane kernel ran a grayscale 8×8 stem 1.5× slower.
        let depthwise = group > 1 && Self.isDepthwise(weights: n.constants[1]?.shape)
        return Compiled(kernel: ConvKernel(window: window, group: group, depthwise: depthwise), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), w = ws.input(io, 1)
        guard x.rank == w.rank, x.rank >= 3 else { throw io.fail("input \(x.shape) and weights \(w.shape) do not fit") }
        let batch = x.shape[0], channels = x.shape[1], maps = w.shape[0]
        let cg = channels / group
        guard channels % group == 0, maps % group == 0, w.shape[1] == cg,
            Array(w.shape.dropFirst(2)) == window.kernel
        else {
            throw io.fail("input \(x.shape), weights \(w.shape) and group \(group) do not fit")
        }
        let p = try window.plan(Array(x.shape.dropFirst(2)), io)
        let bias: UnsafePointer<Float>?
        if ws.has(io, 2) {
            let b = ws.input(io, 2)
            guard b.count == maps else { throw io.fail("bias has \(b.count) values for \(maps) feature maps") }
            bias = b.pointer(Float.self)
        } else {
            bias = nil
        }
        let shape = [batch, maps] + p.outputDims
        guard residual, ws.has(io, 3) else {
            let out = try ws.output(io, 0, .float, shape, as: Float.self)
            try convolve(x, w, p, bias: bias, residual: nil, activation: activation, into: out, ws, io)
            return
        }
        let r = ws.input(io, 3)
        guard r.type == .float else { throw io.fail("the residual is \(r.type), not FP32") }
        if r.shape == shape {
            let out = try ws.output(io, 0, .float, shape, as: Float.self)
            try convolve(x, w, p, bias: bias, residual: r.pointer(Float.self), activation: activation, into: out, ws, io)
            return
        }
        // The Add broadcasts (a residual of another shape): the convolution goes to a buffer of
        // its own, then the Add and the activation run as their nodes would have.
        guard let total = Broadcast.shape(shape, r.shape) else { throw io.fail("shapes \(shape) and \(r.shape) do not broadcast") }
        guard let count = Shape.count(shape, within: ws.limits.maxTensorElements) else {
            throw io.fail("output \(ws.limits.beyond(shape))")
        }
        let spill = Buffer(bytes: count * MemoryLayout<Float>.size)
        let product = spill.pointer.assumingMemoryBound(to: Float.self)
        try convolve(x, w, p, bias: bias, residual: nil, activation: .identity, into: product, ws, io)
        let out = try ws.output(io, 0, .float, total, as: Float.self)
        let operand = Operand(shape: shape, type: .float, count: count, base: UnsafeRawPointer(product))
        Broadcast.map(operand, r, total, out) { (a: Float, b: Float) in a + b }
        activation.apply(out, out, total.reduce(1, *))
    }

    /// The convolution of `x` by `w` with window plan `p` into `out` ([batch, maps] + output
    /// dims), adding `bias` (per map) and `residual` (of the output's shape) before
    /// `activation`.
    private func convolve(
        _ x: Operand, _ w: Operand, _ p: Window.Plan, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        activation: Activation, into out: UnsafeMutablePointer<Float>, _ ws: Workspace, _ io: NodeIO
    ) throws(ServingError) {
        let batch = x.shape[0], channels = x.shape[1], maps = w.shape[0]
        let cg = channels / group, mg = maps / group
        // Nothing to compute. The loops below run images × groups times, which a nonempty output
        // bounds (groups divide maps), an empty one does not: a file's group of 2^62 divides 0
        // channels and 0 maps.
        guard batch > 0, maps > 0, !p.outputDims.contains(0) else { return }
        if let winograd, winograd.fits(p, channels: channels, maps: maps),
            winograd.run(
                x.pointer(Float.self), batch: batch, p, bias: bias, residual: residual, activation: activation, into: out,
                ws)
        {
            return
        }
        if let residual {
            // im2col adds the residual after the product, then activates: one more pass.
            try convolve(x, w, p, bias: bias, residual: nil, activation: .identity, into: out, ws, io)
            let count = batch * maps * p.outputDims.reduce(1, *)
            for i in 0..<count { out[i] += residual[i] }
            activation.apply(out, out, count)
            return
        }
        if depthwise, cg == 1, x.rank == 4 {
            let (px, pw) = (x.pointer(Float.self), w.pointer(Float.self))
            return Self.depthwise(
                px, pw, bias: bias, into: out, images: batch, channels: channels, maps: maps, p, activation: activation,
                level: CPULevel.current)
        }
        let inPlane = p.input[0] * p.input[1] * p.input[2]
        let outPlane = p.output[0] * p.output[1] * p.output[2]
        let taps = p.kernel[0] * p.kernel[1] * p.kernel[2]
        let rows = cg * taps
        let direct = taps == 1 && p.stride == [1, 1, 1] && p.padBegin == [0, 0, 0] && p.padEnd == [0, 0, 0]
        let px = x.pointer(Float.self), pw = w.pointer(Float.self)
        let finish = bias != nil || activation != .identity
        // Bias and activation over the finished output planes of images [first, first + n).
        func finishInPlace(_ first: Int, _ n: Int, maps range: Range<Int>) {
            guard finish else { return }
            for b in first..<(first + n) {
                for m in range {
                    let plane = out + (b * maps + m) * outPlane
                    activation.apply(plane, plane, outPlane, bias: bias?[m] ?? 0)
                }
            }
        }
        if direct, group == 1 {
            return Self.pointwise(
                px, pw, packed: pointwiseWeights, bias: bias, into: out, images: batch, channels: channels, maps: maps,
                positions: outPlane, activation: activation, level: CPULevel.current)
        }
        if direct {
            // The input planes already are the patch matrix, one image at a time.
            for b in 0..<batch {
                for g in 0..<group {
                    sgemm(
                        m: mg, n: outPlane, k: rows, pw + g * mg * rows, lda: rows,
                        px + (b * channels + g * cg) * inPlane, ldb: outPlane, out + (b * maps + g * mg) * outPlane, ldc: outPlane)
                }
            }
            finishInPlace(0, batch, maps: 0..<maps)
        } else if Shape.count([rows, outPlane], within: ws.limits.maxTensorElements) == nil {
            // One image's patches would be a matrix beyond the limit (a U-Net's 3×3 conv over 64
            // channels at 512×512 has 151 M elements; `rows`, channels × taps, cannot overflow,
            // `rows × outPlane` can): the image is done in slabs of output rows of one output
            // depth, each the im2col of the same window with the padding before moved by the
            // slab's start, whose patches are within the limit.
            let (OD, OH, OW) = (p.output[0], p.output[1], p.output[2])
            guard Shape.count([rows, OW], within: ws.limits.maxTensorElements) != nil else {
                throw io.fail("the patch matrix of one output row: \(ws.limits.beyond([rows, OW]))")
            }
            let slab = min(OH, ws.limits.maxTensorElements / (rows * OW))
            let col = ws.scratch.reserve(rows * slab * OW * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
            for b in 0..<batch {
                for od in 0..<OD {
                    var oh = 0
                    while oh < OH {
                        let n = min(slab, OH - oh)
                        var part = p
                        part.output = [1, n, OW]
                        part.padBegin[0] -= od * p.stride[0]
                        part.padBegin[1] -= oh * p.stride[1]
                        for g in 0..<group {
                            Self.im2col(px + (b * channels + g * cg) * inPlane, channels: cg, part, into: col, rowStride: n * OW)
                            sgemm(
                                m: mg, n: n * OW, k: rows, pw + g * mg * rows, lda: rows, col, ldb: n * OW,
                                out + (b * maps + g * mg) * outPlane + (od * OH + oh) * OW, ldc: outPlane)
                        }
                        oh += n
                    }
                }
            }
            finishInPlace(0, batch, maps: 0..<maps)
        } else {
            // Images side by side in one patch matrix (columns (image, position)), so a chunk of
            // images is one sgemm per group instead of one per image; the chunk's patches are
            // bounded to 64 Ki floats (256 KB) so they and the product stay in the L2 cache.
            let chunk = max(1, min(batch, (1 << 16) / max(rows * outPlane, 1)))
            let colCount = rows * chunk * outPlane
            let scratch = ws.scratch.reserve((colCount + mg * chunk * outPlane) * MemoryLayout<Float>.size)
                .assumingMemoryBound(to: Float.self)
            let col = scratch, product = scratch + colCount
            var first = 0
            while first < batch {
                let images = min(chunk, batch - first)
                let width = images * outPlane
                for g in 0..<group {
                    Self.im2col(
                        px + (first * channels + g * cg) * inPlane, channels: cg, p, into: col, rowStride: width,
                        images: images, imageStride: channels * inPlane)
                    if images == 1 {
                        sgemm(
                            m: mg, n: outPlane, k: rows, pw + g * mg * rows, lda: rows, col, ldb: width,
                            out + (first * maps + g * mg) * outPlane, ldc: outPlane)
                        finishInPlace(first, 1, maps: g * mg..<(g + 1) * mg)
                        continue
                    }
                    sgemm(m: mg, n: width, k: rows, pw + g * mg * rows, lda: rows, col, ldb: width, product, ldc: width)
                    for i in 0..<images {
                        for m in 0..<mg {
                            activation.apply(
                                product + m * width + i * outPlane, out + ((first + i) * maps + g * mg + m) * outPlane,
                                outPlane, bias: bias?[g * mg + m] ?? 0)
                        }
                    }
                }
                first += images
            }
        }
    }

    /// Lays out every window position's inputs as one column: row (c, kd, kh, kw), column
    /// (image, od, oh, ow), rows `rowStride` apart; positions in the padding read 0. Images are
    /// `imageStride` floats apart in `x`; the geometry of a row is worked out once for all.
    static func im2col(
        _ x: UnsafePointer<Float>, channels: Int, _ p: Window.Plan, into col: UnsafeMutablePointer<Float>, rowStride: Int,
        images: Int = 1, imageStride: Int = 0
    ) {
        let (D, H, W) = (p.input[0], p.input[1], p.input[2])
        let (OD, OH, OW) = (p.output[0], p.output[1], p.output[2])
        let (KD, KH, KW) = (p.kernel[0], p.kernel[1], p.kernel[2])
        let (SD, SH, SW) = (p.stride[0], p.stride[1], p.stride[2])
        let (DD, DH, DW) = (p.dilation[0], p.dilation[1], p.dilation[2])
        let (PD, PH, PW) = (p.padBegin[0], p.padBegin[1], p.padBegin[2])
        let positions = OD * OH * OW
        // Unit strides and output rows as wide as the input's: a window offset's row of patches
        // is the plane shifted, copied as one block instead of one short copy per output row.
        let blocks = SH == 1 && SW == 1 && OW == W
        var row = col
        for c in 0..<channels {
            let plane = x + c * D * H * W
            for kd in 0..<KD {
                for kh in 0..<KH {
                    for kw in 0..<KW {
                        // Output columns whose input column is inside the image: [low, high).
                        let offset = kw * DW - PW
                        let low = offset >= 0 ? 0 : Swift.min(OW, (-offset + SW - 1) / SW)
                        let high = Swift.max(low, Swift.min(OW, W - offset > 0 ? (W - offset + SW - 1) / SW : 0))
                        if blocks {
                            Self.shiftedPlanes(
                                plane, p, kd: kd, kh: kh, offset: offset, low: low, high: high, into: row,
                                images: images, imageStride: imageStride)
                            row += rowStride
                            continue
                        }
                        for image in 0..<images {
                            let source = plane + image * imageStride
                            var o = image * positions
                            for od in 0..<OD {
                                let id = od * SD - PD + kd * DD
                                for oh in 0..<OH {
                                    let ih = oh * SH - PH + kh * DH
                                    let out = row + o
                                    o += OW
                                    if id < 0 || id >= D || ih < 0 || ih >= H {
                                        out.update(repeating: 0, count: OW)
                                        continue
                                    }
                                    let line = source + (id * H + ih) * W + offset
                                    for ow in 0..<low { out[ow] = 0 }
                                    if SW == 1 {
                                        (out + low).update(from: line + low, count: high - low)
                                    } else {
                                        for ow in low..<high { out[ow] = line[ow * SW] }
                                    }
                                    for ow in high..<OW { out[ow] = 0 }
                                }
                            }
                        }
                        row += rowStride
                    }
                }
            }
        }
    }

    /// One im2col row when strides are 1 and `OW == W`: for each image and output depth, the
    /// output rows whose input row is inside the image are one contiguous block of the input
    /// plane shifted by `offset` columns; the columns that block takes from the neighbouring
    /// input rows (outside [low, high)) and the rows outside the image are zeroed.
    @inline(__always)
    private static func shiftedPlanes(
        _ plane: UnsafePointer<Float>, _ p: Window.Plan, kd: Int, kh: Int, offset: Int, low: Int, high: Int,
        into row: UnsafeMutablePointer<Float>, images: Int, imageStride: Int
    ) {
        let (D, H, W) = (p.input[0], p.input[1], p.input[2])
        let (OD, OH, OW) = (p.output[0], p.output[1], p.output[2])
        let shiftH = kh * p.dilation[1] - p.padBegin[1]
        let ohLow = Swift.min(OH, Swift.max(0, -shiftH))
        let ohHigh = Swift.max(ohLow, Swift.min(OH, H - shiftH))
        let inside = ohHigh - ohLow
        // Source index of a block's first element within its depth's H×W slice; the copy is
        // clipped to the slice (what it clips lies outside [low, high)).
        let start = (ohLow + shiftH) * W + offset
        let begin = Swift.max(0, -start)
        let end = Swift.min(inside * OW, H * W - start)
        let (lead, trail) = (ohLow * OW, (OH - ohHigh) * OW)
        for image in 0..<images {
            let source = plane + image * imageStride
            for od in 0..<OD {
                let id = od * p.stride[0] - p.padBegin[0] + kd * p.dilation[0]
                let out = row + (image * OD + od) * OH * OW
                guard id >= 0, id < D, inside > 0 else {
                    out.update(repeating: 0, count: OH * OW)
                    continue
                }
                if lead > 0 { out.update(repeating: 0, count: lead) }
                if trail > 0 { (out + ohHigh * OW).update(repeating: 0, count: trail) }
                let block = out + lead
                if end > begin {
                    (block + begin).update(from: source + (id * H * W + start + begin), count: end - begin)
                }
                if low > 0 || high < OW {
                    for r in 0..<inside {
                        let line = block + r * OW
                        for ow in 0..<low { line[ow] = 0 }
                        for ow in high..<OW { line[ow] = 0 }
                    }
                }
            }
        }
    }
}
