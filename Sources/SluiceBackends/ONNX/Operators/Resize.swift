import Foundation
import SluiceCore

/// Resize (opsets 10 to 19) and Upsample (7, 9) on FP32: nearest (four rounding modes), linear
/// and cubic, with every coordinate_transformation_mode, output sizes from `scales` or `sizes`
/// (and `axes`, `keep_aspect_ratio_policy` from 18). The interpolation is separable, so it runs
/// as one pass per resized axis, shrinking axes first so no intermediate is larger than the
/// input or the output; each is checked against `limits.maxTensorElements` before any memory
/// is reserved, and so is every size a scale makes.
struct ResizeKernel: Kernel {
    enum Mode: String, Sendable { case nearest, linear, cubic }
    enum Nearest: String, Sendable { case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil, simple }
    enum Transform: String, Sendable {
        case halfPixel = "half_pixel", halfPixelSymmetric = "half_pixel_symmetric", pytorchHalfPixel = "pytorch_half_pixel"
        case alignCorners = "align_corners", asymmetric, tfHalfPixelForNN = "tf_half_pixel_for_nn"
        case tfCropAndResize = "tf_crop_and_resize"
    }
    enum Policy: String, Sendable { case stretch, notLarger = "not_larger", notSmaller = "not_smaller" }

    let mode: Mode
    let nearest: Nearest
    let transform: Transform
    let cubicA: Float
    let excludeOutside: Bool
    let extrapolation: Float
    let policy: Policy
    let axes: [Int]?
    /// Upsample 7's `scales` attribute.
    let fixedScales: [Float]?
    /// Input positions of roi, scales and sizes (-1 when the opset has no such input).
    let roiInput: Int, scalesInput: Int, sizesInput: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let a = n.attributes
        _ = try n.type(0, in: [.float])
        let modeName = a.string("mode") ?? "nearest"
        guard let mode = Mode(rawValue: modeName), mode != .cubic || n.op == "Resize" && n.opset >= 11 else {
            throw n.fail("mode '\(modeName)' is not supported (nearest, linear, cubic)")
        }
        // Upsample and Resize 10: asymmetric coordinates, nearest rounds down when enlarging.
        let legacy = n.op == "Upsample" || n.opset < 11
        var fixedScales: [Float]?
        var (roi, scales, sizes) = (-1, 1, -1)
        if n.op == "Upsample" && n.opset < 9 {
            try n.requireInputs(1...1)
            guard let s = a.floats("scales") else { throw n.fail("attribute 'scales' is required") }
            fixedScales = s
            scales = -1
        } else if legacy {
            try n.requireInputs(2...2)
        } else {
            try n.requireInputs(1...4)
            (roi, scales, sizes) = (1, 2, 3)
        }
        if scales > 0, n.has(scales) || legacy { _ = try n.type(scales, in: [.float]) }
        if sizes > 0, n.has(sizes) { _ = try n.type(sizes, in: [.int64]) }
        if roi > 0, n.has(roi) { _ = try n.type(roi, in: [.float, .double]) }
        let transformName = legacy ? "asymmetric" : a.string("coordinate_transformation_mode") ?? "half_pixel"
        let nearestName = legacy ? "simple" : a.string("nearest_mode") ?? "round_prefer_floor"
        let policyName = a.string("keep_aspect_ratio_policy") ?? "stretch"
        guard let transform = Transform(rawValue: transformName), transform != .halfPixelSymmetric || n.opset >= 19 else {
            throw n.fail("coordinate_transformation_mode '\(transformName)' is not supported")
        }
        guard let nearest = Nearest(rawValue: nearestName), nearest != .simple || legacy else {
            throw n.fail("nearest_mode '\(nearestName)' is not supported")
        }
        guard let policy = Policy(rawValue: policyName) else { throw n.fail("keep_aspect_ratio_policy '\(policyName)' is not supported") }
        guard a.int("antialias", default: 0) == 0 else { throw n.fail("antialias=1 is not supported") }
        let kernel = ResizeKernel(
            mode: mode, nearest: nearest, transform: transform, cubicA: a.float("cubic_coeff_a", default: -0.75),
            excludeOutside: a.int("exclude_outside", default: 0) != 0, extrapolation: a.float("extrapolation_value", default: 0),
            policy: policy, axes: a.ints("axes"), fixedScales: fixedScales, roiInput: roi, scalesInput: scales, sizesInput: sizes)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        var axes = Array(0..<rank)
        if let given = self.axes {
            axes = []
            for axis in given {
                guard let a = Axis.normalize(axis, rank: rank), !axes.contains(a) else { throw io.fail("axes \(given) are invalid for rank \(rank)") }
                axes.append(a)
            }
        }
        var roi: [Double] = []
        if transform == .tfCropAndResize {
            guard roiInput > 0, ws.has(io, roiInput) else { throw io.fail("tf_crop_and_resize needs roi") }
            let given = ws.input(io, roiInput)
            let values: [Double] = given.type == .double ? Array(given.buffer(Double.self)) : given.buffer(Float.self).map { Double($0) }
            // A NaN or infinite corner would make a NaN coordinate, which no index can be.
            guard values.allSatisfy(\.isFinite) else { throw io.fail("roi \(values) is not finite") }
            roi = Array(repeating: 0, count: rank) + Array(repeating: 1, count: rank)
            if values.count == 2 * rank {
                roi = values
            } else if values.count == 2 * axes.count {
                for (k, a) in axes.enumerated() { (roi[a], roi[a + rank]) = (values[k], values[k + axes.count]) }
            } else {
                throw io.fail("roi has \(values.count) values for \(axes.count) axes")
            }
        }
        let (scales, shape) = try target(x.shape, axes, roi, io, ws)
        let out = try ws.output(io, 0, .float, shape, as: Float.self)
        guard x.count > 0 || shape.contains(0) else { throw io.fail("cannot resize the empty input \(x.shape) to \(shape)") }
        guard !shape.contains(0) else { return }
        // Shrinking axes first keeps every intermediate within max(input, output).
        let crops = transform == .tfCropAndResize
        let resized: [Int] = (0..<rank).filter { a in crops || shape[a] != x.shape[a] || scales[a] != 1 }
        let ratio: [Double] = (0..<rank).map { a in Double(shape[a]) / Double(max(x.shape[a], 1)) }
        let passes = resized.sorted { ratio[$0] < ratio[$1] }
        guard !passes.isEmpty else {
            out.update(from: x.pointer(Float.self), count: x.count)
            return
        }
        let largest = max(x.count, shape.reduce(1, *))
        let room = ws.scratch.reserve(2 * largest * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
        var current = x.shape
        var source = x.pointer(Float.self)
        for (k, a) in passes.enumerated() {
            let last = k == passes.count - 1
            let destination = last ? out : room + (k % 2) * largest
            let taps = self.taps(input: current[a], output: shape[a], scale: scales[a], roi: roi.isEmpty ? nil : (roi[a], roi[a + rank]))
            Self.interpolate(source, current, axis: a, taps, into: destination)
            current[a] = shape[a]
            source = UnsafePointer(destination)
        }
    }

