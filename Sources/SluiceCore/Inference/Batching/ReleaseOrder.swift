/// `preserve_ordering`: answers released in the order their requests arrived, whatever order
/// their batches finish in. The driver takes a ticket when a request is admitted, hands in every
/// answer (result or error, including a 504 for one that expired) with its ticket, and sends what
/// comes back. Every ticket must be answered once: a missing one holds back all later answers.
/// Not thread-safe: the driver holds it under the lock of its `BatchQueue`.
package struct ReleaseOrder<Answer> {
    /// Answers not yet released, for tickets `first...`; nil: that request has not been answered.
    private var pending: [Answer?] = []
    private var head = 0
    private var first: UInt64 = 0
    private var next: UInt64 = 0

    package init() {}

    /// Tickets taken and not yet released.
    package var outstanding: Int { pending.count - head }

    /// A request arrived: its ticket, increasing from 0 in arrival order.
    package mutating func arrived() -> UInt64 {
        pending.append(nil)
        defer { next += 1 }
        return next
    }

    /// `answer` is ready for `ticket`: returns the answers releasable now, in arrival order
    /// (empty while an earlier ticket is unanswered). An unknown or repeated ticket is ignored.
    /// Amortised O(1) per answer.
    package mutating func done(_ ticket: UInt64, _ answer: Answer) -> [Answer] {
        guard ticket >= first, ticket - first < UInt64(pending.count - head) else { return [] }
        let index = head + Int(ticket - first)
        guard pending[index] == nil else { return [] }
        pending[index] = answer
        var released: [Answer] = []
        while head < pending.count, let ready = pending[head] {
            released.append(ready)
            pending[head] = nil
            head += 1
            first += 1
        }
        if head >= 64, head * 2 >= pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return released
    }
}

extension ReleaseOrder: Sendable where Answer: Sendable {}
