/// The dynamic batcher's decisions for one model version, after Triton's: which waiting requests
/// share a backend call, when, and which gave up. A pure state machine on an injected monotonic
/// clock (nanoseconds): no threads, no timers. Not thread-safe: the driver (SluiceServer's
/// `Batcher`) holds it under a lock, calls `step` after every `enqueue` and `finished` and at the
/// `wakeAt` a step returned, and runs the batches it is told to start. Generic over what a
/// waiting request carries (the driver's request and reply path).
///
/// Rules of `step`, in this order:
/// - A waiting request whose deadline has come (`now >= deadline`) is `expired`: it never starts.
/// - Batches start while an instance is free, always from the oldest waiting request (FIFO by
///   arrival across keys: a younger request never overtakes it, whatever its key).
/// - A request alone (nil `BatchKey`, `batching: false`, or at least `maxBatchSize` rows) starts
///   as soon as it is the oldest.
/// - Otherwise the oldest's key starts a batch when: its queued rows reach `maxBatchSize` (the
///   longest run of its requests, in arrival order, that fits); else when a run of them from the
///   oldest adds up to a preferred size (the longest such run); else when the oldest has waited
///   `maxQueueDelayNanos`, or it is the only request and the version runs nothing (a lone request
///   on an idle version waits no time) — then all of them. Otherwise nothing starts before
///   `wakeAt` = oldest arrival + delay.
package struct BatchQueue<Item> {
    /// A version's batching settings, from its `model.yaml`.
    package struct Settings: Sendable, Equatable {
        /// `max_batch_size`: most rows in one merged call (a larger request runs alone).
        package var maxBatchSize: Int
        /// `dynamic_batching.max_queue_delay_us`, in nanoseconds.
        package var maxQueueDelayNanos: UInt64
        /// `dynamic_batching.preferred_batch_sizes`.
        package var preferredBatchSizes: [Int]
        /// `instances`: batches of this version running at once; `Int.max` when not set.
        package var instances: Int
        /// `max_queue`: requests waiting at once; one more is refused with `.full`.
        package var maxQueue: Int
        /// Whether requests merge at all; false (no `dynamic_batching`) makes every batch one
        /// request, started as soon as an instance is free.
        package var batching: Bool

        /// Values below 1 count as 1: config validation refuses them, and a zero would stall.
        package init(
            maxBatchSize: Int, maxQueueDelayNanos: UInt64 = 0, preferredBatchSizes: [Int] = [],
            instances: Int = .max, maxQueue: Int = 1024, batching: Bool = true
        ) {
            self.maxBatchSize = max(1, maxBatchSize)
            self.maxQueueDelayNanos = maxQueueDelayNanos
            self.preferredBatchSizes = preferredBatchSizes
            self.instances = max(1, instances)
            self.maxQueue = max(1, maxQueue)
            self.batching = batching
        }
    }

    /// Whether `enqueue` took the request.
    package enum Admission: Sendable, Equatable {
        /// It waits; a later `step` starts or expires it.
        case queued
        /// `maxQueue` requests already wait: answer 503 with `Retry-After`; nothing was kept.
        case full
    }

    /// Requests to run in one backend call: concatenate their inputs (`TensorBatch.concat`), run,
    /// `TensorBatch.split(outputs, rows: rows)`, then call `finished(id)`.
    package struct Batch {
        /// Increasing in start order; the handle for `finished`.
        package let id: UInt64
        /// In arrival order.
        package var items: [Item]
        /// `rows` of each item as enqueued, in the same order.
        package var rows: [Int]
    }

    /// What the driver does now.
    package struct Step {
        /// Batches to run now, oldest first; each holds one instance until `finished`.
        package var start: [Batch]
        /// Requests whose deadline came while they waited, in deadline order: answer 504.
        package var expired: [Item]
        /// When to call `step` again if nothing is enqueued or finished before; nil: only then.
        package var wakeAt: UInt64?
    }

    struct Entry {
        var item: Item
        let rows: Int
        /// Index of its key's lane in `lanes`; nil: runs alone.
        let lane: Int?
        let deadline: UInt64?
        let arrival: UInt64
    }

    let settings: Settings
    /// Every request that arrived and has not left, by arrival sequence `base + index`; nil once
    /// it left. Requests leave from the middle (other keys wait), so removal leaves a hole and
    /// `head` skips the holes, keeping each step's cost to what it starts or expires.
    var slots: [Entry?] = []
    var head = 0
    var base: UInt64 = 0
    var nextSeq: UInt64 = 0
    /// Each key's lane by index, so only `enqueue` hashes a key; an emptied lane is freed (keys
    /// come from clients' shapes, so they must not pile up) and its index reused.
    var laneOf: [BatchKey: Int] = [:]
    var lanes: [Lane] = []
    var freeLanes: [Int] = []
    var deadlines = DeadlineHeap()
    var waitingWithDeadline = 0
    var runningIDs: Set<UInt64> = []
    var nextBatchID: UInt64 = 0
    /// Requests waiting now (enqueued, neither started nor expired).
    package internal(set) var waiting = 0
    /// Batches started and not yet `finished`.
    package var running: Int { runningIDs.count }

    package init(_ settings: Settings) {
        self.settings = settings
    }

    /// A request arrives at `now`. `rows` is its first dimension, `key` its `BatchKey` (nil: it
    /// runs alone), `deadline` when it must have started (nil: never too late). O(log n).
    package mutating func enqueue(_ item: Item, rows: Int, key: BatchKey?, deadline: UInt64?, now: UInt64) -> Admission {
        guard waiting < settings.maxQueue else { return .full }
        let seq = nextSeq
        nextSeq += 1
        // A keyed request has at least 1 row (`BatchKey`); anything else cannot merge.
        let key = settings.batching && rows >= 1 ? key : nil
        var lane: Int?
        if let key {
            let index = self.lane(for: key)
            lanes[index].append(seq, rows: counted(rows))
            lane = index
        }
        slots.append(Entry(item: item, rows: rows, lane: lane, deadline: deadline, arrival: now))
        waiting += 1
        if let deadline {
            deadlines.insert(deadline, seq: seq)
            waitingWithDeadline += 1
        }
        return .queued
    }

    /// A started batch ended, answered or failed: its instance is free. An unknown or repeated
    /// id is ignored. Call `step` after it.
    package mutating func finished(_ batchID: UInt64) {
        runningIDs.remove(batchID)
    }

    /// What to do at `now` (see the type's rules). O(started + expired + log n) in the usual
    /// case; a scan of one key's waiting requests at worst, each scanned once between changes.
    package mutating func step(now: UInt64) -> Step {
        var step = Step(start: [], expired: [], wakeAt: nil)
        expire(now, into: &step.expired)
        while runningIDs.count < settings.instances, let oldest = oldestSeq() {
            guard let seqs = nextBatch(oldest, now: now, wakeAt: &step.wakeAt) else { break }
            let id = nextBatchID
            nextBatchID += 1
            runningIDs.insert(id)
            var batch = Batch(id: id, items: [], rows: [])
            batch.items.reserveCapacity(seqs.count)
            batch.rows.reserveCapacity(seqs.count)
            for seq in seqs {
                guard let entry = remove(seq) else { continue }
                batch.items.append(entry.item)
                batch.rows.append(entry.rows)
            }
            step.start.append(batch)
        }
        if let next = earliestDeadline() { step.wakeAt = min(step.wakeAt ?? .max, next) }
        compact()
        return step
    }
}

extension BatchQueue: Sendable where Item: Sendable {}
extension BatchQueue.Batch: Sendable where Item: Sendable {}
extension BatchQueue.Step: Sendable where Item: Sendable {}
extension BatchQueue.Entry: Sendable where Item: Sendable {}