    /// Per axis, the scale and the output size, from `sizes` or `scales` (or Upsample 7's
    /// attribute); a size a scale makes is bounded before it becomes an Int.
    private func target(_ dims: [Int], _ axes: [Int], _ roi: [Double], _ io: NodeIO, _ ws: Workspace) throws(ServingError) -> ([Double], [Int]) {
        let rank = dims.count
        var scales = [Double](repeating: 1, count: rank)
        var shape = dims
        let longest = ws.limits.maxTensorElements
        if sizesInput > 0, ws.has(io, sizesInput), ws.input(io, sizesInput).count > 0 {
            let sizes = ws.input(io, sizesInput).integers()
            guard sizes.count == axes.count, sizes.allSatisfy({ $0 >= 0 && $0 <= longest }) else {
                throw io.fail("sizes \(sizes) do not fit \(axes.count) axes within limits.max_model_tensor_elements (\(longest))")
            }
            for (k, a) in axes.enumerated() { scales[a] = dims[a] == 0 ? 1 : Double(sizes[k]) / Double(dims[a]) }
            if policy != .stretch {
                let ratios = axes.map { scales[$0] }
                let s = (policy == .notLarger ? ratios.min() : ratios.max()) ?? 1
                for a in axes {
                    scales[a] = s
                    shape[a] = Int((Double(dims[a]) * s).rounded(.toNearestOrAwayFromZero))
                }
            } else {
                for (k, a) in axes.enumerated() { shape[a] = sizes[k] }
            }
            return (scales, shape)
        }
        let given: [Double]
        if let fixedScales {
            given = fixedScales.map { Double($0) }
        } else if scalesInput > 0, ws.has(io, scalesInput) {
            given = ws.input(io, scalesInput).buffer(Float.self).map { Double($0) }
        } else {
            throw io.fail("neither scales nor sizes is given")
        }
        let scaled = fixedScales == nil ? axes : Array(0..<rank)
        guard given.count == scaled.count else { throw io.fail("\(given.count) scales for \(scaled.count) axes") }
        for (k, a) in scaled.enumerated() {
            let s = given[k]
            // tf_crop_and_resize scales the crop, roi's share of the axis.
            let span = roi.isEmpty ? 1 : roi[a + rank] - roi[a]
            let size = Double(dims[a]) * s * span
            guard s.isFinite, s > 0, size >= 0, size <= Double(longest) else {
                throw io.fail("scale \(s) of dimension \(dims[a]) is not positive or is beyond limits.max_model_tensor_elements (\(longest))")
            }
            scales[a] = s
            shape[a] = Int(size.rounded(.down))
        }
        return (scales, shape)
    }

