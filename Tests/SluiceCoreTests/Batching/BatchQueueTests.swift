import Testing
@testable import SluiceCore

/// The batcher's rules one at a time, on a clock the test moves: every time below is in
/// nanoseconds and nothing sleeps. Items are small integers; `starts` reads a step back as the
/// items of each batch.
@Suite struct BatchQueueTests {
    typealias Queue = BatchQueue<Int>

    static let a = BatchKey(BatchFixtures.request(rows: 1, width: 2, seed: 0))
    static let b = BatchKey(BatchFixtures.request(rows: 1, width: 3, seed: 0))

    static func settings(
        max: Int = 8, delay: UInt64 = 1000, preferred: [Int] = [], instances: Int = 1, queue: Int = 100,
        batching: Bool = true
    ) -> Queue.Settings {
        Queue.Settings(
            maxBatchSize: max, maxQueueDelayNanos: delay, preferredBatchSizes: preferred, instances: instances,
            maxQueue: queue, batching: batching)
    }

    /// Occupies every instance with one lone request each, so later requests queue.
    static func busy(_ q: inout Queue, instances: Int = 1) -> [UInt64] {
        (0..<instances).map { i in
            _ = q.enqueue(-1 - i, rows: 1, key: nil, deadline: nil, now: 0)
            return q.step(now: 0).start[0].id
        }
    }

    @Test func aLoneRequestOnAnIdleVersionStartsAtItsArrival() {
        var q = Queue(Self.settings())
        #expect(q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 500) == .queued)
        let step = q.step(now: 500)
        #expect(step.start.map(\.items) == [[1]])
        #expect(step.start.map(\.rows) == [[1]])
        #expect(step.wakeAt == nil)
        #expect(q.waiting == 0 && q.running == 1)
    }

