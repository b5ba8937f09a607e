import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// scripts/make_string_fixtures.py's cases (issue 18): string and mixed inputs, string outputs,
/// with onnxruntime's answers for all rows, one row and no rows. Strings and labels match
/// exactly; values within the case's rtol relative (or absolute near zero).
@Suite struct StringFixtureTests {
    /// Folders under Fixtures/onnx_strings; `everyFixtureIsListed` keeps the list honest.
    static let cases = [
        "column_transformer", "label_encoder_v1", "label_encoder_v2", "label_encoder_v4", "string_graph", "string_labels_forest",
        "string_labels_logreg", "tfidf_logreg",
    ]

    static func root() throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("onnx_strings")
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func load(_ name: String) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(file: root().appendingPathComponent("\(name)/model.onnx").path, backend: "onnx"))
    }

    /// A tensor of the fixture format: {"shape", "datatype", "data"}, BYTES data as text.
    static func tensor(_ name: String, _ t: [String: Any]) throws -> Tensor {
        let shape = try #require(t["shape"] as? [Int])
        let data: TensorData
        switch try #require(t["datatype"] as? String) {
        case "BYTES": data = .bytes(try #require(t["data"] as? [String]).map { Array($0.utf8) })
        case "FP32": data = .fp32(try #require(t["data"] as? [NSNumber]).map(\.floatValue))
        case "INT64": data = .int64(try #require(t["data"] as? [NSNumber]).map(\.int64Value))
        case "BOOL": data = .bool(try #require(t["data"] as? [Bool]))
        case let other: throw FixtureError(reason: "datatype \(other)")
        }
        return try Tensor(name: name, shape: shape, data: data)
    }

    struct FixtureError: Error { let reason: String }

    /// The first `rows` rows of a tensor.
    static func rows(_ t: Tensor, _ rows: Int) throws -> Tensor {
        let width = t.shape.dropFirst().reduce(1, *)
        let n = rows * width
        let data: TensorData
        switch t.data {
        case .bytes(let a): data = .bytes(Array(a[0..<n]))
        case .fp32(let a): data = .fp32(Array(a[0..<n]))
        case .int64(let a): data = .int64(Array(a[0..<n]))
        default: throw FixtureError(reason: "datatype \(t.datatype)")
        }
        return try Tensor(name: t.name, shape: [rows] + t.shape.dropFirst(), data: data)
    }

    static func inputs(_ name: String) throws -> [Tensor] {
        let input = try json(root().appendingPathComponent("\(name)/input.json"))
        return try #require(input["inputs"] as? [[String: Any]]).map { try tensor(try #require($0["name"] as? String), $0) }
    }

    static func expect(_ got: Tensor, _ want: Tensor, rtol: Double, _ context: String) {
        #expect(got.shape == want.shape, "\(context) \(got.name)")
        #expect(got.datatype == want.datatype, "\(context) \(got.name)")
        switch (got.data, want.data) {
        case (.fp32(let a), .fp32(let b)):
            #expect(a.count == b.count)
            for (i, (x, y)) in zip(a, b).enumerated() {
                #expect(abs(Double(x) - Double(y)) <= rtol * max(abs(Double(y)), 1), "\(context) \(got.name)[\(i)]: \(x) vs \(y)")
            }
        default:
            #expect(got.data == want.data, "\(context) \(got.name)")
        }
    }

    @Test(arguments: cases)
    func modelAnswersAsOnnxruntimeDidForAllOneAndNoRows(_ name: String) throws {
        let backend = try Self.load(name)
        let inputs = try Self.inputs(name)
        let expected = try Self.json(Self.root().appendingPathComponent("\(name)/expected.json"))
        let rtol = try #require(expected["rtol"] as? Double)
        let names = try #require(expected["output_names"] as? [String])
        #expect(backend.outputs.map(\.name) == names)
        #expect(Set(backend.inputs.map(\.name)) == Set(inputs.map(\.name)))
        var sizes: [Int] = []
        for batch in try #require(expected["batches"] as? [[String: Any]]) {
            let n = try #require(batch["rows"] as? Int)
            sizes.append(n)
            let outputs = try backend.infer(try inputs.map { try Self.rows($0, n) })
            let want = try #require(batch["outputs"] as? [String: Any])
            for output in outputs {
                let t = try Self.tensor(output.name, try #require(want[output.name] as? [String: Any]))
                Self.expect(output, t, rtol: rtol, "\(name) rows=\(n)")
            }
        }
        #expect(sizes.first ?? 0 >= 8 && sizes.contains(1))
        if !sizes.contains(0) {
            // onnxruntime refused no rows (its StringNormalizer); Sluice answers no rows.
            for output in try backend.infer(try inputs.map { try Self.rows($0, 0) }) where !output.shape.isEmpty {
                #expect(output.shape[0] == 0, "\(name) \(output.name) \(output.shape)")
            }
        }
    }

    @Test func everyFixtureIsListed() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.root().path).filter { $0 != "bad" }
        #expect(Set(folders) == Set(Self.cases))
    }

    @Test func tokenizerWithARegularExpressionIsRefusedNamingTheOperatorAndTheWayOut() throws {
        let path = try Self.root().appendingPathComponent("bad/tfidf_tokenexp.onnx").path
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: path, backend: "onnx"))
        }
        let text = "\(String(describing: error))"
        #expect(text.contains("Tokenizer") && text.contains("tokenexp") && text.contains("separators"), "\(text)")
    }

    @Test func metadataDeclaresStringInputsAndOutputsAsBytes() throws {
        let backend = try Self.load("column_transformer")
        #expect(backend.inputs.map(\.datatype) == [.bytes, .bytes, .fp32, .fp32])
        let labels = try Self.load("string_labels_forest")
        #expect(labels.outputs.first?.datatype == .bytes)
    }

    @Test func anyBytesPassThroughUnchangedAndNumbersAreRefusedForStrings() throws {
        let backend = try Self.load("label_encoder_v4")
        let odd: [UInt8] = [0xFF, 0xFE, 0x00, 0x61]  // not UTF-8, with a NUL
        let x = try Tensor(name: "x", shape: [2], data: .fp32([0.5, 9]))
        let s = try Tensor(name: "s", shape: [2], data: .bytes([odd, Array("a".utf8)]))
        let out = try backend.infer([x, s])
        #expect(out[1].data == .bytes([Array("?".utf8), Array("A".utf8)]))
        let numbers = try Tensor(name: "s", shape: [2], data: .fp32([1, 2]))
        #expect(throws: ServingError.self) { try backend.infer([x, numbers]) }
    }

    /// A 10 MB string is one lookup key; a megabyte of text and 100,000 tiny strings go
    /// through the tokenizer; bytes that are not UTF-8 are a request error where text is read.
    @Test func hostileStringsAreBoundedAndDoNotCrash() throws {
        let encoder = try Self.load("label_encoder_v4")
        let big = [UInt8](repeating: 0x61, count: 10 << 20)
        let x = try Tensor(name: "x", shape: [1], data: .fp32([1]))
        let out = try encoder.infer([x, try Tensor(name: "s", shape: [1], data: .bytes([big]))])
        #expect(out[1].data == .bytes([Array("?".utf8)]))
        let backend = try Self.load("tfidf_logreg")
        let text = Array(String(repeating: "ab ", count: 1 << 18).utf8)
        #expect(try backend.infer([try Tensor(name: "text", shape: [1, 1], data: .bytes([text]))]).first?.shape == [1])
        let invalid = try Tensor(name: "text", shape: [2, 1], data: .bytes([[0xC3, 0x28], [0xFF]]))
        #expect(throws: ServingError.self) { try backend.infer([invalid]) }
        let many = try Tensor(name: "text", shape: [100_000, 1], data: .bytes(Array(repeating: Array("a b".utf8), count: 100_000)))
        #expect(try backend.infer([many]).first?.shape == [100_000])
    }

    /// Strings made by one request (its inputs, Tokenizer's tokens) never leak into the next:
    /// the workspace's table starts again, and answers do not depend on what came before.
    @Test func workspaceStringsDoNotLeakBetweenRequests() throws {
        let backend = try Self.load("string_graph")
        let inputs = try Self.inputs("string_graph")
        let first = try backend.infer(inputs)
        for _ in 0..<3 { _ = try backend.infer(try inputs.map { try Self.rows($0, 1) }) }
        #expect(try backend.infer(inputs) == first)
    }
}