    /// For each output index along one axis, the input indices and weights it takes (`width`
    /// of each), or none when it falls outside tf_crop_and_resize's crop (extrapolated).
    struct Taps {
        var width: Int
        var index: [Int] = []
        var weight: [Float] = []
        var outside: [Bool] = []
        var extrapolation: Float
    }

    private func taps(input: Int, output: Int, scale: Double, roi: (Double, Double)?) -> Taps {
        var t = Taps(width: mode == .nearest ? 1 : (mode == .linear ? 2 : 4), extrapolation: extrapolation)
        let last = Double(input - 1)
        for j in 0..<output {
            let raw = original(Double(j), input: input, output: output, scale: scale, roi: roi)
            // A far roi can overflow to ±inf or NaN: outside the crop, and clamped so that every
            // index below is a finite Int.
            let outside = transform == .tfCropAndResize && !(raw >= 0 && raw <= last)
            let x = raw.isNaN ? 0 : Swift.min(Swift.max(raw, -1e15), 1e15)
            t.outside.append(outside)
            switch mode {
            case .nearest:
                t.index.append(min(max(round(x, downsampling: scale < 1), 0), input - 1))
                t.weight.append(1)
            case .linear:
                let base = x.rounded(.down), ratio = Float(x - base)
                let i = Int(max(min(base, last + 1), -1))
                t.index += [min(max(i, 0), input - 1), min(max(i + 1, 0), input - 1)]
                t.weight += [1 - ratio, ratio]
            case .cubic:
                let base = x.rounded(.down), r = Float(x - base)
                let i = Int(max(min(base, last + 2), -2))
                let A = cubicA
                func far(_ d: Float) -> Float { ((A * d - 5 * A) * d + 8 * A) * d - 4 * A }
                func near(_ d: Float) -> Float { ((A + 2) * d - (A + 3)) * d * d + 1 }
                var w = [far(r + 1), near(r), near(1 - r), far(2 - r)]
                let ids = [i - 1, i, i + 1, i + 2]
                if excludeOutside {
                    for k in 0..<4 where ids[k] < 0 || ids[k] >= input { w[k] = 0 }
                    let sum = w.reduce(0, +)
                    if sum != 0 { w = w.map { $0 / sum } }
                }
                t.index += ids.map { min(max($0, 0), input - 1) }
                t.weight += w
            }
        }
        return t
    }

    /// Where output index `x` falls in the input, by `transform`. The output length in the
    /// formulas is input × scale, unrounded, as ONNX's reference computes it.
    private func original(_ x: Double, input: Int, output: Int, scale: Double, roi: (Double, Double)?) -> Double {
        let (inSize, outSize) = (Double(input), Double(input) * scale)
        switch transform {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            let adjustment = Double(output) / outSize
            let offset = inSize / 2 * (1 - adjustment)
            return offset + (x + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return output > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .alignCorners: return output == 1 ? 0 : x * (inSize - 1) / (outSize - 1)
        case .asymmetric: return x / scale
        case .tfHalfPixelForNN: return (x + 0.5) / scale
        case .tfCropAndResize:
            let (start, end) = roi ?? (0, 1)
            return output > 1
                ? start * (inSize - 1) + x * (end - start) * (inSize - 1) / (Double(output) - 1)
                : 0.5 * (start + end) * (inSize - 1)
        }
    }

    /// The nearest input index to `x` by `nearest` (clamped to Int's range; the caller clamps
    /// to the axis).
    private func round(_ x: Double, downsampling: Bool) -> Int {
        let v: Double
        switch nearest {
        case .roundPreferFloor: v = x - x.rounded(.down) == 0.5 ? x.rounded(.down) : x.rounded()
        case .roundPreferCeil: v = x - x.rounded(.down) == 0.5 ? x.rounded(.up) : x.rounded()
        case .floor: v = x.rounded(.down)
        case .ceil: v = x.rounded(.up)
        case .simple: v = downsampling ? x.rounded(.up) : x.rounded(.towardZero)
        }
        return v.isFinite ? Int(max(min(v, 1e15), -1e15)) : 0
    }

    /// One pass: `dst` is `src` (of `shape`) resampled along `axis` by `taps`.
    private static func interpolate(
        _ src: UnsafePointer<Float>, _ shape: [Int], axis: Int, _ taps: Taps, into dst: UnsafeMutablePointer<Float>
    ) {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let inLength = shape[axis], outLength = taps.outside.count, width = taps.width
        for o in 0..<outer {
            let from = src + o * inLength * inner
            for j in 0..<outLength {
                let row = dst + (o * outLength + j) * inner
                if taps.outside[j] {
                    row.update(repeating: taps.extrapolation, count: inner)
                    continue
                }
                let first = from + taps.index[j * width] * inner, w0 = taps.weight[j * width]
                for i in 0..<inner { row[i] = first[i] * w0 }
                for k in 1..<width {
                    let line = from + taps.index[j * width + k] * inner, w = taps.weight[j * width + k]
                    for i in 0..<inner { row[i] += line[i] * w }
                }
            }
        }
    }
}
