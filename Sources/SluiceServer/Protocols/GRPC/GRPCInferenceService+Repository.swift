import SluiceCore
import SluiceHTTP

extension GRPCInferenceService {
    /// `ModelStatistics` (the REST statistics extension's numbers, `VersionStatistics`) and the
    /// repository methods, behind the admin token as `V2Repository`: the token comes as the
    /// call's `authorization: Bearer …` metadata; missing is UNAUTHENTICATED, wrong (or no token
    /// configured) PERMISSION_DENIED (`AuthError.code`), before the message is even read. Loads
    /// and scans block, so they run on a background queue after the token is checked on the loop
    /// (`AdminAuth.guarded`).
    func registerRepository(in methods: inout Endpoints) {
        add("ModelStatistics", to: &methods) { request, writer in
            let call = try GRPCMessage.decode(Inference_ModelStatisticsRequest.self, from: request)
            let versions = try dataPlane.statistics(
                model: call.name.isEmpty ? nil : call.name[...], version: GRPCMessage.version(call.version))
            var answer = Inference_ModelStatisticsResponse()
            answer.modelStats = versions.map(Inference_ModelStatistics.init)
            writer.send(try GRPCMessage.answer(answer))
        }
        let manager = dataPlane.manager
        add("RepositoryIndex", to: &methods) { request, writer in
            try auth.guarded(request, writer) {
                let call = try GRPCMessage.decode(Inference_RepositoryIndexRequest.self, from: request)
                var answer = Inference_RepositoryIndexResponse()
                answer.models = manager.repositoryIndex(readyOnly: call.ready).map { entry in
                    var row = Inference_RepositoryIndexResponse.ModelIndex()
                    row.name = entry.name
                    row.version = entry.version.map { String($0) } ?? ""
                    row.state = entry.state
                    row.reason = entry.reason
                    return row
                }
                return try GRPCMessage.answer(answer)
            }
        }
        add("RepositoryModelLoad", to: &methods) { request, writer in
            try auth.guarded(request, writer) {
                let call = try GRPCMessage.decode(Inference_RepositoryModelLoadRequest.self, from: request)
                try manager.load(model: call.modelName)
                return try GRPCMessage.answer(Inference_RepositoryModelLoadResponse())
            }
        }
        add("RepositoryModelUnload", to: &methods) { request, writer in
            try auth.guarded(request, writer) {
                let call = try GRPCMessage.decode(Inference_RepositoryModelUnloadRequest.self, from: request)
                try manager.unload(model: call.modelName)
                return try GRPCMessage.answer(Inference_RepositoryModelUnloadResponse())
            }
        }
    }
}

extension Inference_ModelStatistics {
    /// One version's statistics, the numbers REST's `model_stats` entry gives.
    init(_ s: VersionStatistics) {
        self.init()
        name = s.name
        version = s.version
        lastInference = UInt64(clamping: s.lastInferenceMillis)
        inferenceCount = UInt64(clamping: s.inferenceCount)
        executionCount = UInt64(clamping: s.executionCount)
        var stats = Inference_InferStatistics()
        stats.success = .init(s.success)
        stats.fail = .init(s.fail)
        stats.queue = .init(s.queue)
        stats.computeInput = .init(s.computeInput)
        stats.computeInfer = .init(s.computeInfer)
        stats.computeOutput = .init(s.computeOutput)
        inferenceStats = stats
        batchStats = s.batches.map { batch in
            var b = Inference_InferBatchStatistics()
            b.batchSize = UInt64(clamping: batch.batchSize)
            b.computeInput = .init(batch.computeInput)
            b.computeInfer = .init(batch.computeInfer)
            b.computeOutput = .init(batch.computeOutput)
            return b
        }
    }
}

extension Inference_StatisticDuration {
    init(_ d: VersionStatistics.Duration) {
        self.init()
        count = UInt64(clamping: d.count)
        ns = UInt64(clamping: d.ns)
    }
}
