import Glibc


/// A non-blocking TCP stream owned by one event loop for life: reads into a scratch buffer
/// shared by the loop, writes with `writev` and queues what the socket did not take.
///
/// Writes made while the loop handles a batch of events are corked: small writes are copied
/// into one buffer per stream and sent when the batch is done (`EventLoop` says when), so a
/// batch of answers reaches the peers together rather than one wake-up of a peer between each.
/// Over TLS the held bytes go out as one `SSL_write`: one record for a head and its body.
///
/// With a `TLSSession` the same stream carries TLS: reads and writes go through OpenSSL, and
/// its would-blocks become epoll interest. The delegate sees plaintext either way. The
/// cleartext paths pay one nil test of `tls` each.
///
/// Confined to `loop`: every method must be called on the loop's thread.
package final class Connection: Selectable, @unchecked Sendable {
    package let fd: Int32
    package unowned let loop: EventLoop
    package weak var delegate: (any ConnectionDelegate)?
    package private(set) var isClosed = false
    /// Bytes written by the delegate and not yet taken by the socket, held or queued (for
    /// back-pressure decisions).
    package internal(set) var pendingWriteBytes = 0
    /// Bytes the socket has taken in all, wrapping: the send timeout sees the peer make
    /// progress when it moves (one add per write; no clock is read here).
    package private(set) var sentBytes: UInt64 = 0

    var queue: [[UInt8]] = []
    /// Bytes held while the loop is corked; sent by `flushCorked()`, always before `queue`.
    var corked: [UInt8] = []
    var queueOffset = 0
    private var closeWhenDrained = false
    var readEnabled = true
    /// What the loop was last told (registration starts with read interest only).
    private var interestRead = true
    private var interestWrite = false
    let scratch: UnsafeMutableRawBufferPointer
    /// The TLS session of a TLS stream; nil for cleartext.
    package let tls: TLSSession?
    /// A TLS handshake or read waits for the socket to be writable.
    var tlsReadWantsWrite = false
    /// A TLS write waits for the socket to be readable (a TLS 1.3 key update in flight).
    var tlsWriteWantsRead = false
    /// A read is deferred to the loop's next iteration (`readBufferedTLSNextIteration`).
    var readScheduled = false

    /// Takes ownership of `fd`; registers it on `loop` (the caller is on that loop). With `tls`,
    /// the handshake starts when the client's first bytes arrive.
    package init(fd: Int32, loop: EventLoop, scratch: UnsafeMutableRawBufferPointer, tls: TLSSession? = nil) throws(SocketError) {
        self.fd = fd
        self.loop = loop
        self.scratch = scratch
        self.tls = tls
        try loop.register(self)
    }

    /// The most reads one wake-up makes before the stream yields to the others of its loop.
    /// With the loop's 64 KiB scratch buffer a wake-up takes at most 256 KiB: enough that a
    /// large upload costs one `epoll_wait` per 256 KiB (a few µs against the ~100 µs of copying
    /// and parsing them), and little enough that a client that keeps its socket full — of
    /// pipelined requests, or of cheap HTTP/2 frames — holds the loop for a bounded time before
    /// the next connection's turn. Epoll is level-triggered: unread bytes wake the stream again
    /// on the next iteration, in turn with the others.
    package static let readsPerWakeUp = 4

    package func onReadable() {
        if let tls {
            readTLS(tls)
            return
        }
        var reads = 0
        while !isClosed && readEnabled && reads < Self.readsPerWakeUp {
            let n: IOResult<Int>
            do {
                n = try syscall("read") { read(fd, scratch.baseAddress, scratch.count) }
            } catch {
                close()
                return
            }
            switch n {
            case .wouldBlock:
                return
            case .done(0):
                peerClosed()
                return
            case .done(let count):
                reads += 1
                delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                if count < scratch.count { return }
            }
        }
    }

    package func onWritable() {
        if tlsReadWantsWrite {
            tlsReadWantsWrite = false
            onReadable()
            if isClosed { return }
        }
        flush()
    }

    /// The peer closed its side: finish writing what we owe, then close.
    func peerClosed() {
        if queue.isEmpty && corked.isEmpty { close() } else { closeWhenDrained = true; readEnabled = false; updateInterest() }
    }

    /// Queues `parts` in order and writes as much as the socket takes now (or, corked, when the
    /// loop's batch is done).
    package func write(_ parts: [[UInt8]]) {
        guard !isClosed else { return }
        if cork(parts.reduce(0) { $0 + $1.count }, { for part in parts { corked.append(contentsOf: part) } }) { return }
        guard sendCorked() else { return }
        for part in parts { enqueue(part, from: 0) }
        flush()
    }

    /// Writes `bytes` then `more` (a response's head and body), as much as the socket takes
    /// now, and queues the rest. With nothing queued before — every keep-alive answer outside a
    /// corked batch — the bytes go to the socket straight from the caller's arrays in one call,
    /// and an array is retained only if the socket did not take it all.
    package func write(_ bytes: [UInt8], _ more: [UInt8] = []) {
        guard !isClosed else { return }
        if cork(bytes.count + more.count, { corked.append(contentsOf: bytes); corked.append(contentsOf: more) }) { return }
        guard sendCorked() else { return }
        guard queue.isEmpty, tls == nil else {
            enqueue(bytes, from: 0)
            enqueue(more, from: 0)
            flush()
            return
        }
        if writeNow(bytes, more) { didFlush() }
    }

    /// One direct write of `bytes` then `more` with nothing queued before them; queues what the
    /// socket did not take. False if the write failed and the stream closed.
    func writeNow(_ bytes: [UInt8], _ more: [UInt8]) -> Bool {
        let result: IOResult<Int>
        do {
            result = try writeDirect(bytes, more)
        } catch {
            close()
            return false
        }
        let written: Int
        switch result {
        case .done(let n): written = n
        case .wouldBlock: written = 0
        }
        sentBytes &+= UInt64(written)
        if written < bytes.count {
            enqueue(bytes, from: written)
            enqueue(more, from: 0)
        } else {
            enqueue(more, from: written - bytes.count)
        }
        return true
    }

    /// Queues `part` minus its first `offset` bytes (already written); only the head of the
    /// queue may start part-way, which holds because only an empty queue is written directly.
    func enqueue(_ part: [UInt8], from offset: Int) {
        guard offset < part.count else { return }
        if queue.isEmpty { queueOffset = offset }
        queue.append(part)
        pendingWriteBytes += part.count - offset
    }

    /// One `send`/`writev` of up to two arrays, pinned for the call only.
    private func writeDirect(_ bytes: [UInt8], _ more: [UInt8]) throws(SocketError) -> IOResult<Int> {
        if more.isEmpty {
            if bytes.isEmpty { return .done(0) }
            return try syscall("send") {
                bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
        return try syscall("writev") {
            bytes.withUnsafeBytes { first in
                more.withUnsafeBytes { second in
                    var iov = (
                        iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
                        iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count))
                    return withUnsafeMutableBytes(of: &iov) { writev(fd, $0.baseAddress?.assumingMemoryBound(to: iovec.self), 2) }
                }
            }
        }
    }

    /// Closes after everything queued so far has been written; reads stop at once.
    package func closeAfterWrites() {
        guard !isClosed else { return }
        closeWhenDrained = true
        readEnabled = false
        if queue.isEmpty && corked.isEmpty { close() } else { updateInterest() }
    }

    /// Stops or resumes reading (back-pressure while a request is being answered).
    package func setReading(_ enabled: Bool) {
        guard !isClosed, !closeWhenDrained, enabled != readEnabled else { return }
        readEnabled = enabled
        updateInterest()
        if enabled { readBufferedTLSNextIteration() }
    }

    /// Closes at once with a TCP reset (`SO_LINGER` 0), dropping what is queued here and in the
    /// kernel: for a peer that took no bytes for the send timeout. A plain close would leave the
    /// kernel holding its send buffer and probing a zero window for minutes, as nginx's
    /// `reset_timedout_connection` avoids too.
    package func reset() {
        guard !isClosed else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Closes at once, dropping queued bytes. Idempotent.
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        tls?.shutdown()
        loop.deregister(self)
        Glibc.close(fd)
        queue.removeAll()
        corked = []
        pendingWriteBytes = 0
        delegate?.connectionDidClose(self)
    }

    func flush() {
        if writeQueue() { didFlush() }
    }

    /// Writes from the queue until it is empty or the socket is full. False if the stream closed.
    func writeQueue() -> Bool {
        while !queue.isEmpty && !isClosed {
            let result: IOResult<Int>
            do {
                result = try writeQueued()
            } catch {
                close()
                return false
            }
            guard case .done(var written) = result else { break }
            pendingWriteBytes -= written
            sentBytes &+= UInt64(written)
            while written > 0, let first = queue.first {
                let remaining = first.count - queueOffset
                if written >= remaining {
                    written -= remaining
                    queue.removeFirst()
                    queueOffset = 0
                } else {
                    queueOffset += written
                    written = 0
                }
            }
        }
        return !isClosed
    }

    /// After a write: close if asked to once drained, keep epoll interest in step, and tell the
    /// delegate when everything is out. Held bytes are not out: a flush of the queue while some
    /// are held (the queue emptied earlier in this batch, and the same epoll event also said
    /// writable) leaves the close and the news to `flushCorked()`.
    func didFlush() {
        if isClosed { return }
        if !corked.isEmpty {
            updateInterest()
            return
        }
        if queue.isEmpty {
            if closeWhenDrained { close(); return }
            updateInterest()
            delegate?.connectionDidDrain(self)
        } else {
            updateInterest()
        }
    }

    private func writeQueued() throws(SocketError) -> IOResult<Int> {
        if let tls { return try writeTLS(tls) }
        let count = min(queue.count, 64)
        // writev wants pointers that outlive the call: pin each array in turn, recursively,
        // filling a stack-allocated iovec table.
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { iov throws(SocketError) in
            func pinned(_ index: Int) -> Int {
                if index == count { return writev(fd, iov.baseAddress, Int32(count)) }
                return queue[index].withUnsafeBytes { raw in
                    let skip = index == 0 ? queueOffset : 0
                    let base = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0 + skip) }
                    iov.initializeElement(at: index, to: iovec(iov_base: base, iov_len: raw.count - skip))
                    return pinned(index + 1)
                }
            }
            return try syscall("writev") { pinned(0) }
        }
    }

    /// Tells the loop only about changes: this runs after every write, and the loop's own
    /// check costs two dictionary look-ups. TLS may want the other direction than the one the
    /// stream waits for (a handshake writes while we wait to read, and the reverse).
    func updateInterest() {
        let write = (!queue.isEmpty && !tlsWriteWantsRead) || tlsReadWantsWrite
        let read = readEnabled || tlsWriteWantsRead
        guard read != interestRead || write != interestWrite else { return }
        interestRead = read
        interestWrite = write
        loop.setInterest(self, read: read, write: write)
    }
}
