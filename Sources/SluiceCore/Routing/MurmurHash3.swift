/// MurmurHash3 x86_32 with seed 0 (Austin Appleby's public-domain reference `MurmurHash3_x86_32`):
/// the fixed hash behind sticky arms. Every replica, every restart and every other
/// implementation of it (Python's `mmh3.hash(key, 0, signed=False)`, Guava's `murmur3_32`) gives
/// the same value for the same key, so a key's arm never depends on which process answers.
///
/// Called per routed request on the event loop with a sticky key's UTF-8 bytes; no allocation.
package enum MurmurHash3 {
    /// The 32-bit hash of `bytes`, seed 0.
    package static func x86_32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        var h = seed
        let blocks = bytes.count / 4
        for i in 0..<blocks {
            // Little-endian block, read byte by byte so alignment never matters.
            let o = i * 4
            var k = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            k &*= c1
            k = k << 15 | k >> 17
            k &*= c2
            h ^= k
            h = h << 13 | h >> 19
            h = h &* 5 &+ 0xe654_6b64
        }
        let tail = blocks * 4
        var k: UInt32 = 0
        switch bytes.count & 3 {
        case 3:
            k ^= UInt32(bytes[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(bytes[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(bytes[tail])
            k &*= c1
            k = k << 15 | k >> 17
            k &*= c2
            h ^= k
        default:
            break
        }
        h ^= UInt32(truncatingIfNeeded: bytes.count)
        h ^= h >> 16
        h &*= 0x85eb_ca6b
        h ^= h >> 13
        h &*= 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// The hash of a string's UTF-8. Slices of native strings hash in place; others (small
    /// strings of up to 15 bytes among them) are made a `String` first, which for a short name
    /// stays on the stack.
    package static func x86_32(_ text: Substring) -> UInt32 {
        if let h = text.utf8.withContiguousStorageIfAvailable({ x86_32(UnsafeRawBufferPointer($0)) }) { return h }
        var copy = String(text)
        return copy.withUTF8 { x86_32(UnsafeRawBufferPointer($0)) }
    }

    /// Where `hash` falls on a scale of 100: `hash × 100 / 2³²`, rounded down, 0…99. An arm whose
    /// cumulative weight is `c` takes the hashes whose bucket is below `c` (nginx `split_clients`
    /// thresholds, over integer percentages).
    @inline(__always)
    package static func bucket(_ hash: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(hash) &* 100) >> 32)
    }
}
