/// NumPy broadcasting for the element-wise operators (Add, Mul, Where, …) and the helpers they
/// share. Called inside kernels on the request's thread.
enum Broadcast {
    /// The broadcast shape of `shapes`, or nil when two dimensions differ and neither is 1.
    static func shape(_ shapes: [Int]...) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let o = out[offset + i]
                if o == d || d == 1 { continue }
                if o == 1 { out[offset + i] = d } else { return nil }
            }
        }
        return out
    }

    /// Element strides of `shape` read as a shape of rank `out.count` (leading 1s), 0 along
    /// the dimensions it broadcasts.
    static func strides(_ shape: [Int], to out: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: out.count)
        var stride = 1
        var i = shape.count - 1
        var o = out.count - 1
        while i >= 0 {
            result[o] = shape[i] == 1 ? 0 : stride
            stride *= shape[i]
            i -= 1
            o -= 1
        }
        return result
    }

    /// Calls `row(offsets, stridesOfLastDim, length)` once per innermost row of `out`, with each
    /// operand's element offset at the row's start. Allocation: two small arrays per call.
    @inline(__always)
    static func rows(
        _ shapes: [[Int]], out: [Int], _ row: (_ offsets: UnsafeMutableBufferPointer<Int>, _ inner: UnsafeBufferPointer<Int>, _ length: Int) -> Void
    ) {
        let rank = out.count
        let total = out.reduce(1, *)
        guard total > 0 else { return }
        let k = shapes.count
        guard rank > 0 else {
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * k) { buf in
                for j in 0..<2 * k { buf[j] = 0 }
                row(UnsafeMutableBufferPointer(rebasing: buf[0..<k]), UnsafeBufferPointer(rebasing: buf[k..<2 * k]), 1)
            }
            return
        }
        let strides = shapes.map { Self.strides($0, to: out) }
        var inner = strides.map { $0[rank - 1] }
        var offsets = [Int](repeating: 0, count: k)
        var index = [Int](repeating: 0, count: rank)
        let length = out[rank - 1]
        inner.withUnsafeMutableBufferPointer { innerBuf in
            offsets.withUnsafeMutableBufferPointer { off in
                for _ in 0..<(total / length) {
                    row(off, UnsafeBufferPointer(innerBuf), length)
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        for j in 0..<k { off[j] += strides[j][d] }
                        if index[d] < out[d] { break }
                        for j in 0..<k { off[j] -= strides[j][d] * out[d] }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    /// `out[i] = f(a[i'], b[i''])` over the broadcast shape `out`, with fast paths for equal
    /// shapes and scalars.
    @inline(__always)
    static func map<A, B, R>(
        _ a: Operand, _ b: Operand, _ shape: [Int], _ out: UnsafeMutablePointer<R>, _ f: (A, B) -> R
    ) {
        let pa = a.pointer(A.self), pb = b.pointer(B.self)
        let n = shape.reduce(1, *)
        if a.count == n && b.count == n {
            for i in 0..<n { out[i] = f(pa[i], pb[i]) }
        } else if a.count == n && b.count == 1 {
            let y = pb[0]
            for i in 0..<n { out[i] = f(pa[i], y) }
        } else if a.count == 1 && b.count == n {
            let x = pa[0]
            for i in 0..<n { out[i] = f(x, pb[i]) }
        } else if a.count == n && b.count > 0 && isTrailing(b.shape, of: shape) {
            // A bias over the last dimensions ([N, C] + [C]): one pass per row, no index math.
            let m = b.count
            var o = 0
            while o < n {
                for j in 0..<m { out[o + j] = f(pa[o + j], pb[j]) }
                o += m
            }
        } else {
            var o = 0
            rows([a.shape, b.shape], out: shape) { off, inner, length in
                var ia = off[0], ib = off[1]
                let sa = inner[0], sb = inner[1]
                for j in 0..<length {
                    out[o + j] = f(pa[ia], pb[ib])
                    ia += sa
                    ib += sb
                }
                o += length
            }
        }
    }
}

extension Broadcast {
    /// Whether `shape`, without leading 1s, is the tail of `out`: its elements then repeat
    /// unchanged for every leading index.
    static func isTrailing(_ shape: [Int], of out: [Int]) -> Bool {
        let core = shape.drop { $0 == 1 }
        guard core.count <= out.count else { return false }
        return zip(core, out.suffix(core.count)).allSatisfy { $0 == $1 }
    }
}

/// Axis arithmetic shared by the shape operators.
enum Axis {
    /// A possibly negative axis made absolute, or nil when out of `0..<rank`.
    static func normalize(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return a >= 0 && a < rank ? a : nil
    }

    /// Element strides of a row-major shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }
}

/// Copies `count` elements of `size` bytes; the shape operators move bytes, whatever the type.
@inline(__always)
func copyElements(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, count: Int, size: Int) {
    if count > 0 { dst.copyMemory(from: src, byteCount: count * size) }
}
