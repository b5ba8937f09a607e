/// Vectorizable FP32 functions for the activations that call them per element (Softmax,
/// Sigmoid, Tanh, Gelu). Written with selects and bit arithmetic only (no libm `floorf`, no traps on
/// NaN), so loops over them vectorize.
enum FastMath {
    /// e^v: Cephes' range reduction and degree-6 polynomial, within 2 ulp of `expf` on
    /// [-87.3, 88.7]; below that range the answer is the smallest normal float instead of a
    /// subnormal or 0, far below any tolerance that compares it.
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

    /// tanh as onnxruntime's MLAS computes it: an odd degree-13 over an even degree-6
    /// polynomial on x clamped to [-9, 9] (within 4e-7 of tanh), one division and no exp.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        // NaN fails both comparisons and flows through as NaN.
        let v = x < -9 ? -9 : (x > 9 ? 9 : x)
        let s = v * v
        var p: Float = -2.76076847742355e-16
        p = p * s + 2.00018790482477e-13
        p = p * s - 8.60467152213735e-11
        p = p * s + 5.12229709037114e-08
        p = p * s + 1.48572235717979e-05
        p = p * s + 6.37261928875436e-04
        p = p * s + 4.89352455891786e-03
        var q: Float = 1.19825839466702e-06
        q = q * s + 1.18534705686654e-04
        q = q * s + 2.26843463243900e-03
        q = q * s + 4.89352518554385e-03
        return p * v / q
    }

    /// erf: N. Juffa's minimax polynomials (within 1 ulp of erf with an exact exp), on |x| up to
    /// 0.9277 odd in x, beyond that 1 - e^(polynomial in |x|) with x's sign; both are computed
    /// and one selected, so the loop vectorizes. Within 1e-7 of erf with `exp` above.
    @inline(__always)
    static func erf(_ a: Float) -> Float {
        let t = Swift.abs(a), s = a * a
        var r: Float = -1.72853470e-5 * t + 3.83197126e-4
        let u: Float = -3.88396438e-3 * t + 2.42546219e-2
        r = r * s + u
        r = r * t - 1.06777877e-1
        r = r * t - 6.34846687e-1
        r = r * t - 1.28717512e-1
        r = r * t - t
        let tail = 1 - exp(r)
        var p: Float = -5.96761703e-4
        p = p * s + 4.99119423e-3
        p = p * s - 2.67681349e-2
        p = p * s + 1.12819925e-1
        p = p * s - 3.76125336e-1
        p = p * s + 1.28379166e-1
        p = p * a + a
        // NaN fails the comparison and takes the polynomial, which is NaN.
        return t > 0.927734375 ? (a < 0 ? -tail : tail) : p
    }

    /// GELU, 0.5·x·(1 + erf(x/√2)).
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + erf(x * 0.707106781186547524))
    }

    /// GELU's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanh(0.797884560802865355 * (x + 0.044715 * x * x * x)))
    }
}
