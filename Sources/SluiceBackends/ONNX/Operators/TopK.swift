import SluiceCore

/// TopK: the `k` largest (or, with largest 0, smallest) elements along `axis` and their int64
/// indices; equal values in index order (ONNX's tie rule: the lower index first). K is an
/// attribute before opset 10 and a one-element int64 input after. The answer is always sorted
/// (sorted 0 leaves the order to the implementation).
struct TopKKernel: Kernel {
    let axis: Int
    let largest: Bool
    /// K from the attribute (opset 1), else nil: read from input 1.
    let k: Int?
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let a = n.attributes
        let t = try n.type(0, in: [.float, .double, .int32, .int64])
        var k: Int? = nil
        if n.opset < 10 {
            try n.requireInputs(1...1)
            guard let value = a.int("k") else { throw n.fail("attribute k is required") }
            k = value
        } else {
            try n.requireInputs(2...2)
            _ = try n.type(1, in: [.int64])
        }
        var largest = true
        if n.opset >= 11 {
            largest = a.int("largest", default: 1) != 0
            _ = a.int("sorted")
        }
        let kernel = TopKKernel(axis: a.int("axis", default: -1), largest: largest, k: k, type: t)
        return Compiled(kernel: kernel, outputTypes: [t, .int64], requiredOutputs: 2)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard let a = Axis.normalize(axis, rank: x.rank) else { throw io.fail("axis \(axis) is out of range for rank \(x.rank)") }
        let length = x.shape[a]
        let count: Int
        if let k {
            count = k
        } else {
            let kInput = ws.input(io, 1)
            guard kInput.count == 1, let value = kInput.integers().first else { throw io.fail("K \(kInput.shape) must hold one value") }
            count = value
        }
        guard count >= 0, count <= length else { throw io.fail("K \(count) is not within 0…\(length), the size of axis \(a)") }
        var shape = x.shape
        shape[a] = count
        let values = try ws.output(io, 0, type, shape)
        let indices = try ws.output(io, 1, .int64, shape, as: Int64.self)
        switch type {
        case .float: select(x.pointer(Float.self), values.assumingMemoryBound(to: Float.self), indices, x.shape, a, count)
        case .double: select(x.pointer(Double.self), values.assumingMemoryBound(to: Double.self), indices, x.shape, a, count)
        case .int32: select(x.pointer(Int32.self), values.assumingMemoryBound(to: Int32.self), indices, x.shape, a, count)
        case .int64: select(x.pointer(Int64.self), values.assumingMemoryBound(to: Int64.self), indices, x.shape, a, count)
        case .bool, .string: break
        }
    }

    private func select<T: Comparable>(
        _ src: UnsafePointer<T>, _ values: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>,
        _ shape: [Int], _ a: Int, _ k: Int
    ) {
        let outer = shape[..<a].reduce(1, *), length = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        guard k > 0 else { return }
        var order = [Int](repeating: 0, count: length)
        for o in 0..<outer {
            for i in 0..<inner {
                let line = src + o * length * inner + i
                for j in 0..<length { order[j] = j }
                // A strict order on (value, index), so ties keep the lower index first.
                if largest {
                    order.sort { line[$0 * inner] > line[$1 * inner] || (line[$0 * inner] == line[$1 * inner] && $0 < $1) }
                } else {
                    order.sort { line[$0 * inner] < line[$1 * inner] || (line[$0 * inner] == line[$1 * inner] && $0 < $1) }
                }
                let target = o * k * inner + i
                for j in 0..<k {
                    values[target + j * inner] = line[order[j] * inner]
                    indices[target + j * inner] = Int64(order[j])
                }
            }
        }
    }
}
