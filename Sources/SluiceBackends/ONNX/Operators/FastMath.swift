/// Vectorizable FP32 exponential for the activations that call it per element (Softmax,
/// Sigmoid, Tanh): Cephes' range reduction and degree-6 polynomial, within 2 ulp of `expf` on
/// [-87.3, 88.7]; below that range the answer is the smallest normal float instead of a
/// subnormal or 0, far below any tolerance that compares it. Written with selects and bit
/// arithmetic only (no libm `floorf`, no traps on NaN), so loops over it vectorize.
enum FastMath {
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        // NaN fails both comparisons and flows through as NaN.
        let x = v < -87.3 ? -87.3 : (v > 88.7 ? 88.7 : v)
        // Round x·log2(e) to the nearest integer by adding 1.5·2^23: its low bits then hold n.
        let shifted = x * 1.44269504088896341 + 12582912.0
        let n = shifted - 12582912.0
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127
        return y * Float(bitPattern: UInt32(bitPattern: exponent &<< 23))
    }

    /// 1 / (1 + e^-x), without overflow for large |x|.
    @inline(__always)
    static func logistic(_ x: Float) -> Float {
        let e = exp(-Swift.abs(x))
        let d = 1 / (1 + e)
        return x >= 0 ? d : e * d
    }

    /// tanh through e^(2|x|); a short series near 0, where that form would cancel.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 - 2 / (exp(2 * a) + 1)
        let series = x - x * x * x * (1 / 3)
        return a < 0.004 ? series : Float(signOf: x, magnitudeOf: t)
    }
}
