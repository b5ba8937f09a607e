import Glibc
import Testing
@testable import SluiceNet

/// Counts what it is handed.
private final class Counter: ConnectionDelegate, @unchecked Sendable {
    var bytes = 0
    var reads = 0
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.bytes += bytes.count
        reads += 1
    }
    func connectionDidDrain(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}

/// A client that keeps its socket full must not keep the loop: one wake-up reads at most
/// `readsPerWakeUp` buffers, and the rest waits for the next (epoll is level-triggered).
@Test func aWakeUpReadsAtMostItsBudgetAndTheNextOneGoesOn() throws {
    var pair: [Int32] = [0, 0]
    try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0)
    defer { close(pair[1]) }
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 16)
    defer { scratch.deallocate() }
    // Not running: this thread acts as the loop's.
    let loop = try EventLoop(index: 0)
    let connection = try Connection(fd: pair[0], loop: loop, scratch: scratch)
    let counter = Counter()
    connection.delegate = counter
    defer { connection.close() }

    let sent = [UInt8](repeating: 0x61, count: 32 * 1024)
    #expect(write(pair[1], sent, sent.count) == sent.count)
    let budget = Connection.readsPerWakeUp * scratch.count
    connection.onReadable()
    #expect(counter.reads == Connection.readsPerWakeUp)
    #expect(counter.bytes == budget)
    connection.onReadable()
    #expect(counter.bytes == 2 * budget)
    // The last wake-up stops at what is there.
    while counter.bytes < sent.count { connection.onReadable() }
    #expect(counter.bytes == sent.count)
    #expect(!connection.isClosed)
}
