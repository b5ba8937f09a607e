import Foundation

/// What turns summed margins into the model's answer, applied in place, row by row.
/// Float arithmetic in the same steps as XGBoost (`common::Sigmoid`, `common::Softmax`, `expf`),
/// so outputs match its predict bit for bit on the reference fixtures.
package enum PostTransform: Sendable {
    case none
    /// 1 / (1 + e^-x), per value.
    case sigmoid
    /// e^(x - max) / sum, per row of `width` values.
    case softmax
    /// e^x, per value (Poisson, Gamma, Tweedie).
    case exp

    /// Called by backends on their own output buffer; `values.count` is a multiple of `width`.
    package func apply(to values: inout [Float], width: Int) {
        values.withUnsafeMutableBufferPointer { apply(to: $0, width: width) }
    }

    /// As `apply(to:width:)`, on a buffer the backend owns (same arithmetic, same bits).
    package func apply(to values: UnsafeMutableBufferPointer<Float>, width: Int) {
        switch self {
        case .none:
            return
        case .sigmoid:
            for i in values.indices {
                // XGBoost clamps the exponent so e^x stays finite; the result is the same bits.
                values[i] = 1 / (Foundation.exp(min(-values[i], 88.7)) + 1)
            }
        case .exp:
            for i in values.indices { values[i] = Foundation.exp(values[i]) }
        case .softmax:
            guard width > 0 else { return }
            var start = 0
            while start + width <= values.count {
                var largest = values[start]
                for i in start..<start + width { largest = max(largest, values[i]) }
                // XGBoost sums the exponentials in Double; with a Float sum, answers drift by an ulp.
                var sum: Double = 0
                for i in start..<start + width {
                    values[i] = Foundation.exp(values[i] - largest)
                    sum += Double(values[i])
                }
                for i in start..<start + width { values[i] /= Float(sum) }
                start += width
            }
        }
    }
}
