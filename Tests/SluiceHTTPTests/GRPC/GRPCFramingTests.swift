import Testing
@testable import SluiceHTTP

@Test func aBodyIsCutIntoItsLengthPrefixedMessages() throws {
    let body: [UInt8] = [0, 0, 0, 0, 2, 7, 8] + [1, 0, 0, 0, 1, 9] + [0, 0, 0, 0, 0]
    let messages = try GRPCFraming.messages(in: body)
    #expect(messages == [
        .init(compressed: false, bytes: 5..<7), .init(compressed: true, bytes: 12..<13), .init(compressed: false, bytes: 18..<18),
    ])
    #expect(try GRPCFraming.messages(in: []).isEmpty)
}

@Test(arguments: [
    ([0, 0, 0] as [UInt8], "ends inside a message prefix (3 of 5 bytes)"),
    ([0, 0, 0, 0, 4, 1, 2], "announces 4 bytes but 2 follow"),
    ([2, 0, 0, 0, 0], "compressed-flag 2 is neither 0 nor 1"),
    ([0, 0xFF, 0xFF, 0xFF, 0xFF], "announces 4294967295 bytes but 0 follow"),
])
func aBrokenBodyIsRefusedWithWhatIsWrong(_ body: [UInt8], _ reason: String) {
    #expect(throws: GRPCError.self) { try GRPCFraming.messages(in: body) }
    do {
        _ = try GRPCFraming.messages(in: body)
    } catch {
        #expect(error.message.contains(reason), "\(error.message)")
        #expect(error.code == .internal)
    }
}

@Test func framingPutsTheFlagAndTheBigEndianLengthFirst() {
    #expect(GRPCFraming.frame([1, 2, 3], compressed: false) == [0, 0, 0, 0, 3, 1, 2, 3])
    let big = [UInt8](repeating: 7, count: 70_000)
    #expect(Array(GRPCFraming.frame(big, compressed: true).prefix(5)) == [1, 0, 0x01, 0x11, 0x70])
}

@Test(arguments: [
    ("1n", UInt64(1)), ("250u", 250_000), ("100m", 100_000_000), ("3S", 3_000_000_000), ("2M", 120_000_000_000),
    ("1H", 3_600_000_000_000), ("99999999H", UInt64.max),
] as [(String, UInt64)])
func aTimeoutIsReadInNanoseconds(_ value: String, _ nanos: UInt64) {
    #expect(GRPCFraming.timeoutNanos(value) == nanos)
}

@Test(arguments: ["", "S", "10", "123456789S", "1s", "-1S", "1.5S", " 1S"])
func aMalformedTimeoutIsNone(_ value: String) {
    #expect(GRPCFraming.timeoutNanos(value) == nil)
}

@Test func aStatusMessageIsPercentEncoded() {
    #expect(GRPCFraming.percentEncoded("unknown model 'x'") == "unknown model 'x'")
    #expect(GRPCFraming.percentEncoded("50% done\nnext") == "50%25 done%0Anext")
    #expect(GRPCFraming.percentEncoded("Grüße") == "Gr%C3%BC%C3%9Fe")
}

@Test(arguments: [
    ("application/grpc", true), ("application/grpc+proto", true), ("application/grpc;charset=utf-8", true),
    ("application/grpc-web", false), ("application/json", false), ("application/grp", false),
])
func onlyGRPCsContentTypesMakeACall(_ value: String, _ expected: Bool) {
    let bytes = Array(value.utf8)
    #expect(bytes.withUnsafeBufferPointer { GRPCFraming.isGRPC(contentType: $0) } == expected)
}
