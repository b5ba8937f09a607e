/// Corking: while the loop handles a batch, small writes are held in one buffer per stream and
/// sent when the batch is done (see the type's comment).
extension Connection {
    /// The most a stream holds corked, and the largest write it holds (an answer; not a whole
    /// HTTP/2 chunk of 64 KiB, which would only be copied); a larger write, or one that would
    /// overfill the buffer, sends what is held and goes out at once.
    private static let corkLimit = 64 << 10
    private static let corkedWriteLimit = 16 << 10
    /// A corked buffer at most this large keeps its room between batches (an answer or two).
    private static let keptCorkCapacity = 4096

    /// Holds `count` bytes (copied by `append`) for the end of the loop's batch, when the loop is
    /// corked, nothing is queued, and the bytes fit; true if held. An empty write is not held: it
    /// goes the direct way, which tells the delegate the stream is drained as before.
    @inline(__always)
    func cork(_ count: Int, _ append: () -> Void) -> Bool {
        guard loop.isCorked, queue.isEmpty, count > 0, count <= Self.corkedWriteLimit,
              corked.count + count <= Self.corkLimit else { return false }
        if corked.isEmpty { loop.flushAfterBatch(self) }
        append()
        pendingWriteBytes += count
        return true
    }

    /// Sends what was corked and tells the delegate as any write does. The loop calls this when
    /// its batch is done.
    package func flushCorked() {
        guard !corked.isEmpty, sendCorked() else { return }
        didFlush()
    }

    /// Sends what was corked in one call, ahead of anything written after it; what the socket
    /// does not take is queued. False if the stream closed.
    func sendCorked() -> Bool {
        guard !corked.isEmpty else { return !isClosed }
        pendingWriteBytes -= corked.count
        if tls != nil {
            // TLS writes go through the queue; the held buffer itself becomes its one entry.
            enqueue(corked, from: 0)
            corked = []
            return writeQueue()
        }
        let sent = writeNow(corked, [])
        corked.removeAll(keepingCapacity: corked.capacity <= Self.keptCorkCapacity)
        return sent
    }
}