    @Test func queuedRequestsWaitForTheDelayThenStartTogether() {
        var q = Queue(Self.settings())
        let running = Self.busy(&q)
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 10)
        _ = q.enqueue(2, rows: 2, key: Self.a, deadline: nil, now: 20)
        // The instance is busy: nothing to wake for.
        #expect(q.step(now: 20).wakeAt == nil)
        q.finished(running[0])
        let early = q.step(now: 50)
        #expect(early.start.isEmpty)
        #expect(early.wakeAt == 1010)
        #expect(q.step(now: 1009).start.isEmpty)
        let due = q.step(now: 1010)
        #expect(due.start.map(\.items) == [[1, 2]])
        #expect(due.start.map(\.rows) == [[1, 2]])
        #expect(due.wakeAt == nil)
    }

    @Test func aFullBatchStartsWithoutWaiting() {
        var q = Queue(Self.settings(max: 4, instances: 2))
        _ = Self.busy(&q)
        for (item, rows) in [(1, 1), (2, 1)] {
            _ = q.enqueue(item, rows: rows, key: Self.a, deadline: nil, now: 10)
            #expect(q.step(now: 10).start.isEmpty)
        }
        _ = q.enqueue(3, rows: 2, key: Self.a, deadline: nil, now: 11)
        #expect(q.step(now: 11).start.map(\.items) == [[1, 2, 3]])
    }

    @Test func aPreferredSizeStartsABatchEarly() {
        var q = Queue(Self.settings(max: 8, preferred: [2, 4], instances: 3))
        _ = Self.busy(&q)
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 10)
        #expect(q.step(now: 10).start.isEmpty)
        _ = q.enqueue(2, rows: 1, key: Self.a, deadline: nil, now: 11)
        #expect(q.step(now: 11).start.map(\.items) == [[1, 2]])
        // Several queued at once: the longest run that adds up to a preferred size (1+1+2 = 4),
        // and the rest waits for its delay.
        for (item, rows) in [(3, 1), (4, 1), (5, 2), (6, 1)] {
            _ = q.enqueue(item, rows: rows, key: Self.a, deadline: nil, now: 20 + UInt64(item))
        }
        let step = q.step(now: 30)
        #expect(step.start.map(\.items) == [[3, 4, 5]])
        #expect(q.waiting == 1)
        #expect(step.wakeAt == nil)  // every instance now runs
    }

    @Test func noRunOfPreferredSizeWaitsForTheDelay() {
        var q = Queue(Self.settings(max: 8, preferred: [3], instances: 2))
        _ = Self.busy(&q)
        _ = q.enqueue(1, rows: 2, key: Self.a, deadline: nil, now: 10)
        _ = q.enqueue(2, rows: 2, key: Self.a, deadline: nil, now: 11)
        let step = q.step(now: 12)
        #expect(step.start.isEmpty)
        #expect(step.wakeAt == 1010)
        #expect(q.step(now: 1010).start.map(\.items) == [[1, 2]])
    }

    @Test func batchesRespectMaxBatchSizeAndALargerRequestRunsAlone() {
        var q = Queue(Self.settings(max: 4, instances: 10))
        let running = Self.busy(&q, instances: 10)
        for (item, rows) in [(1, 3), (2, 2), (3, 6), (4, 1)] {
            _ = q.enqueue(item, rows: rows, key: Self.a, deadline: nil, now: 10)
        }
        for id in running { q.finished(id) }
        // The key is full (3 + 2 + 6 > 4): each run that fits starts at once, in arrival order;
        // the 6-row request alone; the last one then waits for its delay.
        let step = q.step(now: 20)
        #expect(step.start.map(\.items) == [[1], [2], [3]])
        #expect(step.start.map(\.rows) == [[3], [2], [6]])
        #expect(step.wakeAt == 1010)
        #expect(q.step(now: 1010).start.map(\.rows) == [[1]])
    }

    @Test func neverMoreBatchesThanInstances() {
        var q = Queue(Self.settings(delay: 0, instances: 2))
        for item in 1...5 { _ = q.enqueue(item, rows: 1, key: nil, deadline: nil, now: 0) }
        let first = q.step(now: 0)
        #expect(first.start.map(\.items) == [[1], [2]])
        #expect(q.step(now: 5).start.isEmpty)
        q.finished(first.start[1].id)
        q.finished(first.start[1].id)  // a repeated finish frees nothing more
        #expect(q.step(now: 6).start.map(\.items) == [[3]])
        #expect(q.running == 2 && q.waiting == 2)
    }

    @Test func keysNeverMixAndTheOldestRequestGoesFirst() {
        var q = Queue(Self.settings(max: 8, delay: 100, instances: 1))
        let running = Self.busy(&q)
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 10)
        _ = q.enqueue(2, rows: 1, key: Self.b, deadline: nil, now: 20)
        _ = q.enqueue(3, rows: 1, key: Self.a, deadline: nil, now: 30)
        // Key b fills up, but the oldest request (key a) still waits for its delay: b does not
        // overtake it.
        _ = q.enqueue(4, rows: 7, key: Self.b, deadline: nil, now: 40)
        q.finished(running[0])
        let held = q.step(now: 40)
        #expect(held.start.isEmpty)
        #expect(held.wakeAt == 110)
        let first = q.step(now: 110)
        #expect(first.start.map(\.items) == [[1, 3]])
        q.finished(first.start[0].id)
        #expect(q.step(now: 111).start.map(\.items) == [[2, 4]])
    }

    @Test func withoutBatchingEveryRequestRunsAloneAtOnce() {
        var q = Queue(Self.settings(delay: 1_000_000, instances: 3, batching: false))
        for item in 1...4 { _ = q.enqueue(item, rows: 1, key: Self.a, deadline: nil, now: 0) }
        let step = q.step(now: 0)
        #expect(step.start.map(\.items) == [[1], [2], [3]])
        #expect(step.wakeAt == nil)
    }

    @Test func requestsWithoutAKeyRunAloneAmongKeyedOnes() {
        var q = Queue(Self.settings(delay: 0, instances: 5))
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 0)
        _ = q.enqueue(2, rows: 0, key: nil, deadline: nil, now: 0)
        _ = q.enqueue(3, rows: 1, key: Self.a, deadline: nil, now: 0)
        #expect(q.step(now: 0).start.map(\.items) == [[1, 3], [2]])
    }

    @Test func aPassedDeadlineExpiresTheRequestAndItNeverStarts() {
        var q = Queue(Self.settings(instances: 1))
        let running = Self.busy(&q)
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: 50, now: 10)
        _ = q.enqueue(2, rows: 1, key: Self.a, deadline: nil, now: 20)
        _ = q.enqueue(3, rows: 1, key: nil, deadline: 40, now: 30)
        // The earliest deadline wakes the driver even while every instance is busy.
        #expect(q.step(now: 30).wakeAt == 40)
        let first = q.step(now: 40)
        #expect(first.expired == [3])
        #expect(first.wakeAt == 50)
        let second = q.step(now: 60)
        #expect(second.expired == [1])
        #expect(second.wakeAt == nil)
        q.finished(running[0])
        let rest = q.step(now: 1020)
        #expect(rest.start.map(\.items) == [[2]])
        #expect(rest.expired.isEmpty)
    }

    @Test func anExpiredRequestNoLongerCountsTowardAPreferredSize() {
        var q = Queue(Self.settings(preferred: [3], instances: 2))
        _ = Self.busy(&q)
        _ = q.enqueue(1, rows: 1, key: Self.a, deadline: 50, now: 10)
        _ = q.enqueue(2, rows: 1, key: Self.a, deadline: nil, now: 20)
        #expect(q.step(now: 20).start.isEmpty)
        #expect(q.step(now: 50).expired == [1])
        // Requests 2 and 3 make 2 rows, not the preferred 3: they wait for 2's delay.
        _ = q.enqueue(3, rows: 1, key: Self.a, deadline: nil, now: 60)
        let step = q.step(now: 60)
        #expect(step.start.isEmpty)
        #expect(step.wakeAt == 1020)
        _ = q.enqueue(4, rows: 1, key: Self.a, deadline: nil, now: 70)
        #expect(q.step(now: 70).start.map(\.items) == [[2, 3, 4]])
    }

    @Test func aFullQueueRefusesTheNextRequestUntilOneLeaves() {
        var q = Queue(Self.settings(instances: 1, queue: 2))
        let running = Self.busy(&q)
        #expect(q.enqueue(1, rows: 1, key: Self.a, deadline: nil, now: 1) == .queued)
        #expect(q.enqueue(2, rows: 1, key: Self.a, deadline: nil, now: 2) == .queued)
        #expect(q.enqueue(3, rows: 1, key: Self.a, deadline: nil, now: 3) == .full)
        #expect(q.waiting == 2)
        q.finished(running[0])
        #expect(q.step(now: 1001).start.map(\.items) == [[1, 2]])
        #expect(q.enqueue(4, rows: 1, key: Self.a, deadline: nil, now: 1002) == .queued)
    }
}
