/// Whether a shadow's answer agrees with the primary's (README "Routing and canaries" `shadow:`):
/// every output the primary answered must be in the shadow's answer with the same shape, and every
/// value must be close — numbers within `tolerance` (relative and absolute: `|a − b| ≤ t + t·|a|`,
/// NaN equal to NaN), bytes equal. Runs on the shadow pool.
package enum OutputComparison {
    package static func agree(_ primary: [Tensor], _ shadow: [Tensor], tolerance: Double) -> Bool {
        for p in primary {
            guard let s = shadow.first(where: { $0.name == p.name }), s.shape == p.shape else { return false }
            if case .bytes(let a) = p.data {
                guard case .bytes(let b) = s.data, a == b else { return false }
                continue
            }
            guard let a = p.doubleValues(), let b = s.doubleValues(), a.count == b.count else { return false }
            for (x, y) in zip(a, b) {
                if x.isNaN && y.isNaN { continue }
                if x == y { continue }
                guard abs(x - y) <= tolerance + tolerance * abs(x) else { return false }
            }
        }
        return true
    }
}

extension Tensor {
    /// Every element as a `Double`, or nil for `BYTES` (shadow comparison; FP64 model inputs).
    package func doubleValues() -> [Double]? {
        switch data {
        case .bool(let a): a.map { $0 ? 1 : 0 }
        case .uint8(let a): a.map(Double.init)
        case .uint16(let a): a.map(Double.init)
        case .uint32(let a): a.map(Double.init)
        case .uint64(let a): a.map(Double.init)
        case .int8(let a): a.map(Double.init)
        case .int16(let a): a.map(Double.init)
        case .int32(let a): a.map(Double.init)
        case .int64(let a): a.map(Double.init)
        case .fp16(let a): a.map(Double.init)
        case .fp32(let a): a.map(Double.init)
        case .fp64(let a): a
        case .bytes: nil
        }
    }
}
