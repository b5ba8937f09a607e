import SluiceCore
import Synchronization

/// One version's entry of the statistics extension (Triton's `ModelStatistics`), read once from
/// its relaxed counters and rendered by V2 (`GET /v2/models/…/stats`) as JSON and by gRPC
/// (`ModelStatistics`) as protobuf, so both report the same numbers. Read on event loops; never
/// blocks inference.
struct VersionStatistics: Sendable {
    /// A count and the nanoseconds it took (Triton's `StatisticDuration`).
    struct Duration: Sendable {
        var count: Int
        var ns: Int
    }

    var name: String
    var version: String
    var lastInferenceMillis: Int
    var inferenceCount: Int
    var executionCount: Int
    var success: Duration
    var fail: Duration
    var queue: Duration
    /// Sluice times input and output handling as part of `computeInfer`, so those two are 0.
    var computeInput: Duration
    var computeInfer: Duration
    var computeOutput: Duration
    /// Executions per batch size, ascending (Triton's `InferBatchStatistics`): the three
    /// durations of a size share its execution count.
    var batches: [Batch]

    struct Batch: Sendable {
        var batchSize: Int
        var computeInput: Duration
        var computeInfer: Duration
        var computeOutput: Duration
    }

    init(_ servable: ServableVersion) {
        let s = servable.stats
        func load(_ a: borrowing Atomic<Int>) -> Int { a.load(ordering: .relaxed) }
        let executions = load(s.executionCount)
        name = servable.modelName
        version = servable.versionText
        lastInferenceMillis = load(s.lastInferenceMillis)
        inferenceCount = load(s.inferenceCount)
        executionCount = executions
        success = Duration(count: load(s.successCount), ns: load(s.successNanos))
        fail = Duration(count: load(s.failCount), ns: load(s.failNanos))
        queue = Duration(count: executions, ns: load(s.queueNanos))
        computeInput = Duration(count: 0, ns: 0)
        computeInfer = Duration(count: executions, ns: load(s.computeNanos))
        computeOutput = Duration(count: 0, ns: 0)
        batches = s.batches.sizes.map { size, t in
            Batch(
                batchSize: size, computeInput: Duration(count: t.count, ns: t.inputNanos),
                computeInfer: Duration(count: t.count, ns: t.inferNanos), computeOutput: Duration(count: t.count, ns: t.outputNanos))
        }
    }
}

extension DataPlane {
    /// The statistics a request selects: every loaded version of every model (`model` nil),
    /// every loaded version of one model (`version` nil), or one version. Throws
    /// `.modelNotFound`, `.versionNotFound` for a version the model does not list, and
    /// `.invalidInput` for a version that is not a positive integer.
    func statistics(model name: Substring?, version: Substring?) throws(ServingError) -> [VersionStatistics] {
        guard let name else {
            return manager.snapshot.models.flatMap { $0.versions.compactMap(\.servable) }.map(VersionStatistics.init)
        }
        let model = try model(named: name)
        guard let number = try DataPlane.versionNumber(version) else {
            return model.versions.compactMap(\.servable).map(VersionStatistics.init)
        }
        guard model.version(number) != nil else { throw ServingError.versionNotFound(model: model.name, version: number) }
        return model.versions.filter { $0.version == number }.compactMap(\.servable).map(VersionStatistics.init)
    }
}
