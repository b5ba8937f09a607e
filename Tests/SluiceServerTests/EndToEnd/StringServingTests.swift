import Foundation
import SluiceCore
import Testing
@testable import SluiceServer

/// A model with string inputs and outputs (scripts/make_string_fixtures.py's label_encoder_v2:
/// s BYTES [N] and k INT64 [N] in; ids INT64, names BYTES, scores FP32 out) served over a real
/// socket: strings arrive as JSON text, as the binary extension's length-prefixed bytes and as
/// V1 instances, and come back the same ways; metadata says BYTES.
@Suite struct StringServingTests {
    static let fixture = URL(fileURLWithPath: TestServer.xgboostFixtures)
        .deletingLastPathComponent().appendingPathComponent("onnx_strings/label_encoder_v2/model.onnx").path

    let server: TestServer
    let repo: TemporaryRepository

    init() throws {
        repo = try TemporaryRepository()
        try repo.add(model: "labels", version: 1, file: Self.fixture, as: "model.onnx")
        server = try TestServer(models: repo.path)
    }

    @Test func metadataDeclaresBytes() throws {
        let a = try server.client().request("GET", "/v2/models/labels")
        #expect(a.status == 200)
        let inputs = try #require(a.json?["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["datatype"] as? String } == ["BYTES", "INT64"])
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["datatype"] as? String } == ["INT64", "BYTES", "FP32"])
    }

    @Test func stringsInJSONDataGoInAndComeOut() throws {
        let body = #"{"inputs":[{"name":"s","datatype":"BYTES","shape":[3],"data":["a","z","c"]},{"name":"k","datatype":"INT64","shape":[3],"data":[2,9,1]}]}"#
        let a = try server.client().request("POST", "/v2/models/labels/infer", json: body)
        #expect(a.status == 200, "\(a.text)")
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        #expect(outputs[0]["data"] as? [Int] == [10, -7, 30])
        #expect(outputs[1]["datatype"] as? String == "BYTES")
        #expect(outputs[1]["data"] as? [String] == ["two", "many", "one"])
        #expect(outputs[2]["data"] as? [Double] == [0.5, 0, -1.25])
    }

    @Test func binaryBytesElementsGoInAndComeOut() throws {
        var strings: [UInt8] = []
        for s in ["b", "\u{e9}t\u{e9}"] {
            let bytes = Array(s.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { strings += $0 }
            strings += bytes
        }
        var ints: [UInt8] = []
        for v: Int64 in [3, 0] { withUnsafeBytes(of: v.littleEndian) { ints += $0 } }
        let header = #"{"inputs":[{"name":"s","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":\#(strings.count)}},{"name":"k","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":16}}],"outputs":[{"name":"names","parameters":{"binary_data":true}},{"name":"ids"}]}"#
        let a = try server.client().request("POST", "/v2/models/labels/infer", body: Array(header.utf8) + strings + ints, headers: [
            "Inference-Header-Content-Length": String(header.utf8.count), "Content-Type": "application/octet-stream"])
        #expect(a.status == 200, "\(a.text)")
        let jsonLength = try #require(Int(a.headers["inference-header-content-length"] ?? ""))
        let response = try V2ResponseDecoder.decode(a.body, jsonLength: jsonLength)
        #expect(response.outputs.map(\.name) == ["names", "ids"])
        #expect(response.outputs[0].data == .bytes([Array("three".utf8), Array("many".utf8)]))
        #expect(response.outputs[1].data == .int64([20, -7]))
    }

    @Test func v1InstancesOfStringsArePredicted() throws {
        let body = #"{"instances":[{"s":"c","k":1},{"s":"nope","k":3}]}"#
        let a = try server.client().request("POST", "/v1/models/labels:predict", json: body)
        #expect(a.status == 200, "\(a.text)")
        let predictions = try #require(a.json?["predictions"] as? [[String: Any]])
        #expect(predictions.map { $0["names"] as? String } == ["one", "three"])
        #expect(predictions.map { $0["ids"] as? Int } == [30, -7])
    }

    @Test func numbersWhereTheModelTakesStringsAnswer400() throws {
        let body = #"{"inputs":[{"name":"s","datatype":"FP32","shape":[1],"data":[1]},{"name":"k","datatype":"INT64","shape":[1],"data":[1]}]}"#
        let a = try server.client().request("POST", "/v2/models/labels/infer", json: body)
        #expect(a.status == 400)
        #expect(a.error?.contains("BYTES") == true, "\(a.text)")
    }
}
