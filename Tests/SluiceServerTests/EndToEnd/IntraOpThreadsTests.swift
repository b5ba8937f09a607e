import Foundation
import SluiceCore
import Synchronization
import Testing
@testable import SluiceServer

/// `threads_per_inference` end to end: a version that slices its costly requests answers what
/// the same model with one thread answers (ONNX MLP and XGBoost, 8, 1 and 0 rows, alone and
/// under dynamic batching), a refused request is refused alike, and a model whose rows are not
/// independent is unavailable with the reason.
@Suite struct IntraOpThreadsTests {
    static let fixtures = ONNXServingTests.fixtures

    /// `rows` rows of `width` features from a fixed pattern, as a V2 JSON body.
    static func body(rows: Int, width: Int, input: String, seed: Int = 0) -> String {
        let data = (0..<(rows * width)).map { String(Double(($0 * 7 + seed * 13) % 29) / 10 - 1.4) }.joined(separator: ",")
        return #"{"inputs":[{"name":"\#(input)","datatype":"FP32","shape":[\#(rows),\#(width)],"data":[\#(data)]}]}"#
    }

    /// Each output by name: its shape and its values.
    static func outputs(_ answer: RawClient.Answer) -> [String: (shape: [Int], values: [Double])] {
        var result: [String: (shape: [Int], values: [Double])] = [:]
        for output in answer.json?["outputs"] as? [[String: Any]] ?? [] {
            guard let name = output["name"] as? String else { continue }
            let values = (output["data"] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
            result[name] = (output["shape"] as? [Int] ?? [], values)
        }
        return result
    }

    /// Whether two answers agree: status, outputs' names and shapes exactly, values within
    /// `tolerance` relative (slices of an ONNX model may sum in another order; trees do not).
    static func expectSame(_ a: RawClient.Answer, _ b: RawClient.Answer, tolerance: Double, _ what: String) {
        #expect(a.status == b.status, "\(what): \(a.text) vs \(b.text)")
        let (x, y) = (outputs(a), outputs(b))
        #expect(x.keys.sorted() == y.keys.sorted(), "\(what)")
        for (name, left) in x {
            guard let right = y[name] else { continue }
            #expect(left.shape == right.shape, "\(what): \(name)")
            #expect(left.values.count == right.values.count, "\(what): \(name)")
            for (u, v) in zip(left.values, right.values) {
                #expect(abs(u - v) <= tolerance * max(1, abs(v)), "\(what): \(name) \(u) vs \(v)")
            }
        }
    }

    /// A repository with `model` twice: `one` as it is, `two` with `threads_per_inference: 2`
    /// (and `extra` yaml on both).
    static func repository(file: String, as name: String, extra: String = "") throws -> TemporaryRepository {
        let repo = try TemporaryRepository()
        for (model, yaml) in [("one", extra), ("two", "threads_per_inference: 2\n" + extra)] {
            try repo.add(model: model, version: 1, file: file, as: name)
            try repo.write(yaml, to: "\(model)/model.yaml")
        }
        return repo
    }

    @Test(arguments: [
        ("\(ONNXServingTests.fixtures)/mlp/model.onnx", "model.onnx", "input", 16, 1e-5, ""),
        ("\(TestServer.bundledModels)/fraud/2/model.json", "model.json", "input", 20, 0.0, "backend: xgboost\n"),
        ("\(ONNXServingTests.fixtures)/mlp/model.onnx", "model.onnx", "input", 16, 1e-5,
         "max_batch_size: 64\ndynamic_batching: {max_queue_delay_us: 100}\n"),
    ])
    func slicedRequestsAnswerWhatOneThreadAnswers(
        file: String, name: String, input: String, width: Int, tolerance: Double, extra: String
    ) throws {
        let repo = try Self.repository(file: file, as: name, extra: extra)
        // A budget of 0: every measured call is costly, so every request of 2 rows or more slices.
        let server = try TestServer(models: repo.path) { $0.scheduling.inlineBudgetMicros = 0 }
        let c = try server.client()
        for model in ["one", "two"] {
            #expect(try c.request("GET", "/v2/models/\(model)/versions/1/ready").status == 200, "\(model)")
        }
        var sliceable = 0
        for (seed, rows) in [8, 1, 0, 8, 45, 2].enumerated() {
            let json = Self.body(rows: rows, width: width, input: input, seed: seed)
            let one = try c.request("POST", "/v2/models/one/infer", json: json)
            let two = try c.request("POST", "/v2/models/two/infer", json: json)
            Self.expectSame(one, two, tolerance: tolerance, "\(rows) rows")
            if rows >= 1 { #expect(two.status == 200, "\(rows) rows: \(two.text)") }
            if rows >= 2 { sliceable += 1 }
        }
        #expect(server.server.intraOp.slicedCalls == sliceable)
        // One execution per request, however many slices it ran as.
        let stats = try c.request("GET", "/v2/models/two/stats").json
        let counts = (stats?["model_stats"] as? [[String: Any]])?.first
        let one = try c.request("GET", "/v2/models/one/stats").json
        #expect(counts?["execution_count"] as? Int == (one?["model_stats"] as? [[String: Any]])?.first?["execution_count"] as? Int)
    }

    @Test func concurrentSlicedRequestsEachGetTheirOwnRows() throws {
        let repo = try Self.repository(file: "\(TestServer.bundledModels)/fraud/2/model.json", as: "model.json", extra: "backend: xgboost\n")
        let server = try TestServer(models: repo.path) { $0.scheduling.inlineBudgetMicros = 0 }
        let bodies = (0..<16).map { Self.body(rows: 3 + $0 % 5, width: 20, input: "input", seed: $0) }
        let expected = try bodies.map { try server.client().request("POST", "/v2/models/one/infer", json: $0) }
        let answers = Mutex<[Int: RawClient.Answer]>([:])
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: bodies.count) { k in
            if let answer = try? RawClient(port: port).request("POST", "/v2/models/two/infer", json: bodies[k]) {
                answers.withLock { $0[k] = answer }
            }
        }
        for k in bodies.indices {
            guard let answer = answers.withLock({ $0[k] }) else {
                Issue.record("request \(k) got no answer")
                continue
            }
            Self.expectSame(expected[k], answer, tolerance: 0, "request \(k)")
        }
    }

    @Test func aRequestTheModelRefusesIsRefusedAlikeWhenSliced() throws {
        let repo = try Self.repository(file: "\(Self.fixtures)/mlp/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path) { $0.scheduling.inlineBudgetMicros = 0 }
        let c = try server.client()
        // 8 rows of 15 features: the shape check refuses it before any slice runs.
        let json = Self.body(rows: 8, width: 15, input: "input")
        let one = try c.request("POST", "/v2/models/one/infer", json: json)
        let two = try c.request("POST", "/v2/models/two/infer", json: json)
        #expect(two.status == 400)
        #expect(one.text == two.text)
    }

    @Test func modelsWhoseRowsAreNotIndependentAreUnavailableWithTheReason() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "d", version: 1, file: "\(Self.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        try repo.write("warmup: false\nthreads_per_inference: 2\n", to: "d/model.yaml")
        try repo.add(model: "e", version: 1, file: "\(Self.fixtures)/hostile/expand.onnx", as: "model.onnx")
        try repo.write("warmup: false\nthreads_per_inference: 2\n", to: "e/model.yaml")
        let server = try TestServer(models: repo.path)
        let c = try server.client()
        func reason(_ model: String) throws -> String? {
            let unavailable = try c.request("GET", "/v2/models/\(model)").json?["unavailable"] as? [[String: Any]]
            return unavailable?.first?["reason"] as? String
        }
        #expect(try c.request("GET", "/v2/models/d/versions/1/ready").status == 503)
        #expect(try reason("d") == "threads_per_inference needs inputs whose first dimension is the batch: input 'steps' has shape [1]")
        #expect(try reason("e") == "backend 'onnx' cannot slice this model: its outputs do not have one row per input row")
    }

    /// `scheduling.threads_per_inference: 2`: a model whose `model.yaml` leaves the key out
    /// slices its costly requests, one that sets it to 1 does not, and one whose rows are not
    /// independent, refused when its own file asks for threads, loads and runs on one thread.
    @Test func theServerWideDefaultAppliesWhereModelYAMLIsSilentAndTheModelCanBeSliced() throws {
        let repo = try TemporaryRepository()
        for (model, yaml) in [("quiet", ""), ("single", "threads_per_inference: 1\n")] {
            try repo.add(model: model, version: 1, file: "\(Self.fixtures)/mlp/model.onnx", as: "model.onnx")
            try repo.write(yaml, to: "\(model)/model.yaml")
        }
        try repo.add(model: "d", version: 1, file: "\(Self.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        try repo.write("warmup: false\n", to: "d/model.yaml")
        let server = try TestServer(models: repo.path) {
            $0.scheduling.inlineBudgetMicros = 0
            $0.scheduling.threadsPerInference = 2
        }
        let c = try server.client()
        func threads(_ model: String) throws -> Int? {
            try server.server.manager.snapshot.model(named: model)?.servable(version: 1).threadsPerInference
        }
        #expect(try threads("quiet") == 2)
        #expect(try threads("single") == 1)
        #expect(try threads("d") == 1)
        #expect(try c.request("GET", "/v2/models/d/versions/1/ready").status == 200)
        let json = Self.body(rows: 8, width: 16, input: "input")
        let single = try c.request("POST", "/v2/models/single/infer", json: json)
        #expect(server.server.intraOp.slicedCalls == 0)
        let quiet = try c.request("POST", "/v2/models/quiet/infer", json: json)
        #expect(server.server.intraOp.slicedCalls == 1)
        Self.expectSame(single, quiet, tolerance: 1e-5, "8 rows")
    }
}
