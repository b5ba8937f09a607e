import Synchronization

/// A clock tests move by hand, handed to `ModelManager` as its `now`.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: @Sendable () -> ContinuousClock.Instant { { self.instant.withLock { $0 } } }

    func advance(by duration: Duration) {
        instant.withLock { $0 += duration }
    }
}
