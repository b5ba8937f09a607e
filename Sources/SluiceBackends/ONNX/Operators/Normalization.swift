import Foundation
import SluiceCore

/// BatchNormalization at inference: `y = (x - mean) / sqrt(var + epsilon) · scale + B` per
/// channel (dimension 1), folded to one multiply-add per element.
struct BatchNormKernel: Kernel {
    let epsilon: Float

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(5...5)
        for i in 0..<5 { _ = try n.type(i, in: [.float]) }
        let a = n.attributes
        a.ignore("momentum", "is_test", "consumed_inputs")
        guard a.int("spatial", default: 1) == 1 else { throw n.fail("spatial=0 is not supported") }
        guard a.int("training_mode", default: 0) == 0, n.outputCount == 1 else {
            throw n.fail("training mode (running statistics outputs) is not supported")
        }
        return Compiled(kernel: BatchNormKernel(epsilon: a.float("epsilon", default: 1e-5)), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank >= 2 else { throw io.fail("input \(x.shape) needs a channel dimension") }
        let channels = x.shape[1]
        let stats = (1...4).map { ws.input(io, $0) }
        guard stats.allSatisfy({ $0.count == channels }) else {
            throw io.fail("scale, B, mean and var must have \(channels) values")
        }
        let scale = stats[0].pointer(Float.self), shift = stats[1].pointer(Float.self)
        let mean = stats[2].pointer(Float.self), variance = stats[3].pointer(Float.self)
        let size = x.shape.dropFirst(2).reduce(1, *)
        let src = x.pointer(Float.self)
        let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
        for b in 0..<x.shape[0] {
            for c in 0..<channels {
                let k = scale[c] / (variance[c] + epsilon).squareRoot()
                let add = shift[c] - mean[c] * k
                let offset = (b * channels + c) * size
                for i in 0..<size { out[offset + i] = src[offset + i] * k + add }
            }
        }
    }
}

/// InstanceNormalization: each (image, channel) plane normalized by its own mean and variance,
/// then `scale · x̂ + B` per channel. Statistics are summed in FP64.
struct InstanceNormKernel: Kernel {
    let epsilon: Float

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(3...3)
        for i in 0..<3 { _ = try n.type(i, in: [.float]) }
        if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
        return Compiled(kernel: InstanceNormKernel(epsilon: n.attributes.float("epsilon", default: 1e-5)), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), scale = ws.input(io, 1), shift = ws.input(io, 2)
        guard x.rank >= 3 else { throw io.fail("input \(x.shape) needs a channel and a spatial dimension") }
        let channels = x.shape[1]
        guard scale.count == channels, shift.count == channels else {
            throw io.fail("scale and B must have \(channels) values")
        }
        let size = x.shape.dropFirst(2).reduce(1, *)
        let src = x.pointer(Float.self), gamma = scale.pointer(Float.self), beta = shift.pointer(Float.self)
        let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
        guard size > 0 else { return }
        for plane in 0..<(x.shape[0] * channels) {
            let c = plane % channels, p = src + plane * size
            var sum = 0.0
            for i in 0..<size { sum += Double(p[i]) }
            let mean = sum / Double(size)
            var squares = 0.0
            for i in 0..<size { let d = Double(p[i]) - mean; squares += d * d }
            let k = Double(gamma[c]) / (squares / Double(size) + Double(epsilon)).squareRoot()
            let (m, add) = (Float(mean), beta[c])
            let o = out + plane * size
            for i in 0..<size { o[i] = (p[i] - m) * Float(k) + add }
        }
    }
}

