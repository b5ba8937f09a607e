/// CityHash64 as CatBoost hashes categorical values (CityHash version 1.0, whose results differ
/// from later CityHash releases), written from the published algorithm. Called per categorical
/// value of every request, on any thread; pure.
enum CityHash {
    static let k0: UInt64 = 0xc3a5_c85c_97cb_3127
    static let k1: UInt64 = 0xb492_b66f_be98_f273
    static let k2: UInt64 = 0x9ae1_6a3b_2f90_404f
    static let k3: UInt64 = 0xc949_d7c7_509e_6557

    /// The 64-bit hash of `bytes`.
    static func hash64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        if n <= 16 { return upTo16(bytes) }
        if n <= 32 { return upTo32(bytes) }
        if n <= 64 { return upTo64(bytes) }
        var x = load64(bytes, 0)
        var y = load64(bytes, n - 16) ^ k1
        var z = load64(bytes, n - 56) ^ k0
        var v = weak32(bytes, n - 64, UInt64(n), y)
        var w = weak32(bytes, n - 32, UInt64(n) &* k1, k0)
        z = z &+ shiftMix(v.1) &* k1
        x = rotate(z &+ x, 39) &* k1
        y = rotate(y, 33) &* k1
        var remaining = (n - 1) & ~63
        var at = 0
        repeat {
            x = rotate(x &+ y &+ v.0 &+ load64(bytes, at + 16), 37) &* k1
            y = rotate(y &+ v.1 &+ load64(bytes, at + 48), 42) &* k1
            x ^= w.1
            y ^= v.0
            z = rotate(z ^ w.0, 33)
            v = weak32(bytes, at, v.1 &* k1, x &+ w.0)
            w = weak32(bytes, at + 32, z &+ w.1, y)
            swap(&z, &x)
            at += 64
            remaining -= 64
        } while remaining != 0
        return hash16(hash16(v.0, w.0) &+ shiftMix(y) &* k1 &+ z, hash16(v.1, w.1) &+ x)
    }

    private static func load64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    private static func load32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
    }

    private static func rotate(_ v: UInt64, _ shift: UInt64) -> UInt64 {
        shift == 0 ? v : (v >> shift) | (v << (64 - shift))
    }

    private static func shiftMix(_ v: UInt64) -> UInt64 { v ^ (v >> 47) }

    /// Murmur-inspired 128 → 64 bit mix (CityHash's Hash128to64).
    private static func hash16(_ u: UInt64, _ v: UInt64) -> UInt64 {
        let mul: UInt64 = 0x9ddf_ea08_eb38_2d69
        var a = (u ^ v) &* mul
        a ^= a >> 47
        var b = (v ^ a) &* mul
        b ^= b >> 47
        return b &* mul
    }

    private static func upTo16(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = s.count
        if n > 8 {
            let a = load64(s, 0), b = load64(s, n - 8)
            return hash16(a, rotate(b &+ UInt64(n), UInt64(n))) ^ b
        }
        if n >= 4 {
            return hash16(UInt64(n) &+ (load32(s, 0) << 3), load32(s, n - 4))
        }
        if n > 0 {
            let y = UInt32(s[0]) &+ (UInt32(s[n >> 1]) << 8)
            let z = UInt32(n) &+ (UInt32(s[n - 1]) << 2)
            return shiftMix((UInt64(y) &* k2) ^ (UInt64(z) &* k3)) &* k2
        }
        return k2
    }

    private static func upTo32(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = s.count
        let a = load64(s, 0) &* k1, b = load64(s, 8)
        let c = load64(s, n - 8) &* k2, d = load64(s, n - 16) &* k0
        return hash16(rotate(a &- b, 43) &+ rotate(c, 30) &+ d, a &+ rotate(b ^ k3, 20) &- c &+ UInt64(n))
    }

    private static func upTo64(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = s.count
        var z = load64(s, 24)
        var a = load64(s, 0) &+ (UInt64(n) &+ load64(s, n - 16)) &* k0
        var b = rotate(a &+ z, 52)
        var c = rotate(a, 37)
        a = a &+ load64(s, 8)
        c = c &+ rotate(a, 7)
        a = a &+ load64(s, 16)
        let vf = a &+ z, vs = b &+ rotate(a, 31) &+ c
        a = load64(s, 16) &+ load64(s, n - 32)
        z = load64(s, n - 8)
        b = rotate(a &+ z, 52)
        c = rotate(a, 37)
        a = a &+ load64(s, n - 24)
        c = c &+ rotate(a, 7)
        a = a &+ load64(s, n - 16)
        let wf = a &+ z, ws = b &+ rotate(a, 31) &+ c
        let r = shiftMix((vf &+ ws) &* k2 &+ (wf &+ vs) &* k0)
        return shiftMix(r &* k0 &+ vs) &* k2
    }

    /// 16 bytes of state from 32 bytes at `at` and two seeds.
    private static func weak32(_ s: UnsafeRawBufferPointer, _ at: Int, _ seedA: UInt64, _ seedB: UInt64) -> (UInt64, UInt64) {
        let w = load64(s, at), x = load64(s, at + 8), y = load64(s, at + 16), z = load64(s, at + 24)
        var a = seedA &+ w
        var b = rotate(seedB &+ a &+ z, 21)
        let c = a
        a = a &+ x
        a = a &+ y
        b = b &+ rotate(a, 44)
        return (a &+ z, b &+ c)
    }
}
