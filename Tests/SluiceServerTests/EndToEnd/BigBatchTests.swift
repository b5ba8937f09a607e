import Foundation
import Testing
@testable import SluiceServer

/// Big requests (issue #19's 1,000 × 16 FP32 batch) to a real server, over JSON and the binary
/// extension: the MLP fixture's onnxruntime rows (scripts/make_onnx_fixtures.py) tiled to the
/// batch, answered within its tolerance; JSON text that reads back to exactly the floats the
/// binary answer carries; and a malformed number among many still a 400 with `{"error": …}`.
@Suite struct BigBatchTests {
    struct Fixture {
        var inputs: [Float]
        var probabilities: [Float]
        var rtol: Double
    }

    static func fixture() throws -> Fixture {
        let dir = "\(ONNXServingTests.fixtures)/mlp"
        let input = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/input.json"))) as? [String: Any])
        let expected = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/expected.json"))) as? [String: Any])
        let outputs = try #require(expected["outputs"] as? [String: [String: Any]])
        let probabilities = try #require(outputs["probabilities"]?["data"] as? [Double])
        return Fixture(
            inputs: try #require(input["data"] as? [Double]).map { Float($0) }, probabilities: probabilities.map { Float($0) },
            rtol: try #require(expected["rtol"] as? Double))
    }

    /// Row r of the batch is the fixture's row r mod 45.
    static func tiled(_ values: [Float], width: Int, rows: Int) -> [Float] {
        let available = values.count / width
        return (0..<rows).flatMap { r in values[(r % available) * width..<(r % available + 1) * width] }
    }

    /// The numbers of the first `"data":[…]` in a JSON answer, read with `Float(_:)` from their
    /// own text (not through a `Double`).
    static func floats(inDataOf body: [UInt8]) throws -> [Float] {
        let text = String(decoding: body, as: UTF8.self)
        let start = try #require(text.range(of: #""data":["#))
        let end = try #require(text[start.upperBound...].firstIndex(of: "]"))
        let items = text[start.upperBound..<end]
        guard !items.isEmpty else { return [] }
        return try items.split(separator: ",").map { try #require(Float($0), "\($0)") }
    }

    static func serve() throws -> (TemporaryRepository, TestServer) {
        let repo = try TemporaryRepository()
        try repo.add(model: "mlp", version: 1, file: "\(ONNXServingTests.fixtures)/mlp/model.onnx", as: "model.onnx")
        return (repo, try TestServer(models: repo.path))
    }

    @Test(arguments: [1_000, 8, 1, 0])
    func bigBatchesOverJSONAndBinaryGiveTheSameFloats(rows: Int) throws {
        let fixture = try Self.fixture()
        let (repo, server) = try Self.serve()
        defer { withExtendedLifetime(repo) {} }
        let inputs = Self.tiled(fixture.inputs, width: 16, rows: rows)
        let wanted = Self.tiled(fixture.probabilities, width: 10, rows: rows)
        let output = #""outputs":[{"name":"probabilities"}]"#

        let json = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),16],"data":[\#(inputs.map(\.description).joined(separator: ","))]}],\#(output)}"#
        let byJSON = try server.client().request("POST", "/v2/models/mlp/infer", json: json)
        #expect(byJSON.status == 200, "\(byJSON.text.prefix(300))")
        let fromJSON = try Self.floats(inDataOf: byJSON.body)

        let header = Array(
            #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),16],"parameters":{"binary_data_size":\#(rows * 64)}}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}}]}"#.utf8)
        let payload = inputs.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        let byBinary = try server.client().request(
            "POST", "/v2/models/mlp/infer", body: header + payload,
            headers: ["Content-Type": "application/octet-stream", "Inference-Header-Content-Length": String(header.count)])
        #expect(byBinary.status == 200, "\(byBinary.text.prefix(300))")
        let jsonLength = try #require(byBinary.headers["inference-header-content-length"].flatMap { Int($0) })
        let section = Array(byBinary.body[jsonLength...])
        try #require(section.count == rows * 40)
        let fromBinary = (0..<rows * 10).map { i in
            Float(bitPattern: UInt32(section[4 * i]) | UInt32(section[4 * i + 1]) << 8 | UInt32(section[4 * i + 2]) << 16 | UInt32(section[4 * i + 3]) << 24)
        }

        #expect(fromJSON.map(\.bitPattern) == fromBinary.map(\.bitPattern))
        #expect(fromJSON.count == wanted.count)
        let far = zip(fromBinary, wanted).enumerated().filter { abs(Double($1.0) - Double($1.1)) > fixture.rtol * max(abs(Double($1.1)), 1e-6) }
        #expect(far.isEmpty, "\(far.prefix(5))")
    }

    @Test(arguments: ["1.5e", "01", "-", "1.e5", "+1", "0x10", "1e99999"])
    func aMalformedNumberAmongManyAnswers400(bad: String) throws {
        let (repo, server) = try Self.serve()
        defer { withExtendedLifetime(repo) {} }
        var values = Array(repeating: "0.25", count: 1_000 * 16)
        values[12_345] = bad
        let json = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1000,16],"data":[\#(values.joined(separator: ","))]}]}"#
        let answer = try server.client().request("POST", "/v2/models/mlp/infer", json: json)
        #expect(answer.status == 400)
        #expect(answer.error?.isEmpty == false, "\(answer.text)")
    }
}
