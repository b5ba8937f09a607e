import SluiceCore
import SluiceHTTP
import SluiceJSON
import Synchronization

/// The statistics extension in Triton's shape: `GET /v2/models/stats`,
/// `/v2/models/{m}/stats`, `/v2/models/{m}/versions/{v}/stats`, one entry per ready version
/// with success, fail, queue and compute counts and nanoseconds. Read on event loops from the
/// versions' relaxed atomic counters; never blocks inference.
struct V2Statistics: Sendable {
    let dataPlane: DataPlane

    /// Registered before `/v2/models/{model}` so that `stats` is not read as a model name.
    func register(in endpoints: inout Endpoints) {
        endpoints.add("GET", "/v2/models/stats") { _, _, writer in
            writer.send(render(dataPlane.manager.snapshot.models.flatMap { $0.versions.compactMap(\.servable) }))
        }
        endpoints.add("GET", "/v2/models/{model}/stats") { _, p, writer in
            let model = try dataPlane.model(named: p["model"] ?? "")
            writer.send(render(model.versions.compactMap(\.servable)))
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}/stats") { _, p, writer in
            let model = try dataPlane.model(named: p["model"] ?? "")
            let number = try DataPlane.versionNumber(p["version"]) ?? 0
            guard model.version(number) != nil else { throw ServingError.versionNotFound(model: model.name, version: number) }
            writer.send(render(model.versions.filter { $0.version == number }.compactMap(\.servable)))
        }
    }


    private func render(_ versions: [ServableVersion]) -> Response {
        var w = JSONWriter(capacity: 256 + 512 * versions.count)
        w.object { w in
            w.key("model_stats")
            w.array { w in
                for servable in versions { Self.write(servable, to: &w) }
            }
        }
        return .json(200, w.bytes)
    }

    private static func write(_ servable: ServableVersion, to w: inout JSONWriter) {
        let s = servable.stats
        func load(_ a: borrowing Atomic<Int>) -> Int { a.load(ordering: .relaxed) }
        let executions = load(s.executionCount)
        w.object { w in
            w.key("name"); w.string(servable.modelName)
            w.key("version"); w.string(String(servable.version))
            w.key("last_inference"); w.int(load(s.lastInferenceMillis))
            w.key("inference_count"); w.int(load(s.inferenceCount))
            w.key("execution_count"); w.int(executions)
            w.key("inference_stats")
            w.object { w in
                pair("success", load(s.successCount), load(s.successNanos), &w)
                pair("fail", load(s.failCount), load(s.failNanos), &w)
                pair("queue", executions, load(s.queueNanos), &w)
                pair("compute_input", 0, 0, &w)
                pair("compute_infer", executions, load(s.computeNanos), &w)
                pair("compute_output", 0, 0, &w)
            }
            w.key("batch_stats"); w.array { _ in }
        }
    }

    private static func pair(_ name: String, _ count: Int, _ ns: Int, _ w: inout JSONWriter) {
        w.key(name)
        w.object { w in
            w.key("count"); w.int(count)
            w.key("ns"); w.int(ns)
        }
    }
}