/// Softmax, LogSoftmax and Hardmax on FP32 or FP64. From opset 13 along one axis (default -1); before, over
/// the input flattened to 2-D at `axis` (default 1), as those opsets define it.
struct SoftmaxKernel: Kernel {
    let axis: Int
    let flattens: Bool
    let log: Bool
    /// Hardmax: 1 at the first maximum of each row, 0 elsewhere.
    var hard = false
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let t = try n.type(0, in: [.float, .double])
        let flattens = n.opset < 13
        let axis = n.attributes.int("axis", default: flattens ? 1 : -1)
        return Compiled(
            kernel: SoftmaxKernel(axis: axis, flattens: flattens, log: n.op == "LogSoftmax", hard: n.op == "Hardmax", type: t),
            outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .double: try run(io, ws, Double.self)
        default: try run(io, ws, Float.self)
        }
    }

    @inline(__always)
    private func run<T: FloatElement>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let x = ws.input(io, 0)
        let rank = x.rank
        guard let a = rank == 0 ? 0 : Axis.normalize(axis, rank: rank) else {
            throw io.fail("axis \(axis) is out of range for rank \(rank)")
        }
        let outer = x.shape[..<a].reduce(1, *)
        let length = flattens ? x.shape[a...].reduce(1, *) : (rank == 0 ? 1 : x.shape[a])
        // A scalar has no dimensions after its axis to slice (its one element softmaxes to 1).
        let inner = flattens || rank == 0 ? 1 : x.shape[(a + 1)...].reduce(1, *)
        let src = x.pointer(T.self)
        let out = try ws.output(io, 0, type, x.shape, as: T.self)
        if hard {
            Self.hardmax(src, out, outer: outer, length: length, inner: inner)
            return
        }
        if inner == 1 {
            // The usual case (the last axis): contiguous rows. Rows are short (ten classes), so
            // the exponentials run as one loop over the whole tensor, which vectorizes, between
            // a pass that subtracts each row's maximum and one that normalizes each row; those
            // two take four rows at a time, whose max and sum chains run side by side.
            Self.rows(outer, length, src, out) { x, y, count in
                let largest = Self.maxima(x, count, length)
                for r in 0..<count {
                    let (xr, yr, m) = (x + r * length, y + r * length, largest[r])
                    for j in 0..<length { yr[j] = xr[j] - m }
                }
            }
            let total = outer * length
            for i in 0..<total { out[i] = T.fastExp(out[i]) }
            Self.rows(outer, length, src, out) { x, y, count in
                let sums = Self.sums(UnsafePointer(y), count, length)
                let largest = log ? Self.maxima(x, count, length) : SIMD4()
                for r in 0..<count {
                    let (xr, row) = (x + r * length, y + r * length)
                    if log {
                        let l = largest[r] + T.log(sums[r])
                        for j in 0..<length { row[j] = xr[j] - l }
                    } else {
                        let scale = 1 / sums[r]
                        for j in 0..<length { row[j] *= scale }
                    }
                }
            }
            return
        }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var largest = -T.infinity
                for j in 0..<length { largest = max(largest, src[base + j * inner]) }
                var sum: T = 0
                for j in 0..<length {
                    let e = T.fastExp(src[base + j * inner] - largest)
                    out[base + j * inner] = e
                    sum += e
                }
                if log {
                    let l = T.log(sum)
                    for j in 0..<length { out[base + j * inner] = src[base + j * inner] - largest - l }
                } else {
                    for j in 0..<length { out[base + j * inner] /= sum }
                }
            }
        }
    }

    private static func hardmax<T: FloatElement>(_ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, outer: Int, length: Int, inner: Int) {
        out.update(repeating: 0, count: outer * length * inner)
        guard length > 0 else { return }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var best = 0
                for j in 1..<length where src[base + j * inner] > src[base + best * inner] { best = j }
                out[base + best * inner] = 1
            }
        }
    }

    /// Calls `body(x, y, count)` for blocks of four rows (`count` 4) and then the rest one by one.
    @inline(__always)
    private static func rows<T>(
        _ outer: Int, _ length: Int, _ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        _ body: (UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void
    ) {
        var o = 0
        while o < outer {
            let count = outer - o >= 4 ? 4 : 1
            body(src + o * length, out + o * length, count)
            o += count
        }
    }

    /// The maximum of each of `count` (1 or 4) rows, in lanes; four independent chains.
    @inline(__always)
    private static func maxima<T: FloatElement>(_ x: UnsafePointer<T>, _ count: Int, _ length: Int) -> SIMD4<T> {
        var m = SIMD4<T>(repeating: -.infinity)
        if count == 4 {
            let (a, b, c, d) = (x, x + length, x + 2 * length, x + 3 * length)
            var (m0, m1, m2, m3) = (m[0], m[1], m[2], m[3])
            for j in 0..<length {
                m0 = Swift.max(m0, a[j])
                m1 = Swift.max(m1, b[j])
                m2 = Swift.max(m2, c[j])
                m3 = Swift.max(m3, d[j])
            }
            m = SIMD4(m0, m1, m2, m3)
        } else {
            for j in 0..<length { m[0] = Swift.max(m[0], x[j]) }
        }
        return m
    }

    /// The sum of each of `count` (1 or 4) rows, each in index order; four independent chains.
    @inline(__always)
    private static func sums<T: FloatElement>(_ y: UnsafePointer<T>, _ count: Int, _ length: Int) -> SIMD4<T> {
        if count == 4 {
            let (a, b, c, d) = (y, y + length, y + 2 * length, y + 3 * length)
            var (s0, s1, s2, s3): (T, T, T, T) = (0, 0, 0, 0)
            for j in 0..<length {
                s0 += a[j]
                s1 += b[j]
                s2 += c[j]
                s3 += d[j]
            }
            return SIMD4(s0, s1, s2, s3)
        }
        var s: T = 0
        for j in 0..<length { s += y[j] }
        return SIMD4(s, 0, 0, 0)
    }
}
