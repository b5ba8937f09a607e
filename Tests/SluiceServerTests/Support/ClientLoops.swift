import Foundation
import Synchronization
@testable import SluiceServer

/// Clients that send one request after another until stopped (at most `seconds`): the load of the
/// reload tests, counting what was sent, what failed and which versions answered. Each runs on a
/// thread of its own: blocking loops on Dispatch's global queue would take its few threads on a
/// two-core machine, and the admin API's work (and that of tests running beside) queues there.
final class ClientLoops: Sendable {
    private let stopped = Flag()
    private let done = DispatchGroup()
    private let sentCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let seen = Mutex<Set<String>>([])

    /// Starts `clients` loops sending `request` (one connection each); a request that throws or
    /// answers other than 200 is a failure.
    init(port: Int, clients: Int = 3, seconds: Double = 60, _ request: @escaping @Sendable (RawClient) throws -> RawClient.Answer) {
        for _ in 0..<clients {
            done.enter()
            Thread { [self] in
                defer { done.leave() }
                guard let client = try? RawClient(port: port) else {
                    failedCount.add(1, ordering: .relaxed)
                    return
                }
                let deadline = Date().addingTimeInterval(seconds)
                while !stopped.value && Date() < deadline {
                    let answer = try? request(client)
                    sentCount.add(1, ordering: .relaxed)
                    if answer?.status != 200 { failedCount.add(1, ordering: .relaxed) }
                    if let v = answer?.headers["x-sluice-model-version"] { _ = seen.withLock { $0.insert(v) } }
                }
            }.start()
        }
    }

    var sent: Int { sentCount.load(ordering: .relaxed) }
    var failed: Int { failedCount.load(ordering: .relaxed) }
    /// `x-sluice-model-version` of every answer so far.
    var versions: Set<String> { seen.withLock { $0 } }

    /// Tells every loop to stop and waits for them to finish their request.
    func stop() {
        stopped.value = true
        done.wait()
    }
}
