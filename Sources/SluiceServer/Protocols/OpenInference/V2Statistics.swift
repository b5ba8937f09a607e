import SluiceCore
import SluiceHTTP
import SluiceJSON

/// The statistics extension in Triton's shape: `GET /v2/models/stats`,
/// `/v2/models/{m}/stats`, `/v2/models/{m}/versions/{v}/stats`, one entry per ready version
/// with success, fail, queue and compute counts and nanoseconds and executions per batch size
/// (`VersionStatistics`, which
/// gRPC's `ModelStatistics` renders too).
struct V2Statistics: Sendable {
    let dataPlane: DataPlane

    /// Registered before `/v2/models/{model}` so that `stats` is not read as a model name.
    func register(in endpoints: inout Endpoints) {
        endpoints.add("GET", "/v2/models/stats") { _, _, writer in
            writer.send(render(try dataPlane.statistics(model: nil, version: nil)))
        }
        endpoints.add("GET", "/v2/models/{model}/stats") { _, p, writer in
            writer.send(render(try dataPlane.statistics(model: p["model"] ?? "", version: nil)))
        }
        endpoints.add("GET", "/v2/models/{model}/versions/{version}/stats") { _, p, writer in
            writer.send(render(try dataPlane.statistics(model: p["model"] ?? "", version: p["version"] ?? "")))
        }
    }

    private func render(_ versions: [VersionStatistics]) -> Response {
        var w = JSONWriter(capacity: 256 + 512 * versions.count)
        w.object { w in
            w.key("model_stats")
            w.array { w in
                for version in versions { Self.write(version, to: &w) }
            }
        }
        return .json(200, w.bytes)
    }

    private static func write(_ s: VersionStatistics, to w: inout JSONWriter) {
        w.object { w in
            w.key("name"); w.string(s.name)
            w.key("version"); w.string(s.version)
            w.key("last_inference"); w.int(s.lastInferenceMillis)
            w.key("inference_count"); w.int(s.inferenceCount)
            w.key("execution_count"); w.int(s.executionCount)
            w.key("inference_stats")
            w.object { w in
                pair("success", s.success, &w)
                pair("fail", s.fail, &w)
                pair("queue", s.queue, &w)
                pair("compute_input", s.computeInput, &w)
                pair("compute_infer", s.computeInfer, &w)
                pair("compute_output", s.computeOutput, &w)
            }
            w.key("batch_stats")
            w.array { w in
                for batch in s.batches {
                    w.object { w in
                        w.key("batch_size"); w.int(batch.batchSize)
                        pair("compute_input", batch.computeInput, &w)
                        pair("compute_infer", batch.computeInfer, &w)
                        pair("compute_output", batch.computeOutput, &w)
                    }
                }
            }
        }
    }

    private static func pair(_ name: String, _ d: VersionStatistics.Duration, _ w: inout JSONWriter) {
        w.key(name)
        w.object { w in
            w.key("count"); w.int(d.count)
            w.key("ns"); w.int(d.ns)
        }
    }
}
