import SluiceCore

/// MaxPool (with optional int64 Indices, row-major) and AveragePool (count_include_pad,
/// ceil_mode), 1-D to 3-D, one plane at a time.
struct PoolKernel: Kernel {
    let window: Window
    let isMax: Bool
    let countIncludePad: Bool
    /// MaxPool's Indices in column-major order within each plane (2-D only).
    var columnMajor = false

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float])
        let a = n.attributes
        let isMax = n.op == "MaxPool"
        let window = try Window.read(n, rank: nil, kernel: nil, ceilMode: a.int("ceil_mode", default: 0) != 0)
        let countIncludePad = !isMax && a.int("count_include_pad", default: 0) != 0
        let columnMajor = isMax && a.int("storage_order", default: 0) != 0
        if columnMajor, window.kernel.count != 2 { throw n.fail("storage_order=1 is supported for 2-D pooling only") }
        return Compiled(
            kernel: PoolKernel(window: window, isMax: isMax, countIncludePad: countIncludePad, columnMajor: columnMajor),
            outputTypes: isMax ? [.float, .int64] : [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank == window.kernel.count + 2 else { throw io.fail("input \(x.shape) does not fit the window \(window.kernel)") }
        let p = try window.plan(Array(x.shape.dropFirst(2)), io)
        let planes = x.shape[0] * x.shape[1]
        let shape = Array(x.shape.prefix(2)) + p.outputDims
        let out = try ws.output(io, 0, .float, shape, as: Float.self)
        let indices = try isMax && ws.wants(io, 1) ? ws.output(io, 1, .int64, shape, as: Int64.self) : nil
        let (D, H, W) = (p.input[0], p.input[1], p.input[2])
        let (OD, OH, OW) = (p.output[0], p.output[1], p.output[2])
        let (KD, KH, KW) = (p.kernel[0], p.kernel[1], p.kernel[2])
        let (SD, SH, SW) = (p.stride[0], p.stride[1], p.stride[2])
        let (DD, DH, DW) = (p.dilation[0], p.dilation[1], p.dilation[2])
        let (PD, PH, PW) = (p.padBegin[0], p.padBegin[1], p.padBegin[2])
        let (ED, EH, EW) = (D + p.padEnd[0], H + p.padEnd[1], W + p.padEnd[2])
        let src = x.pointer(Float.self)
        if indices == nil, KD == 1, D == 1, p.padBegin == [0, 0, 0],
            (OH - 1) * SH + (KH - 1) * DH < H, (OW - 1) * SW + (KW - 1) * DW < W
        {
            interior(src, out, planes: planes, p)
            return
        }
        var o = 0
        for plane in 0..<planes {
            let base = plane * D * H * W
            for od in 0..<OD {
                let d0 = od * SD - PD
                for oh in 0..<OH {
                    let h0 = oh * SH - PH
                    for ow in 0..<OW {
                        let w0 = ow * SW - PW
                        if KD == 1, d0 == 0, D == 1, h0 >= 0, h0 + (KH - 1) * DH < H, w0 >= 0, w0 + (KW - 1) * DW < W {
                            // The whole window is inside the image (the usual case): no checks.
                            let corner = base + h0 * W + w0
                            if isMax {
                                var best = src[corner], bestIndex = corner
                                for kh in 0..<KH {
                                    let line = corner + kh * DH * W
                                    for kw in 0..<KW where src[line + kw * DW] > best {
                                        best = src[line + kw * DW]
                                        bestIndex = line + kw * DW
                                    }
                                }
                                out[o] = best
                                indices?[o] = Int64(columnMajor ? base + (bestIndex - base) % W * H + (bestIndex - base) / W : bestIndex)
                            } else {
                                var sum: Float = 0
                                for kh in 0..<KH {
                                    let line = corner + kh * DH * W
                                    for kw in 0..<KW { sum += src[line + kw * DW] }
                                }
                                out[o] = sum / Float(KH * KW)
                            }
                            o += 1
                            continue
                        }
                        var best = -Float.infinity, bestIndex = -1
                        var sum: Float = 0, count = 0, padded = 0
                        for kd in 0..<KD {
                            let d = d0 + kd * DD
                            let dInPad = d >= -PD && d < ED
                            let dIn = d >= 0 && d < D
                            for kh in 0..<KH {
                                let h = h0 + kh * DH
                                let inPad = dInPad && h >= -PH && h < EH
                                let inside = dIn && h >= 0 && h < H
                                let line = base + (d * H + h) * W
                                for kw in 0..<KW {
                                    let w = w0 + kw * DW
                                    if inPad && w >= -PW && w < EW { padded += 1 }
                                    guard inside, w >= 0, w < W else { continue }
                                    let v = src[line + w]
                                    if isMax {
                                        if v > best || bestIndex < 0 {
                                            best = v
                                            bestIndex = columnMajor ? base + w * H + h : line + w
                                        }
                                    } else {
                                        sum += v
                                        count += 1
                                    }
                                }
                            }
                        }
                        if isMax {
                            out[o] = best
                            indices?[o] = Int64(bestIndex)
                        } else {
                            let divisor = countIncludePad ? padded : count
                            out[o] = divisor > 0 ? sum / Float(divisor) : 0
                        }
                        o += 1
                    }
                }
            }
        }
    }
}

