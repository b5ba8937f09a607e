import SluiceCore

/// LayerNormalization (opset 17): each row of the dimensions from `axis` on is normalised to
/// mean 0 and variance 1, then scaled and shifted: `y = (x - mean) / sqrt(var + epsilon) ·
/// Scale + B`. Optional outputs Mean and InvStdDev have X's shape with those dimensions 1.
/// Computed in FP32 (stash_type 1, the only one exporters write), mean and variance in one
/// pass of eight-lane sums.
///
/// The decomposed LayerNorm that `GraphCompiler.fusePatterns` turns into this kernel multiplies
/// and adds γ and β with NumPy broadcasting, so there they may also widen the normalised
/// dimension: x [..., 1] with γ of H values answers [..., H] (each row's one normalised value,
/// 0, times γ plus β), as the unfused graph does. `broadcastsScale` keeps that answer; the
/// operator itself (off) refuses a Scale or B that does not fit X, as onnxruntime does.
struct LayerNormKernel: Kernel {
    let axis: Int
    let epsilon: Float
    var broadcastsScale = false

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...3)
        for i in 0..<3 where i < 2 || n.has(i) { _ = try n.type(i, in: [.float]) }
        let a = n.attributes
        guard a.int("stash_type", default: 1) == 1 else {
            throw n.fail("stash_type \(a.int("stash_type", default: 1)) is not supported (only 1, FP32)")
        }
        let kernel = LayerNormKernel(axis: a.int("axis", default: -1), epsilon: a.float("epsilon", default: 1e-5))
        return Compiled(kernel: kernel, outputTypes: [.float, .float, .float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard let a = Axis.normalize(axis, rank: x.rank) else {
            throw io.fail("axis \(axis) is out of range for rank \(x.rank)")
        }
        let normalized = Array(x.shape[a...])
        let rows = x.shape[..<a].reduce(1, *), n = normalized.reduce(1, *)
        let scaled = try scaledDimensions(normalized, io, ws)
        let out = try ws.output(io, 0, .float, Array(x.shape[..<a]) + scaled, as: Float.self)
        let width = scaled.reduce(1, *)  // within the limit: `output` took it
        let scale = try Self.spread(ws.input(io, 1), to: scaled, io, "Scale")
        let bias = ws.has(io, 2) ? try Self.spread(ws.input(io, 2), to: scaled, io, "B") : nil
        let statsShape = Array(x.shape[..<a]) + Array(repeating: 1, count: x.rank - a)
        let means = ws.wants(io, 1) ? try ws.output(io, 1, .float, statsShape, as: Float.self) : nil
        let inverses = ws.wants(io, 2) ? try ws.output(io, 2, .float, statsShape, as: Float.self) : nil
        let src = x.pointer(Float.self)
        let zeros = bias == nil ? [Float](repeating: 0, count: width) : []
        scale.withUnsafeBufferPointer { s in
            (bias ?? zeros).withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let xr = src + r * n, yr = out + r * width
                    let (mean, inverse) = Self.moments(xr, n, epsilon)
                    means?[r] = mean
                    inverses?[r] = inverse
                    if width == n {
                        for j in 0..<n { yr[j] = (xr[j] - mean) * inverse * s[j] + b[j] }
                    } else {
                        // One value per row (n is 1), spread over γ's width.
                        let z = (xr[0] - mean) * inverse
                        for j in 0..<width { yr[j] = z * s[j] + b[j] }
                    }
                }
            }
        }
    }

    /// The dimensions Scale and B apply to and the output ends with: the normalised ones, or
    /// with `broadcastsScale` their broadcast with Scale's and B's, of the same rank and either
    /// the same size or widened from a size of 1 (what the decomposed graph's Mul and Add give).
    private func scaledDimensions(_ normalized: [Int], _ io: NodeIO, _ ws: Workspace) throws(ServingError) -> [Int] {
        guard broadcastsScale else { return normalized }
        let scale = ws.input(io, 1).shape, bias = ws.has(io, 2) ? ws.input(io, 2).shape : []
        let n = normalized.reduce(1, *)
        guard let shape = Broadcast.shape(normalized, scale, bias), shape.count == normalized.count,
            n == 1 || shape == normalized
        else {
            let with = ws.has(io, 2) ? "Scale \(scale) and B \(bias)" : "Scale \(scale)"
            throw io.fail("the normalized dimensions \(normalized) do not broadcast with \(with)")
        }
        return shape
    }

    /// Mean and 1/sqrt(variance + epsilon) of `n` floats in two passes over the row (in cache
    /// after the first): the mean, then the mean of (x − mean)², as the ONNX function and a
    /// decomposed LayerNorm compute it. One pass of Σx² − n·mean² loses every digit when the
    /// mean is large against the spread ([10000, 10001] would normalise to ±158, not ±1).
    @inline(__always)
    static func moments(_ x: UnsafePointer<Float>, _ n: Int, _ epsilon: Float) -> (Float, Float) {
        guard n > 0 else { return (0, 1 / epsilon.squareRoot()) }
        let raw = UnsafeRawPointer(x)
        var sum = SIMD8<Float>()
        var j = 0
        while j + 8 <= n {
            sum += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        var s = sum.sum()
        while j < n {
            s += x[j]
            j += 1
        }
        let count = Float(n)
        let mean = s / count
        let center = SIMD8<Float>(repeating: mean)
        var squares = SIMD8<Float>()
        j = 0
        while j + 8 <= n {
            let d = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - center
            squares += d * d
            j += 8
        }
        var q = squares.sum()
        while j < n {
            let d = x[j] - mean
            q += d * d
            j += 1
        }
        return (mean, 1 / (q / count + epsilon).squareRoot())
    }

    /// Scale or B as `n` values along the normalised dimensions (it broadcasts to them).
    private static func spread(_ v: Operand, to shape: [Int], _ io: NodeIO, _ what: String) throws(ServingError) -> [Float] {
        guard let s = Broadcast.shape(v.shape, shape), s == shape else {
            throw io.fail("\(what) \(v.shape) does not broadcast to the normalized dimensions \(shape)")
        }
        let p = v.pointer(Float.self)
        if v.shape == shape { return Array(UnsafeBufferPointer(start: p, count: v.count)) }
        var values: [Float] = []
        values.reserveCapacity(shape.reduce(1, *))
        Broadcast.rows([v.shape], out: shape) { off, inner, length in
            var i = off[0]
            for _ in 0..<length {
                values.append(p[i])
                i += inner[0]
            }
        }
        return values
    }
}
