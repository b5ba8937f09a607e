import Synchronization
import Testing
@testable import SluiceCore

@Test func batchStatsCountEachSizeAndStayBounded() {
    let stats = BatchSizeStats(maxBatchSize: 4)
    stats.record(rows: 2, inputNanos: 0, inferNanos: 100, outputNanos: 0)
    stats.record(rows: 2, inputNanos: 5, inferNanos: 50, outputNanos: 7)
    stats.record(rows: 4, inputNanos: 0, inferNanos: 10, outputNanos: 0)
    // Beyond max_batch_size (a request that ran alone) and 0 rows: the map, exact all the same.
    stats.record(rows: 9, inputNanos: 0, inferNanos: 30, outputNanos: 0)
    stats.record(rows: 0, inputNanos: 0, inferNanos: 1, outputNanos: 0)
    let sizes = stats.sizes
    #expect(sizes.map(\.size) == [0, 2, 4, 9])
    #expect(sizes[1].totals == BatchSizeStats.Totals(count: 2, inputNanos: 5, inferNanos: 150, outputNanos: 7))
    #expect(sizes[3].totals == BatchSizeStats.Totals(count: 1, inferNanos: 30))

    // However many sizes clients send, the map holds at most maxOtherSizes of them.
    let unbounded = BatchSizeStats(maxBatchSize: nil)
    for rows in 1...(BatchSizeStats.defaultDirectSizes + BatchSizeStats.maxOtherSizes + 10) {
        unbounded.record(rows: rows, inputNanos: 0, inferNanos: 1, outputNanos: 0)
    }
    #expect(unbounded.sizes.count == BatchSizeStats.defaultDirectSizes + BatchSizeStats.maxOtherSizes)
    #expect(unbounded.sizes.last?.size == BatchSizeStats.defaultDirectSizes + BatchSizeStats.maxOtherSizes)
}

@Test func anExecutionIsCountedOnceInBatchStats() {
    let stats = VersionStats(maxBatchSize: 8)
    stats.recordExecution(rows: 3, nanos: 40, queued: 0, wallMillis: 1)
    stats.recordExecution(rows: 3, nanos: 60, queued: 0, wallMillis: 2, inputNanos: 4, outputNanos: 6)
    #expect(stats.executionCount.load(ordering: .relaxed) == 2)
    #expect(stats.inferenceCount.load(ordering: .relaxed) == 6)
    #expect(stats.batches.sizes.map(\.size) == [3])
    #expect(stats.batches.sizes.first?.totals == BatchSizeStats.Totals(count: 2, inputNanos: 4, inferNanos: 100, outputNanos: 6))
}
