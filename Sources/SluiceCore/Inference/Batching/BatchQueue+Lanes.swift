/// One key's waiting requests, in arrival order, with what `BatchQueue.step` needs to decide
/// without walking them: their rows, and how far the preferred-size scan got.
struct Lane: Sendable {
    /// nil while the lane is free.
    var key: BatchKey?
    /// Arrival sequences; those before `head` left, and those that expired are holes in `slots`.
    var seqs: [UInt64] = []
    var head = 0
    var live = 0
    /// Rows waiting, each request counted at most `maxBatchSize`; wide, so a client's huge row
    /// counts cannot overflow it.
    var rows: Int128 = 0
    /// The scan for preferred sizes covered `seqs[head..<scan]`, whose live rows add to
    /// `scanRows`; a run ending just before `preferredEnd` adds up to a preferred size. Appends
    /// leave it valid (it resumes); a start or a scanned request expiring resets it.
    var scan = 0
    var scanRows = 0
    var preferredEnd: Int?

    mutating func append(_ seq: UInt64, rows: Int) {
        seqs.append(seq)
        live += 1
        self.rows += Int128(rows)
    }

    mutating func rescan() {
        scan = head
        scanRows = 0
        preferredEnd = nil
    }

    /// Drops the sequences before `head` once they are half the array: amortised O(1) a request.
    mutating func compact() {
        guard head >= 64, head * 2 >= seqs.count else { return }
        seqs.removeFirst(head)
        scan -= head
        preferredEnd = preferredEnd.map { $0 - head }
        head = 0
    }
}

extension BatchQueue {
    /// A keyed request's rows (at least 1) as its lane counts them: past `maxBatchSize` the
    /// lane is full anyway.
    func counted(_ rows: Int) -> Int { min(rows, settings.maxBatchSize) }

    /// The lane of `key`, made (or a freed one reused) for its first waiting request.
    mutating func lane(for key: BatchKey) -> Int {
        if let lane = laneOf[key] { return lane }
        let lane = freeLanes.popLast() ?? lanes.count
        if lane == lanes.count { lanes.append(Lane()) }
        lanes[lane].key = key
        laneOf[key] = lane
        return lane
    }

    func entry(_ seq: UInt64) -> Entry? {
        guard seq >= base, seq - base < UInt64(slots.count) else { return nil }
        return slots[Int(seq - base)]
    }

    /// The oldest waiting request, skipping the holes left by those that started or expired.
    mutating func oldestSeq() -> UInt64? {
        while head < slots.count, slots[head] == nil { head += 1 }
        return head < slots.count ? base + UInt64(head) : nil
    }

    /// The sequences of the batch to start now, led by `oldest`, or nil (with `wakeAt` set to
    /// when the delay runs out) when its key should wait for more.
    mutating func nextBatch(_ oldest: UInt64, now: UInt64, wakeAt: inout UInt64?) -> [UInt64]? {
        guard let first = entry(oldest) else { return nil }
        guard let index = first.lane, first.rows < settings.maxBatchSize else { return [oldest] }
        // A copy whose `seqs` this function only reads (no copy of the array), written back.
        var lane = lanes[index]
        defer { lanes[index] = lane }
        let max = settings.maxBatchSize
        let (due, overflow) = first.arrival.addingReportingOverflow(settings.maxQueueDelayNanos)
        let full = lane.rows >= Int128(max)
        if !full { scanPreferred(&lane) }
        let end: Int
        if full || now >= due || (runningIDs.isEmpty && waiting == 1) {
            end = lane.seqs.count
        } else if let preferredEnd = lane.preferredEnd {
            end = preferredEnd
        } else {
            wakeAt = overflow ? nil : due
            return nil
        }
        var taken: [UInt64] = []
        var rows = 0
        var i = lane.head
        while i < end {
            if let e = entry(lane.seqs[i]) {
                guard e.rows <= max - rows else { break }
                rows += e.rows
                taken.append(lane.seqs[i])
            }
            i += 1
        }
        lane.head = i
        lane.rescan()
        return taken
    }

    /// Extends the lane's preferred-size scan over requests appended since: each request is
    /// scanned once until a start or an expiry resets it. Called only while the lane is not
    /// full, so its rows stay below `maxBatchSize`.
    func scanPreferred(_ lane: inout Lane) {
        guard !settings.preferredBatchSizes.isEmpty else { return }
        while lane.scan < lane.seqs.count {
            if let e = entry(lane.seqs[lane.scan]) {
                lane.scanRows += e.rows
                if settings.preferredBatchSizes.contains(lane.scanRows) { lane.preferredEnd = lane.scan + 1 }
            }
            lane.scan += 1
        }
    }

    /// Takes `seq` out of the queue and its lane; a request the preferred-size scan counted
    /// resets the scan (a started batch has already moved the lane's head past its requests).
    mutating func remove(_ seq: UInt64) -> Entry? {
        guard let e = entry(seq) else { return nil }
        slots[Int(seq - base)] = nil
        waiting -= 1
        if e.deadline != nil { waitingWithDeadline -= 1 }
        guard let index = e.lane else { return e }
        lanes[index].live -= 1
        lanes[index].rows -= Int128(counted(e.rows))
        if lanes[index].scan > lanes[index].head, seq <= lanes[index].seqs[lanes[index].scan - 1] {
            lanes[index].rescan()
        }
        if lanes[index].live > 0 {
            lanes[index].compact()
        } else {
            if let key = lanes[index].key { laneOf.removeValue(forKey: key) }
            lanes[index] = Lane()
            freeLanes.append(index)
        }
        return e
    }

    /// Moves every waiting request whose deadline has come into `expired`.
    mutating func expire(_ now: UInt64, into expired: inout [Item]) {
        while let top = deadlines.earliest, top.deadline <= now {
            deadlines.popEarliest()
            if let e = remove(top.seq) { expired.append(e.item) }
        }
    }

    /// The earliest deadline of a request still waiting, dropping entries of those that left.
    mutating func earliestDeadline() -> UInt64? {
        while let top = deadlines.earliest {
            if entry(top.seq) != nil { return top.deadline }
            deadlines.popEarliest()
        }
        return nil
    }

    /// Frees the memory of requests that left, in amortised O(1) each.
    mutating func compact() {
        if head >= 64, head * 2 >= slots.count {
            slots.removeFirst(head)
            base += UInt64(head)
            head = 0
        }
        if deadlines.count > 2 * waitingWithDeadline + 64 {
            let slots = self.slots
            let base = self.base
            deadlines.filter { seq in seq >= base && seq - base < UInt64(slots.count) && slots[Int(seq - base)] != nil }
        }
    }
}
