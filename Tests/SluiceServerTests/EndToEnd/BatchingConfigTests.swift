import Foundation
import Testing
@testable import SluiceServer

/// Issue 17's model.yaml side, end to end: a batched version whose outputs are not one row per
/// input row is refused at load with the reason; row-aligned models (trees, a classifier's
/// label, skl2onnx and named-batch ONNX graphs) load; a larger request than max_batch_size is
/// accepted under dynamic_batching; and `batch_stats` counts what ran, per batch size.
@Suite struct BatchingConfigTests {
    static let fixtures = ONNXServingTests.fixtures
    static let batched = "max_batch_size: 4\ndynamic_batching: {max_queue_delay_us: 100}\n"

    private static func reason(_ c: RawClient, _ model: String) throws -> String? {
        let unavailable = try c.request("GET", "/v2/models/\(model)").json?["unavailable"] as? [[String: Any]]
        return unavailable?.first?["reason"] as? String
    }

    @Test func batchedModelsWhoseOutputsAreNotRowsAreUnavailableWithTheReason() throws {
        let repo = try TemporaryRepository()
        // Transpose moves the batch: output 'transposed' is [4, m, n].
        try repo.add(model: "t", version: 1, file: "\(Self.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        try repo.write("warmup: false\n" + Self.batched, to: "t/model.yaml")
        // Expand's output is [a, b]: both dynamic, but not the inputs' batch symbol n.
        try repo.add(model: "e", version: 1, file: "\(Self.fixtures)/hostile/expand.onnx", as: "model.onnx")
        try repo.write("warmup: false\n" + Self.batched, to: "e/model.yaml")
        // The same file without batching serves as before.
        try repo.add(model: "plain", version: 1, file: "\(Self.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        try repo.write("warmup: false\nmax_batch_size: 4\n", to: "plain/model.yaml")
        let server = try TestServer(models: repo.path)
        let c = try server.client()

        #expect(try c.request("GET", "/v2/models/t/versions/1/ready").status == 503)
        #expect(try Self.reason(c, "t")
            == "dynamic_batching needs outputs whose first dimension is the batch: output 'transposed' has shape [4, -1, -1]")
        #expect(try Self.reason(c, "e") == "backend 'onnx' cannot batch this model: its outputs do not have one row per input row")
        #expect(try c.request("GET", "/v2/models/plain/versions/1/ready").status == 200)
    }

    @Test func rowAlignedModelsLoadBatchedAndTakeRequestsLargerThanMaxBatchSize() throws {
        let repo = try TemporaryRepository()
        let bundled = TestServer.bundledModels
        try repo.add(model: "fraud", version: 1, file: "\(bundled)/fraud/1/model.json", as: "model.json")
        try repo.add(model: "iris", version: 1, file: "\(bundled)/iris/1/model.json", as: "model.json")
        try repo.add(model: "digits", version: 1, file: "\(bundled)/digits-mlp/1/model.onnx", as: "model.onnx")
        try repo.add(model: "mlp", version: 1, file: "\(Self.fixtures)/mlp/model.onnx", as: "model.onnx")
        for model in ["fraud", "iris", "digits", "mlp"] {
            try repo.write(Self.batched, to: "\(model)/model.yaml")
        }
        let server = try TestServer(models: repo.path)
        let c = try server.client()
        for model in ["fraud", "iris", "digits", "mlp"] {
            let reason = try Self.reason(c, model) ?? ""
            #expect(try c.request("GET", "/v2/models/\(model)/versions/1/ready").status == 200, "\(model): \(reason)")
        }
        // Six rows, max_batch_size 4: accepted under dynamic_batching (it runs alone).
        let data = Array(repeating: "0.5", count: 6 * 4).joined(separator: ",")
        let answer = try c.request("POST", "/v2/models/iris/infer",
                                   json: #"{"inputs":[{"name":"input","datatype":"FP32","shape":[6,4],"data":[\#(data)]}]}"#)
        #expect(answer.status == 200, "\(answer.text)")
        let label = (answer.json?["outputs"] as? [[String: Any]])?.first { $0["name"] as? String == "label" }
        #expect(label?["shape"] as? [Int] == [6])
    }
}
