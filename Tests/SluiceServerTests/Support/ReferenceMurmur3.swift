/// A second, deliberately plain implementation of MurmurHash3 x86_32 (seed 0), written from the
/// algorithm's description rather than shared with the server, for tests to compute arms by
/// hand: what a client or another replica would compute.
enum ReferenceMurmur3 {
    static func hash(_ data: [UInt8]) -> UInt32 {
        func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        var h: UInt32 = 0
        var i = 0
        while i + 4 <= data.count {
            var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            k = rotl(k &* 0xcc9e2d51, 15) &* 0x1b873593
            h = rotl(h ^ k, 13) &* 5 &+ 0xe6546b64
            i += 4
        }
        var k: UInt32 = 0
        var shift: UInt32 = 0
        while i < data.count {
            k |= UInt32(data[i]) << shift
            shift += 8
            i += 1
        }
        if shift > 0 { h ^= rotl(k &* 0xcc9e2d51, 15) &* 0x1b873593 }
        h ^= UInt32(data.count)
        h = (h ^ (h >> 16)) &* 0x85ebca6b
        h = (h ^ (h >> 13)) &* 0xc2b2ae35
        return h ^ (h >> 16)
    }
}
