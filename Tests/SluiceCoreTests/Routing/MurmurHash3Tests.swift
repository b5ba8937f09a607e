import Testing
@testable import SluiceCore

/// The sticky hash is MurmurHash3 x86_32, seed 0: checked against the reference's published
/// vectors, so any other implementation (mmh3, Guava) computes the same arms.
@Suite struct MurmurHash3Tests {
    @Test(arguments: [
        ("", UInt32(0)),
        ("hello", UInt32(0x248b_fa47)),
        ("The quick brown fox jumps over the lazy dog", UInt32(0x2e4f_f723)),
    ])
    func hashMatchesThePublishedReferenceVectors(_ key: String, _ expected: UInt32) {
        #expect(MurmurHash3.x86_32(key[...]) == expected)
    }

    @Test func seedOneOfTheEmptyKeyMatchesTheReference() {
        let empty: [UInt8] = []
        #expect(empty.withUnsafeBytes { MurmurHash3.x86_32($0, seed: 1) } == 0x514e_28b7)
    }

    /// Values from a Python transcription of the reference (`mmh3.hash(key, 0, signed=False)`
    /// gives the same), one per tail length and a multi-byte UTF-8 key.
    @Test(arguments: [
        ("a", UInt32(0x3c25_69b2)), ("ab", 0x9bbf_d75f), ("abc", 0xb3dd_93fa), ("abcd", 0x43ed_676a),
        ("abcde", 0xe89b_9af6), ("user-42", 0xb972_dad0), ("ünïcode-ключ", 0x257e_1e08),
    ])
    func everyTailLengthHashesAsTheReference(_ key: String, _ expected: UInt32) {
        #expect(MurmurHash3.x86_32(key[...]) == expected)
    }

    @Test func bucketsSpanZeroToNinetyNine() {
        #expect(MurmurHash3.bucket(0) == 0)
        #expect(MurmurHash3.bucket(UInt32.max) == 99)
        #expect(MurmurHash3.bucket(0x8000_0000) == 50)
        // "hello" hashes to 613153351: 613153351 × 100 / 2^32 = 14.27…
        #expect(MurmurHash3.bucket(613_153_351) == 14)
    }
}
