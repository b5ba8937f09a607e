import Foundation
import Synchronization
import Testing
@testable import SluiceServer

/// Dynamic batching end to end: concurrent requests with random row counts to a batched copy of
/// fraud get exactly what the unbatched copy answers, each its own rows.
@Suite struct BatchingTests {
    @Test func concurrentRequestsToABatchedVersionGetTheAnswersOfTheUnbatchedOne() throws {
        let repository = try TemporaryRepository()
        let file = "\(TestServer.bundledModels)/fraud/2/model.json"
        try repository.write("backend: xgboost\n", to: "plain/model.yaml")
        try repository.add(model: "plain", version: 1, file: file, as: "model.json")
        try repository.write("""
            backend: xgboost
            max_batch_size: 16
            dynamic_batching: {max_queue_delay_us: 3000, preferred_batch_sizes: [16]}
            instances: 1
            max_queue: 256
            """, to: "batched/model.yaml")
        try repository.add(model: "batched", version: 1, file: file, as: "model.json")
        let server = try TestServer(models: repository.path)
        let bodies: [(rows: Int, json: String)] = (0..<32).map { k in
            let rows = 1 + k % 4
            let data = (0..<(rows * 20)).map { String(Double(($0 * 7 + k * 13) % 29) / 10 - 1.4) }.joined(separator: ",")
            return (rows, #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(data)]}]}"#)
        }
        @Sendable func outputs(_ text: String) -> String {
            guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let outputs = json["outputs"] else { return "no outputs: \(text)" }
            // Keys sorted: the same answer, whatever order its objects' keys came in.
            let sorted = try? JSONSerialization.data(withJSONObject: outputs, options: [.sortedKeys])
            return sorted.map { String(decoding: $0, as: UTF8.self) } ?? "unserializable"
        }
        let expected = try bodies.map { try outputs(server.client().request("POST", "/v2/models/plain/infer", json: $0.json).text) }
        let answers = Mutex<[Int: String]>([:])
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: bodies.count) { k in
            let text = (try? RawClient(port: port).request("POST", "/v2/models/batched/infer", json: bodies[k].json).text) ?? "failed"
            answers.withLock { $0[k] = outputs(text) }
        }
        for k in bodies.indices { #expect(answers.withLock { $0[k] } == expected[k], "request \(k)") }
        let stats = try server.client().request("GET", "/v2/models/batched/stats").json
        let model = (stats?["model_stats"] as? [[String: Any]])?.first
        #expect(model?["inference_count"] as? Int == bodies.reduce(0) { $0 + $1.rows })
        #expect(model?["batch_stats"] is [[String: Any]])
    }
}
