package import Synchronization

/// Counters of one loaded version, updated by whoever runs its inferences (event loops and
/// workers, concurrently) and read by the scheduler, the statistics extension and metrics.
/// Relaxed atomics: each value is exact on its own; no cross-counter snapshot is promised.
package final class VersionStats: Sendable {
    private let costPerRow = Atomic<Int>(0)
    /// Successful requests and their total nanoseconds (arrival to encoded answer).
    package let successCount = Atomic<Int>(0)
    package let successNanos = Atomic<Int>(0)
    /// Failed requests (rejected by the model or failed in it) and their nanoseconds.
    package let failCount = Atomic<Int>(0)
    package let failNanos = Atomic<Int>(0)
    /// Time spent waiting for a worker (0 for inline runs), per executed request.
    package let queueNanos = Atomic<Int>(0)
    /// Backend executions and their nanoseconds.
    package let executionCount = Atomic<Int>(0)
    package let computeNanos = Atomic<Int>(0)
    /// Rows inferred (Triton's `inference_count`: a batch of 8 counts 8).
    package let inferenceCount = Atomic<Int>(0)
    /// Wall-clock milliseconds since 1970 of the last inference (0 = never).
    package let lastInferenceMillis = Atomic<Int>(0)
    /// Executions per batch size (`batch_stats`).
    package let batches: BatchSizeStats

    /// - Parameter maxBatchSize: the version's `max_batch_size`, which sizes `batches`.
    package init(maxBatchSize: Int? = nil) {
        batches = BatchSizeStats(maxBatchSize: maxBatchSize)
    }

    /// Moving average of nanoseconds per row (0 until the first run).
    package var nanosPerRow: Int { costPerRow.load(ordering: .relaxed) }

    /// Records one backend execution of `rows` rows that took `nanos` in the backend after
    /// `queued` nanoseconds of waiting, with `inputNanos` spent assembling its inputs and
    /// `outputNanos` cutting its outputs (a merged batch's; 0 for a request run on its own).
    /// The cost average weighs the newest run 1/8, so one slow outlier (a page fault, a
    /// preempted thread) does not move work off the loop.
    package func recordExecution(rows: Int, nanos: Int, queued: Int, wallMillis: Int, inputNanos: Int = 0, outputNanos: Int = 0) {
        batches.record(rows: rows, inputNanos: inputNanos, inferNanos: nanos, outputNanos: outputNanos)
        executionCount.add(1, ordering: .relaxed)
        inferenceCount.add(rows, ordering: .relaxed)
        computeNanos.add(nanos, ordering: .relaxed)
        queueNanos.add(queued, ordering: .relaxed)
        lastInferenceMillis.store(wallMillis, ordering: .relaxed)
        let sample = nanos / max(rows, 1)
        let old = costPerRow.load(ordering: .relaxed)
        costPerRow.store(old == 0 ? sample : old + (sample - old) / 8, ordering: .relaxed)
    }

    /// Records the outcome of one request that reached this version.
    package func recordRequest(succeeded: Bool, nanos: Int) {
        if succeeded {
            successCount.add(1, ordering: .relaxed)
            successNanos.add(nanos, ordering: .relaxed)
        } else {
            failCount.add(1, ordering: .relaxed)
            failNanos.add(nanos, ordering: .relaxed)
        }
    }
}
