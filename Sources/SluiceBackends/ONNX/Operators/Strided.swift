/// Copies elements from `src` into a dense row-major `shape`, reading output element
/// `[i0, i1, …]` at `offset + Σ ik·strides[k]` (strides in elements, possibly 0 or negative).
/// The one loop behind Transpose, Slice and Expand.
func stridedCopy(
    _ src: UnsafeRawPointer, offset: Int, strides: [Int], shape: [Int], into dst: UnsafeMutableRawPointer, size: Int
) {
    switch size {
    case 1: stridedCopy(src, offset, strides, shape, dst, UInt8.self)
    case 4: stridedCopy(src, offset, strides, shape, dst, UInt32.self)
    default: stridedCopy(src, offset, strides, shape, dst, UInt64.self)
    }
}

private func stridedCopy<T>(
    _ src: UnsafeRawPointer, _ offset: Int, _ strides: [Int], _ shape: [Int], _ dst: UnsafeMutableRawPointer, _: T.Type
) {
    let s = src.assumingMemoryBound(to: T.self)
    let d = dst.assumingMemoryBound(to: T.self)
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let rank = shape.count
    guard rank > 0 else {
        d[0] = s[offset]
        return
    }
    let inner = shape[rank - 1], step = strides[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    var base = offset
    var o = 0
    for _ in 0..<(total / inner) {
        var p = base
        if step == 1 {
            (d + o).update(from: s + p, count: inner)
        } else {
            for j in 0..<inner {
                d[o + j] = s[p]
                p += step
            }
        }
        o += inner
        var k = rank - 2
        while k >= 0 {
            index[k] += 1
            base += strides[k]
            if index[k] < shape[k] { break }
            base -= strides[k] * shape[k]
            index[k] = 0
            k -= 1
        }
    }
}
