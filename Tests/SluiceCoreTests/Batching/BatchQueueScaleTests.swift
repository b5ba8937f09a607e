import Testing
@testable import SluiceCore

/// A long queue must fill and drain in time linear in its size: a step that rescanned the queue
/// would make these tests quadratic (10^10 steps), so they finish only if each request costs
/// amortised O(log n). 100,000 requests keep them near a second in a debug build; `max_queue`
/// allows 1,000,000, which takes ten times as long, not a hundred.
@Suite struct BatchQueueScaleTests {
    static let n = 100_000
    static let a = BatchKey(BatchFixtures.request(rows: 1, width: 2, seed: 0))
    static let b = BatchKey(BatchFixtures.request(rows: 1, width: 3, seed: 0))

    @Test func aLongQueueOfTwoKeysDrainsInFullBatchesInArrivalOrder() {
        var q = BatchQueue<Int>(.init(maxBatchSize: 8, maxQueueDelayNanos: 0, instances: 1, maxQueue: Self.n))
        _ = q.enqueue(-1, rows: 1, key: nil, deadline: nil, now: 0)
        var running = q.step(now: 0).start.map(\.id)
        // Keys alternate (each batch leaves holes in the other key's stretch) and every other
        // request carries a far deadline, so started ones leave stale heap entries behind.
        // Plain checks inside the loops: an #expect a request would cost more than the queue.
        var surprises = 0
        for i in 0..<Self.n {
            let admitted = q.enqueue(
                i, rows: 1, key: i.isMultiple(of: 2) ? Self.a : Self.b, deadline: i % 4 < 2 ? 1 << 50 : nil, now: 1)
            if admitted != .queued || !q.step(now: 1).start.isEmpty { surprises += 1 }
        }
        #expect(surprises == 0)
        #expect(q.enqueue(Self.n, rows: 1, key: Self.a, deadline: nil, now: 1) == .full)
        var firsts: [Int] = []
        var started = 0
        var batches = 0
        while let id = running.popLast() {
            q.finished(id)
            let step = q.step(now: 2)
            if !step.expired.isEmpty { surprises += 1 }
            for batch in step.start {
                if batch.items.count != 8 { surprises += 1 }
                firsts.append(batch.items[0])
                started += batch.items.count
                running.append(batch.id)
                batches += 1
            }
        }
        #expect(surprises == 0)
        #expect(started == Self.n && q.waiting == 0)
        #expect(batches == Self.n / 8)
        #expect(firsts == firsts.sorted())
        #expect(firsts.prefix(3) == [0, 1, 16])
    }

    @Test func aLongQueueIsScannedForAPreferredSizeOnceARequest() {
        // An instance is free, so every step checks the key; the preferred size is never
        // reached, so only the incremental scan keeps this linear.
        var q = BatchQueue<Int>(
            .init(maxBatchSize: 2 * Self.n, maxQueueDelayNanos: 1000, preferredBatchSizes: [2 * Self.n - 1],
                  instances: 2, maxQueue: Self.n))
        _ = q.enqueue(-1, rows: 1, key: nil, deadline: nil, now: 0)
        #expect(q.step(now: 0).start.count == 1)
        var surprises = 0
        for i in 0..<Self.n {
            _ = q.enqueue(i, rows: 1, key: Self.a, deadline: nil, now: 10)
            if q.step(now: 10).wakeAt != 1010 { surprises += 1 }
        }
        #expect(surprises == 0)
        let step = q.step(now: 1010)
        #expect(step.start.count == 1)
        #expect(step.start.first?.items.count == Self.n)
        #expect(step.start.first?.items.last == Self.n - 1)
    }
}
