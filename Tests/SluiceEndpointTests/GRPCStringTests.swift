import Foundation
import SluiceCore
import Testing
@testable import SluiceServer

/// `ModelInfer` with string tensors (scripts/make_string_fixtures.py's label_encoder_v2: s BYTES
/// and k INT64 in; ids, names BYTES and scores out): strings in `bytes_contents` or in
/// `raw_input_contents` (4-byte little-endian length before each), and BYTES answered in
/// `raw_output_contents` the same way.
@Suite struct GRPCStringTests {
    let harness: Harness
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-grpc-strings-\(UUID().uuidString)")
        let version = folder.appendingPathComponent("labels/1")
        try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
        let model = Harness.project.appendingPathComponent("Tests/SluiceBackendsTests/Fixtures/onnx_strings/label_encoder_v2/model.onnx")
        try FileManager.default.copyItem(at: model, to: version.appendingPathComponent("model.onnx"))
        let path = folder.path
        harness = try Harness { config in
            config.models = path
            config.routes = nil
        }
    }

    static func call(raw: Bool) -> Inference_ModelInferRequest {
        var call = Inference_ModelInferRequest()
        call.modelName = "labels"
        var s = Inference_ModelInferRequest.InferInputTensor()
        s.name = "s"
        s.datatype = "BYTES"
        s.shape = [3]
        var k = Inference_ModelInferRequest.InferInputTensor()
        k.name = "k"
        k.datatype = "INT64"
        k.shape = [3]
        let strings = ["a", "z", "c"].map { Data($0.utf8) }
        let ints: [Int64] = [2, 9, 1]
        if raw {
            var packed = Data()
            for bytes in strings {
                withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { packed.append(contentsOf: $0) }
                packed.append(bytes)
            }
            call.rawInputContents = [packed, ints.withUnsafeBytes { Data($0) }]
        } else {
            s.contents.bytesContents = strings
            k.contents.int64Contents = ints
        }
        call.inputs = [s, k]
        return call
    }

    /// The elements of a raw BYTES output.
    static func strings(_ raw: Data) -> [String] {
        var out: [String] = []
        var at = raw.startIndex
        while at + 4 <= raw.endIndex {
            let length = raw[at..<at + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            at += 4
            out.append(String(decoding: raw[at..<min(at + length, raw.endIndex)], as: UTF8.self))
            at += length
        }
        return out
    }

    @Test(arguments: [false, true])
    func stringsGoInAndComeOutAsBytes(raw: Bool) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let answer = try harness.grpc("inference.GRPCInferenceService/ModelInfer", Self.call(raw: raw))
            .message(Inference_ModelInferResponse.self)
        #expect(answer.outputs.map(\.name) == ["ids", "names", "scores"])
        #expect(answer.outputs.map(\.datatype) == ["INT64", "BYTES", "FP32"])
        #expect(answer.outputs[1].shape == [3])
        #expect(Self.strings(answer.rawOutputContents[1]) == ["two", "many", "one"])
        let ids = answer.rawOutputContents[0].withUnsafeBytes { b in (0..<3).map { b.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) } }
        #expect(ids == [10, -7, 30])
    }
}