extension PoolKernel {
    /// 2-D pooling whose every window lies inside the image (no padding reached, no Indices
    /// wanted; the usual 2×2 stride-2 case): the same comparisons and sums in the same order as
    /// the general loop, without its per-position bounds checks.
    private func interior(_ src: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, planes: Int, _ p: Window.Plan) {
        let (H, W) = (p.input[1], p.input[2])
        let (OH, OW) = (p.output[1], p.output[2])
        let (KH, KW) = (p.kernel[1], p.kernel[2])
        let (SH, SW) = (p.stride[1], p.stride[2])
        let (DH, DW) = (p.dilation[1], p.dilation[2])
        let area = Float(KH * KW)
        if KH == 2, KW == 2, DH == 1, DW == 1 {
            // The common 2×2 window spelled out: four loads, no inner loops.
            for plane in 0..<planes {
                let base = src + plane &* H &* W
                let dst = out + plane &* OH &* OW
                for oh in 0..<OH {
                    let top = base + oh &* SH &* W, line = dst + oh &* OW
                    for ow in 0..<OW {
                        let a = top + ow &* SW, b = a + W
                        if isMax {
                            var best = a[0]
                            if a[1] > best { best = a[1] }
                            if b[0] > best { best = b[0] }
                            if b[1] > best { best = b[1] }
                            line[ow] = best
                        } else {
                            var sum: Float = 0
                            sum += a[0]
                            sum += a[1]
                            sum += b[0]
                            sum += b[1]
                            line[ow] = sum / area
                        }
                    }
                }
            }
            return
        }
        for plane in 0..<planes {
            let base = src + plane &* H &* W
            let dst = out + plane &* OH &* OW
            for oh in 0..<OH {
                let top = base + oh &* SH &* W
                let line = dst + oh &* OW
                for ow in 0..<OW {
                    let corner = top + ow &* SW
                    if isMax {
                        var best = corner[0]
                        for kh in 0..<KH {
                            let r = corner + kh &* DH &* W
                            for kw in 0..<KW where r[kw &* DW] > best { best = r[kw &* DW] }
                        }
                        line[ow] = best
                    } else {
                        var sum: Float = 0
                        for kh in 0..<KH {
                            let r = corner + kh &* DH &* W
                            for kw in 0..<KW { sum += r[kw &* DW] }
                        }
                        line[ow] = sum / area
                    }
                }
            }
        }
    }
}

/// GlobalAveragePool and GlobalMaxPool: one value per (image, channel) plane.
struct GlobalPoolKernel: Kernel {
    let isMax: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float])
        return Compiled(kernel: GlobalPoolKernel(isMax: n.op == "GlobalMaxPool"), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank >= 2 else { throw io.fail("input \(x.shape) needs a batch and a channel dimension") }
        let planes = x.shape[0] * x.shape[1]
        let size = x.shape.dropFirst(2).reduce(1, *)
        let out = try ws.output(io, 0, .float, Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2), as: Float.self)
        let src = x.pointer(Float.self)
        for plane in 0..<planes {
            let p = src + plane * size
            if isMax {
                var best = -Float.infinity
                for i in 0..<size { best = max(best, p[i]) }
                out[plane] = best
            } else {
                var sum: Float = 0
                for i in 0..<size { sum += p[i] }
                out[plane] = size > 0 ? sum / Float(size) : 0
            }
        }
    }
}
