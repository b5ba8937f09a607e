import SluiceCore

/// ConvTranspose (1-D to 3-D, groups, strides, dilations, pads or auto_pad, output_padding,
/// output_shape, optional bias): per image and group, one sgemm multiplies the transposed
/// weights by the input planes into a column matrix (a row per output channel and tap, a column
/// per input position), which col2im adds into the output. Conv's window attributes are read
/// and bounded as Conv reads them (`Window.read`); output_padding and output_shape are bounded
/// by `limits.maxTensorElements` at load, so the output size cannot overflow.
struct ConvTransposeKernel: Kernel {
    /// The window; when its kernel is only known from the weights at run time, a placeholder
    /// of ones, of the rank the attributes give (`sized`) or of none (every attribute absent).
    let window: Window
    let kernelFromWeights: Bool
    let sized: Bool
    let group: Int
    /// nil: zeros.
    let outputPadding: [Int]?
    /// The spatial output size asked for (its last `rank` values), or nil to compute it.
    let outputShape: [Int]?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...3)
        for i in 0..<n.inputTypes.count where i < 2 || n.has(i) { _ = try n.type(i, in: [.float]) }
        let a = n.attributes
        let weightKernel = n.constants[1].map { Array($0.shape.dropFirst(2)) }
        let knownKernel = a.has("kernel_shape") || weightKernel != nil
        // Without a kernel at load, the attributes that have one value per spatial dimension
        // give the rank of a placeholder kernel, so Window.read checks them as Conv's.
        let rank = a.ints("strides")?.count ?? a.ints("dilations")?.count ?? a.ints("output_padding")?.count
            ?? a.ints("pads").map { $0.count / 2 }
        let placeholder = knownKernel ? weightKernel : Array(repeating: 1, count: rank ?? 1)
        let window = try Window.read(n, rank: weightKernel?.count, kernel: placeholder, ceilMode: false)
        let r = window.kernel.count
        let group = a.int("group", default: 1)
        let longest = n.limits.maxTensorElements
        guard group >= 1, group <= longest else { throw n.fail("group \(group) is out of range") }
        let outputPadding = a.ints("output_padding")
        if let outputPadding, outputPadding.count != r || !outputPadding.allSatisfy({ $0 >= 0 && $0 <= longest }) {
            throw n.fail("output_padding \(outputPadding) does not fit \(r) spatial dimensions")
        }
        let outputShape = a.ints("output_shape")
        if let shape = outputShape {
            guard shape.count >= r || !knownKernel && rank == nil, shape.allSatisfy({ $0 >= 0 && $0 <= longest }) else {
                throw n.fail("output_shape \(shape) does not fit \(r) spatial dimensions")
            }
        }
        let kernel = ConvTransposeKernel(
            window: window, kernelFromWeights: !knownKernel, sized: knownKernel || rank != nil, group: group,
            outputPadding: outputPadding, outputShape: outputShape)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    /// The geometry of one run, widened to three spatial dimensions as `Window.Plan` is.
    private func plan(_ spatial: [Int], _ window: Window, _ io: NodeIO) throws(ServingError) -> Window.Plan {
        let r = window.kernel.count
        let outputPadding = self.outputPadding ?? Array(repeating: 0, count: r)
        let outputShape = self.outputShape.map { Array($0.suffix(r)) }
        if let outputShape, outputShape.count != r { throw io.fail("output_shape does not fit \(r) spatial dimensions") }
        guard spatial.count == r else { throw io.fail("input has \(spatial.count) spatial dimensions; the window has \(r)") }
        var p = Window.Plan()
        let shift = 3 - r
        for i in 0..<r {
            let size = spatial[i], s = window.strides[i], d = window.dilations[i]
            // Each term is at most 2^30 (the limits), so the sum stays far below Int.max.
            let full = s * max(size - 1, 0) + outputPadding[i] + (window.kernel[i] - 1) * d + 1
            var begin = 0, end = 0
            var target: Int?
            switch window.padding {
            case .explicit(let pads):
                begin = pads[i]
                end = pads[i + r]
            case .valid: break
            case .sameUpper, .sameLower: target = size * s
            }
            if let shape = outputShape { target = shape[i] }
            if let target {
                let total = full - target
                let upper: Bool
                if case .sameUpper = window.padding { upper = true } else { upper = false }
                // Halved rounding down, as ONNX's reference does (a larger output pads by < 0).
                let half = total >= 0 ? total / 2 : -((1 - total) / 2)
                begin = upper ? half : total - half
                end = total - begin
            }
            let out = full - begin - end
            guard out >= 0 else { throw io.fail("pads \(begin), \(end) crop more than the output of \(full) holds") }
            p.input[shift + i] = size
            p.output[shift + i] = out
            p.kernel[shift + i] = window.kernel[i]
            p.stride[shift + i] = s
            p.dilation[shift + i] = d
            p.padBegin[shift + i] = begin
            p.padEnd[shift + i] = end
            p.outputDims.append(out)
        }
        return p
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), w = ws.input(io, 1)
        guard x.rank == w.rank, x.rank >= 3 else { throw io.fail("input \(x.shape) and weights \(w.shape) do not fit") }
        let batch = x.shape[0], channels = x.shape[1]
        let cg = channels / group, mg = w.shape[1], maps = mg * group
        let window = try self.window(for: Array(w.shape.dropFirst(2)), ws.limits, io)
        guard channels % group == 0, w.shape[0] == channels, Array(w.shape.dropFirst(2)) == window.kernel else {
            throw io.fail("input \(x.shape), weights \(w.shape) and group \(group) do not fit")
        }
        let p = try plan(Array(x.shape.dropFirst(2)), window, io)
        var bias: UnsafePointer<Float>?
        if ws.has(io, 2) {
            let b = ws.input(io, 2)
            guard b.count == maps else { throw io.fail("bias has \(b.count) values for \(maps) feature maps") }
            bias = b.pointer(Float.self)
        }
        let out = try ws.output(io, 0, .float, [batch, maps] + p.outputDims, as: Float.self)
        let outPlane = p.output[0] * p.output[1] * p.output[2]
        out.update(repeating: 0, count: batch * maps * outPlane)
        let inPlane = p.input[0] * p.input[1] * p.input[2]
        let taps = p.kernel[0] * p.kernel[1] * p.kernel[2]
        guard batch > 0, maps > 0, outPlane > 0 else { return }
        if inPlane > 0 && cg > 0 {
            // mg and taps come from the weights (within the limit), so the product cannot overflow.
            guard Shape.count([mg * taps, inPlane], within: ws.limits.maxTensorElements) != nil else {
                throw io.fail("the column matrix: \(ws.limits.beyond([mg * taps, inPlane]))")
            }
            let col = ws.scratch.reserve(mg * taps * inPlane * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
            let px = x.pointer(Float.self), pw = w.pointer(Float.self)
            for b in 0..<batch {
                for g in 0..<group {
                    sgemm(
                        transA: true, m: mg * taps, n: inPlane, k: cg, pw + g * cg * mg * taps, lda: mg * taps,
                        px + (b * channels + g * cg) * inPlane, ldb: inPlane, col, ldc: inPlane)
                    Self.col2im(col, maps: mg, p, into: out + (b * maps + g * mg) * outPlane)
                }
            }
        }
        guard let bias else { return }
        for b in 0..<batch {
            for m in 0..<maps {
                let plane = out + (b * maps + m) * outPlane
                Activation.identity.apply(plane, plane, outPlane, bias: bias[m])
            }
        }
    }

    /// The window with the weights' kernel when the file did not give it: the attributes read
    /// at load, or their defaults for the weights' rank. Its extent is bounded as `Window.read`
    /// bounds one.
    private func window(for kernel: [Int], _ limits: ModelLimits, _ io: NodeIO) throws(ServingError) -> Window {
        guard kernelFromWeights else { return window }
        let r = kernel.count
        guard (1...3).contains(r), !sized || r == window.kernel.count else {
            throw io.fail("weights with \(r) spatial dimensions do not fit the node's attributes")
        }
        let dilations = sized ? window.dilations : Array(repeating: 1, count: r)
        if let extent = zip(kernel, dilations).map({ ($0 - 1) * $1 + 1 }).first(where: { $0 > limits.maxTensorElements }) {
            throw io.fail("the kernel spans \(extent) elements, beyond limits.max_model_tensor_elements (\(limits.maxTensorElements))")
        }
        var padding = window.padding
        if !sized, case .explicit = padding { padding = .explicit(Array(repeating: 0, count: 2 * r)) }
        return Window(
            kernel: kernel, strides: sized ? window.strides : Array(repeating: 1, count: r), dilations: dilations,
            padding: padding, ceilMode: false)
    }

    /// Adds row (m, kd, kh, kw), column (id, ih, iw) of `col` into output (m, od, oh, ow) where
    /// o = i × stride − padBegin + k × dilation falls inside the output.
    private static func col2im(_ col: UnsafePointer<Float>, maps: Int, _ p: Window.Plan, into y: UnsafeMutablePointer<Float>) {
        let (D, H, W) = (p.input[0], p.input[1], p.input[2])
        let (OD, OH, OW) = (p.output[0], p.output[1], p.output[2])
        let (KD, KH, KW) = (p.kernel[0], p.kernel[1], p.kernel[2])
        let inPlane = D * H * W, outPlane = OD * OH * OW
        var row = col
        for m in 0..<maps {
            let plane = y + m * outPlane
            for kd in 0..<KD {
                for kh in 0..<KH {
                    for kw in 0..<KW {
                        defer { row += inPlane }
                        for id in 0..<D {
                            let od = id * p.stride[0] - p.padBegin[0] + kd * p.dilation[0]
                            guard od >= 0, od < OD else { continue }
                            for ih in 0..<H {
                                let oh = ih * p.stride[1] - p.padBegin[1] + kh * p.dilation[1]
                                guard oh >= 0, oh < OH else { continue }
                                let source = row + (id * H + ih) * W, line = plane + (od * OH + oh) * OW
                                for iw in 0..<W {
                                    let ow = iw * p.stride[2] - p.padBegin[2] + kw * p.dilation[2]
                                    if ow >= 0 && ow < OW { line[ow] += source[iw] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
