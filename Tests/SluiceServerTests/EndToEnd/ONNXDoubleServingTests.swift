import Foundation
import Testing
import SluiceCore
@testable import SluiceServer

/// An FP64 ONNX model (scripts/make_double_fixtures.py) served over HTTP: its metadata says FP64,
/// and FP64 binary data in gives FP64 out, as JSON and as binary, equal to onnxruntime's within
/// 1e-12 relative.
@Suite struct ONNXDoubleServingTests {
    private struct Input: Decodable {
        var name: String
        var shape: [Int]
        var data: [Double]
    }

    private struct Expected: Decodable {
        struct Output: Decodable {
            var shape: [Int]
            var datatype: String
            var data: [Double]
        }
        var outputs: [String: Output]
    }

    static let fixture = "\(ONNXServingTests.fixtures)/mlp_classifier_double"

    @Test func anFP64ModelAnswersFP64AsJSONAndAsBinary() throws {
        // JSONDecoder reads every double exactly (JSONSerialization on Linux can be an ulp off).
        let input = try JSONDecoder().decode(Input.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.fixture)/input.json")))
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.fixture)/expected.json")))
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: "\(Self.fixture)/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)

        let metadata = try #require(try server.client().request("GET", "/v2/models/m").json)
        #expect((metadata["inputs"] as? [[String: Any]])?.first?["datatype"] as? String == "FP64")
        let declared = (metadata["outputs"] as? [[String: Any]] ?? []).map { $0["datatype"] as? String }
        #expect(declared == ["INT64", "FP64"])

        let header = #"{"inputs":[{"name":"\#(input.name)","datatype":"FP64","shape":\#(input.shape),"parameters":{"binary_data_size":\#(input.data.count * 8)}}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}},{"name":"label"}]}"#
        var body = Array(header.utf8)
        for v in input.data { withUnsafeBytes(of: v.bitPattern.littleEndian) { body += $0 } }
        let a = try server.client().request("POST", "/v2/models/m/infer", body: body, headers: [
            "Inference-Header-Content-Length": String(header.utf8.count), "Content-Type": "application/octet-stream"])
        #expect(a.status == 200, "\(a.text)")
        let jsonLength = try #require(Int(a.headers["inference-header-content-length"] ?? ""))
        let response = try V2ResponseDecoder.decode(a.body, jsonLength: jsonLength)
        let probabilities = try #require(response.outputs.first { $0.name == "probabilities" })
        let want = try #require(expected.outputs["probabilities"])
        #expect(probabilities.shape == want.shape)
        guard case .fp64(let p) = probabilities.data else {
            Issue.record("probabilities are \(probabilities.datatype), not FP64")
            return
        }
        try #require(p.count == want.data.count)
        for (got, ref) in zip(p, want.data) { #expect(abs(got - ref) <= 1e-12 * max(1, abs(ref)), "\(got) vs \(ref)") }

        // The same request as JSON: the numbers come back as FP64 text that reads back to them.
        let data = input.data.map { "\($0)" }.joined(separator: ",")
        let json = try server.client().request(
            "POST", "/v2/models/m/infer",
            json: #"{"inputs":[{"name":"\#(input.name)","datatype":"FP64","shape":\#(input.shape),"data":[\#(data)]}]}"#)
        #expect(json.status == 200, "\(json.text)")
        let outputs = try #require(json.json?["outputs"] as? [[String: Any]])
        let jsonProbabilities = try #require(outputs.first { $0["name"] as? String == "probabilities" })
        #expect(jsonProbabilities["datatype"] as? String == "FP64")
        let text = try #require(jsonProbabilities["data"] as? [Double])
        for (t, b) in zip(text, p) { #expect(abs(t - b) <= 1e-15 * max(1, abs(b))) }
    }
}
