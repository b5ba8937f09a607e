/// Vectorizable FP32 exponential for the activations that call it per element (Softmax,
/// Sigmoid, Tanh): Cephes' range reduction and degree-6 polynomial, within 2 ulp of `expf` on
/// [-87.3, 88.7]; below that range the answer is the smallest normal float instead of a
/// subnormal or 0, far below any tolerance that compares it.
enum FastMath {
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        if v.isNaN { return v }
        let x = Swift.min(Swift.max(v, -87.3), 88.7)
        let n = (x * 1.44269504088896341 + 0.5).rounded(.down)
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        // 2^n through the exponent bits; n + 127 stays in 1...254 after the clamp above.
        return y * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
    }

    /// 1 / (1 + e^-x), without overflow for large |x|.
    @inline(__always)
    static func logistic(_ x: Float) -> Float {
        let e = exp(-Swift.abs(x))
        return x >= 0 ? 1 / (1 + e) : e / (1 + e)
    }

    /// tanh through e^(2|x|); a short series near 0, where that form would cancel.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = Swift.abs(x)
        if a < 0.004 { return x - x * x * x / 3 }
        let t = 1 - 2 / (exp(2 * a) + 1)
        return x < 0 ? -t : t
    }
}
