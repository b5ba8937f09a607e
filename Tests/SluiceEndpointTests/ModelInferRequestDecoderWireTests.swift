import Foundation
import SluiceCore
import SwiftProtobuf
import Testing
@testable import SluiceServer

/// Encodings of a `ModelInferRequest` that swift-protobuf accepts but does not write (unpacked
/// repeated scalars, fields out of order, a field or message given twice, unknown fields), and
/// the malformed ones both refuse, written by hand.
@Suite struct ModelInferRequestDecoderWireTests {
    private struct Wire {
        var w = ProtobufWriter(out: [])

        mutating func varint(_ field: Int, _ value: UInt64) {
            w.tag(field, wireType: 0)
            w.varint(value)
        }

        mutating func bytes(_ field: Int, _ value: [UInt8]) {
            w.tag(field, wireType: 2)
            w.varint(UInt64(value.count))
            w.out += value
        }

        mutating func fixed(_ field: Int, _ value: UInt64, size: Int) {
            w.tag(field, wireType: size == 4 ? 5 : 1)
            for i in 0..<size { w.out.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
        }

        /// One unknown field of each wire type a message may skip.
        mutating func unknowns() {
            varint(99, 7)
            fixed(100, 1, size: 8)
            bytes(101, [1, 2, 3])
            fixed(102, 1, size: 4)
        }
    }

    private func outcome(_ bytes: [UInt8]) -> String {
        ModelInferRequestDecoderTests.outcome(decoding: bytes, keys: ["route"])
    }

    private func oracle(_ bytes: [UInt8]) -> String {
        ModelInferRequestDecoderTests.oracleOutcome(bytes, keys: ["route"])
    }

    @Test func unpackedRepeatedFieldsAndMergedContentsReadAsSwiftProtobufReadsThem() throws {
        var contents = Wire()
        contents.fixed(6, UInt64(Float(1).bitPattern), size: 4)  // fp32, unpacked
        contents.fixed(6, UInt64(Float(2).bitPattern), size: 4)
        contents.unknowns()
        var packed = Wire()
        packed.bytes(6, [Float(3), 4].withUnsafeBytes { Array($0) })  // fp32, packed, little-endian host
        var input = Wire()
        input.varint(1, 5)  // name with another wire type: unknown, skipped
        input.bytes(1, Array("x".utf8))
        input.varint(3, 2)  // shape, unpacked
        input.bytes(5, contents.w.out)
        input.bytes(5, packed.w.out)  // the singular `contents` again: merged
        input.bytes(3, [2])  // shape, packed, after the unpacked
        input.bytes(2, Array("FP32".utf8))  // datatype after contents
        input.unknowns()
        var parameter = Wire()
        parameter.bytes(1, Array("route".utf8))
        parameter.bytes(2, [0x08, 0x01])  // bool_param
        parameter.bytes(2, [0x1a, 0x02, 0x76, 0x31])  // string_param "v1": the value merges, last choice wins
        var call = Wire()
        call.bytes(1, Array("a".utf8))
        call.bytes(5, input.w.out)
        call.bytes(1, Array("m".utf8))  // last wins
        call.bytes(4, parameter.w.out)
        call.unknowns()
        let bytes = call.w.out
        #expect(outcome(bytes) == oracle(bytes))
        let decoded = try ModelInferRequestDecoder.decode(bytes)
        #expect(decoded.modelName == "m" && decoded.stringParameter("route") == "v1")
        #expect(try decoded.inferenceRequest().inputs == [Tensor(unchecked: "x", shape: [2, 2], data: .fp32([1, 2, 3, 4]))])
    }

