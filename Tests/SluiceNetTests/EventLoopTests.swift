import Foundation
import Glibc
import Synchronization
import Testing
@testable import SluiceNet

/// Echoes what it reads; lives on the loop.
private final class Echo: ConnectionDelegate, @unchecked Sendable {
    var connections: [Connection] = []
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.write([Array(bytes)])
    }
    func connectionDidDrain(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}

private func connectBlocking(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try #require(rc == 0)
    // A test whose bytes never come fails after 5 s instead of hanging.
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

@Test func tasksFromOtherThreadsRunOnTheLoop() async throws {
    let loop = try EventLoop(index: 0)
    let thread = Thread { loop.run() }
    thread.start()
    let ranOnLoop = Atomic<Int>(0)
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        loop.execute {
            if loop.inEventLoop { ranOnLoop.add(1, ordering: .relaxed) }
            done.resume()
        }
    }
    #expect(ranOnLoop.load(ordering: .relaxed) == 1)
    #expect(!loop.inEventLoop)
    loop.stop()
}

/// Runs a loop whose listener gives every accepted stream to `delegate` (and to `keep`, which
/// holds it), connects to it, and calls `body` with the connected socket. Returns once the
/// loop's thread has stopped, so the scratch buffer outlives every read into it.
private func serving<D: ConnectionDelegate>(
    _ delegate: D, corkBudget: UInt64 = 200_000, keep: @escaping (Connection) -> Void,
    _ body: (Int32) throws -> Void
) throws {
    let loop = try EventLoop(index: 0, corkBudget: corkBudget)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
    defer { scratch.deallocate() }
    let listener = try Listener(host: "127.0.0.1", port: 0, loop: loop, onAccept: { fd in
        if let c = try? Connection(fd: fd, loop: loop, scratch: scratch) {
            c.delegate = delegate
            keep(c)
        }
    }, onPause: { _, _ in })
    let stopped = DispatchSemaphore(value: 0)
    let thread = Thread {
        loop.run()
        stopped.signal()
    }
    thread.start()
    defer {
        loop.stop()
        stopped.wait()
    }
    let fd = try connectBlocking(port: listener.port)
    defer { close(fd) }
    try body(fd)
}

@Test func aListenerAcceptsAndAConnectionEchoes() throws {
    let echo = Echo()
    try serving(echo, keep: { echo.connections.append($0) }) { fd in
        let message = Array("hello, loop".utf8)
        #expect(write(fd, message, message.count) == message.count)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while received.count < message.count {
            let n = read(fd, &buffer, buffer.count)
            try #require(n > 0)
            received += buffer[0..<n]
        }
        #expect(received == message)
    }
}

@Test func listenersShareAPortThroughReusePort() throws {
    let first = try Socket.listen(host: "127.0.0.1", port: 0)
    defer { close(first.fd) }
    let second = try Socket.listen(host: "127.0.0.1", port: first.port)
    defer { close(second.fd) }
    #expect(second.port == first.port)
}

@Test func bindingABadAddressThrowsASocketError() {
    #expect(throws: SocketError.self) { try Socket.listen(host: "not-an-address", port: 0) }
}

/// A delegate that answers a client's first bytes; `answer(to:)` serves it and collects what the
/// stream sends before it closes.
private class Answerer: ConnectionDelegate, @unchecked Sendable {
    var connections: [Connection] = []
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidDrain(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}

/// Sends "go" to a loop serving `answerer` and reads until the stream closes (or the 5 s receive
/// timeout fails the test).
private func answer(to answerer: Answerer, corkBudget: UInt64 = 200_000) throws -> [UInt8] {
    var received: [UInt8] = []
    try serving(answerer, corkBudget: corkBudget, keep: { answerer.connections.append($0) }) { fd in
        #expect(write(fd, "go", 2) == 2)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            try #require(n >= 0)
            if n == 0 { return }
            received += buffer[0..<n]
        }
    }
    return received
}

/// Answers with a small write, a write larger than a stream may hold corked, and a small write,
/// then closes after the writes; records what it held while the loop was corked.
private final class CorkedAnswers: Answerer, @unchecked Sendable {
    static let large = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let heldWhileHandling = Mutex<[Int]>([])
    override func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.write(Array("first|".utf8))
        heldWhileHandling.withLock { $0.append(connection.pendingWriteBytes) }
        connection.write(Array("second|".utf8), Array("third|".utf8))
        heldWhileHandling.withLock { $0.append(connection.pendingWriteBytes) }
        connection.write(Self.large)
        connection.write([Array("|last".utf8)])
        connection.closeAfterWrites()
    }
}

@Test func writesHeldDuringABatchGoOutInOrderBeforeTheClose() throws {
    let answers = CorkedAnswers()
    #expect(try answer(to: answers) == Array("first|second|third|".utf8) + CorkedAnswers.large + Array("|last".utf8))
    // The small writes were held (not sent) while the handler ran: the loop was corked.
    #expect(answers.heldWhileHandling.withLock { $0 } == [6, 19])
}

/// Holds a write, asks to close after the writes, then takes a writable event in the same batch,
/// as when epoll reported EPOLLIN|EPOLLOUT together for a stream whose queue this event emptied.
private final class WritableAfterHeldClose: Answerer, @unchecked Sendable {
    override func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.write(Array("held".utf8))
        connection.closeAfterWrites()
        connection.onWritable()
    }
}

@Test func aWritableEventWithNothingQueuedKeepsHeldBytesAndTheCloseWaitsForThem() throws {
    #expect(try answer(to: WritableAfterHeldClose()) == Array("held".utf8))
}

/// Queues two tasks: the first writes (held, tasks are a batch too), the second records what
/// the stream still holds and closes after the writes.
private final class HeldAcrossTasks: Answerer, @unchecked Sendable {
    let heldAtSecondTask = Mutex<Int?>(nil)
    override func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.loop.executeSoon { connection.write(Array("answer".utf8)) }
        connection.loop.executeSoon {
            self.heldAtSecondTask.withLock { $0 = connection.pendingWriteBytes }
            connection.closeAfterWrites()
        }
    }
}

@Test func aHeldWriteGoesOutBetweenTwoTasksOnceItsBudgetIsSpent() throws {
    // A budget of 0: whatever a task holds is overdue by the next task.
    let answers = HeldAcrossTasks()
    #expect(try answer(to: answers, corkBudget: 0) == Array("answer".utf8))
    #expect(answers.heldAtSecondTask.withLock { $0 } == 0)
}
