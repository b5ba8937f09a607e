import Foundation
import SluiceCore
import Testing
@testable import SluiceServer

/// Issue 14 over HTTP: model files that killed the server as they loaded (defect 4), a request
/// whose zero-element tensor has huge dimensions (defect 3) and a request that asks a shape
/// operator for a gigabyte (defect 9). Each now fails alone, with the limit
/// `limits.max_model_tensor_elements` named, while the server serves on.
@Suite struct HostileONNXTests {
    static let fixtures = ONNXServingTests.fixtures

    /// Each file is dropped into the running server's repository as the next version (with a
    /// SHA256SUMS, so the poll driven here loads it at once): it is UNAVAILABLE with the reason
    /// and version 1 keeps answering.
    @Test func badModelFilesDroppedIntoARunningServerLeaveTheServingVersionAlone() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: "\(Self.fixtures)/logreg_binary/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path) { $0.pollInterval = 0 }
        let c = try server.client()
        let (body, _, _) = try ONNXServingTests.request("logreg_binary")
        let files = [
            "slice_step_int64_max.onnx", "slice_step_int64_min.onnx", "maxpool_kernel_2_31.onnx", "conv_pads_100000.onnx",
        ]
        for (k, file) in files.enumerated() {
            let version = k + 2
            let model = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/bad/\(file)"))
            try repo.write("\(SHA256.hex(SHA256.digest(Array(model))))  model.onnx\n", to: "m/\(version)/SHA256SUMS")
            try repo.add(model: "m", version: version, file: "\(Self.fixtures)/bad/\(file)", as: "model.onnx")
            server.server.manager.poll()

            let ready = try c.request("GET", "/v2/models/m/versions/\(version)/ready")
            #expect(ready.status == 503, "\(file): \(ready.text)")
            let unavailable = try c.request("GET", "/v2/models/m").json?["unavailable"] as? [[String: Any]]
            let reason = unavailable?.first { $0["version"] as? String == "\(version)" }?["reason"] as? String
            #expect(reason?.contains("limits.max_model_tensor_elements") == true, "\(file): \(String(describing: unavailable))")
            let answer = try c.request("POST", "/v2/models/m/infer", json: body)
            #expect(answer.status == 200, "\(file): \(answer.text)")
            #expect(answer.headers["x-sluice-model-version"] == "1", "\(file)")
        }
    }

    static func dynamicDims() throws -> (TemporaryRepository, TestServer) {
        let repo = try TemporaryRepository()
        try repo.add(model: "d", version: 1, file: "\(Self.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        // Warm-up sends zeros, and a Slice step of 0 is refused: this model is warmed by its requests.
        try repo.write("warmup: false\n", to: "d/model.yaml")
        return (repo, try TestServer(models: repo.path))
    }

    static func dynamicDimsBody(shape: String, data: String = "", step: String = "1") -> String {
        #"{"inputs":[{"name":"x","datatype":"FP32","shape":\#(shape),"data":[\#(data)]},"#
            + #"{"name":"steps","datatype":"INT64","shape":[1],"data":[\#(step)]}]}"#
    }

    @Test func aZeroElementTensorWithHugeDimensionsAnswers400NamingTheInput() throws {
        let (repo, server) = try Self.dynamicDims()
        defer { withExtendedLifetime(repo) {} }
        let c = try server.client()
        let hostile = try c.request("POST", "/v2/models/d/infer", json: Self.dynamicDimsBody(shape: "[0,4611686018427387904,4]"))
        #expect(hostile.status == 400, "\(hostile.text)")
        #expect(hostile.error?.contains("input 'x'") == true, "\(hostile.text)")
        #expect(hostile.error?.contains("limits.max_model_tensor_elements") == true, "\(hostile.text)")
        let step = try c.request("POST", "/v2/models/d/infer", json: Self.dynamicDimsBody(shape: "[1,2,4]", data: "1,2,3,4,5,6,7,8", step: "9223372036854775807"))
        #expect(step.status == 400, "\(step.text)")
        #expect(step.error?.contains("Slice 'slice'") == true, "\(step.text)")
        // The server, and this connection, carry on.
        let fine = try c.request("POST", "/v2/models/d/infer", json: Self.dynamicDimsBody(shape: "[1,2,4]", data: "1,2,3,4,5,6,7,8"))
        #expect(fine.status == 200, "\(fine.text)")
        #expect((fine.json?["outputs"] as? [[String: Any]])?.count == 4)
    }

    static func expandBody(_ dims: [Int]) -> String {
        #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]},"#
            + #"{"name":"shape","datatype":"INT64","shape":[\#(dims.count)],"data":\#(dims)}]}"#
    }

    @Test func anExpandAskedForAGigabyteAnswers400() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "e", version: 1, file: "\(Self.fixtures)/hostile/expand.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let c = try server.client()
        let hostile = try c.request("POST", "/v2/models/e/infer", json: Self.expandBody([16384, 16384]))
        #expect(hostile.status == 400, "\(hostile.text)")
        #expect(hostile.error?.contains("Expand 'expand': output shape [16384, 16384]") == true, "\(hostile.text)")
        #expect(try c.request("POST", "/v2/models/e/infer", json: Self.expandBody([2, 3])).status == 200)
    }

    /// The configured limit, not the default, is the one a request meets.
    @Test func theConfiguredLimitIsTheOneApplied() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "e", version: 1, file: "\(Self.fixtures)/hostile/expand.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path) { $0.modelLimits.maxTensorElements = 100 }
        let c = try server.client()
        let refused = try c.request("POST", "/v2/models/e/infer", json: Self.expandBody([10, 11]))
        #expect(refused.status == 400)
        #expect(refused.error?.contains("beyond the 100 elements") == true, "\(refused.text)")
        #expect(try c.request("POST", "/v2/models/e/infer", json: Self.expandBody([10, 10])).status == 200)
    }
}