    @Test func everyContentsFieldReadsUnpacked() throws {
        let minusOne = UInt64.max  // int32 -1 as proto3 writes it: ten bytes, sign-extended
        let cases: [(String, (inout Wire) -> Void, TensorData)] = [
            ("BOOL", { $0.varint(1, 1); $0.varint(1, 0) }, .bool([true, false])),
            ("INT8", { $0.varint(2, minusOne); $0.varint(2, 127) }, .int8([-1, 127])),
            ("INT32", { $0.varint(2, minusOne); $0.varint(2, 1 << 40 | 5) }, .int32([-1, 5])),
            ("INT64", { $0.varint(3, minusOne); $0.varint(3, 9) }, .int64([-1, 9])),
            ("UINT16", { $0.varint(4, 65535); $0.varint(4, 0) }, .uint16([65535, 0])),
            ("UINT64", { $0.varint(5, .max); $0.varint(5, 1) }, .uint64([.max, 1])),
            ("FP64", { $0.fixed(7, Double(0.5).bitPattern, size: 8); $0.fixed(7, Double(-2).bitPattern, size: 8) }, .fp64([0.5, -2])),
            ("BYTES", { $0.bytes(8, [104, 105]); $0.bytes(8, []) }, .bytes([[104, 105], []])),
        ]
        for (datatype, fill, expected) in cases {
            var contents = Wire()
            fill(&contents)
            var input = Wire()
            input.bytes(1, Array("x".utf8))
            input.bytes(2, Array(datatype.utf8))
            input.varint(3, 2)
            input.bytes(5, contents.w.out)
            var call = Wire()
            call.bytes(5, input.w.out)
            #expect(outcome(call.w.out) == oracle(call.w.out), "\(datatype)")
            #expect(try ModelInferRequestDecoder.decode(call.w.out).inferenceRequest().inputs.first?.data == expected)
        }
    }

    /// The `grpc-infer` fuzz seeds are requests the decoder accepts, as swift-protobuf and the
    /// oracle read them, so that the fuzzer starts from messages that reach every tensor path.
    @Test func theFuzzSeedsAreRequestsReadAsSwiftProtobufReadsThem() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz/corpus/grpc-infer")
        let seeds = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        #expect(seeds.count >= 4)
        for seed in seeds {
            let bytes = [UInt8](try Data(contentsOf: seed))
            #expect(outcome(bytes) == oracle(bytes), "\(seed.lastPathComponent)")
            #expect(throws: Never.self, "\(seed.lastPathComponent)") { try ModelInferRequestDecoder.decode(bytes).inferenceRequest() }
        }
    }

    /// Malformed messages: both refuse them, with swift-protobuf's words.
    @Test func malformedMessagesAreRefusedWithSwiftProtobufsWords() {
        let prefix = "the request is not a valid inference.ModelInferRequest message: "
        let cases: [([UInt8], String)] = [
            ([0x0a], "truncated"),  // a length that is not there
            ([0x0a, 0x05, 0x61], "truncated"),  // a length past the end
            ([0x0a] + [UInt8](repeating: 0xff, count: 9) + [0x01], "malformedProtobuf"),  // a length of 2^64 - 1
            ([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07], "malformedProtobuf"),  // 2 GiB
            ([0x08] + [UInt8](repeating: 0xff, count: 10) + [0x01], "malformedProtobuf"),  // a varint over 10 bytes
            ([0x08, 0x80], "malformedProtobuf"),  // a varint cut short
            ([0x0a, 0x02, 0xc3, 0x28], "invalidUTF8"),
            ([0x00, 0x00], "malformedProtobuf"),  // field 0
            ([0x0e], "malformedProtobuf"),  // wire type 6
            ([0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "malformedProtobuf"),  // a tag over 5 bytes
            ([0x2a, 0x07, 0x2a, 0x05, 0x32, 0x03, 1, 2, 3], "truncated"),  // packed fp32 of 3 bytes
            ([0x2a, 0x03, 0x1a, 0x01, 0x80], "malformedProtobuf"),  // packed shape cut mid-varint
        ]
        for (bytes, words) in cases {
            #expect(throws: ServingError.invalidInput(prefix + words), "\(bytes)") { try ModelInferRequestDecoder.decode(bytes) }
            #expect(throws: (any Error).self, "\(bytes)") { try Inference_ModelInferRequest(serializedBytes: bytes) }
        }
        // A group (deprecated, in no field of the message) is refused, where swift-protobuf skips it.
        #expect(throws: ServingError.invalidInput(prefix + "malformedProtobuf")) { try ModelInferRequestDecoder.decode([0x0b, 0x0c]) }
    }
}
