import Dispatch
import Foundation
import SluiceCore

/// The thread that rescans the model repository every `poll_interval` (README "Model repository and
/// bundles"), so new versions load and removed ones drain without a restart. `ModelManager.poll()`
/// blocks while it loads, which is why it runs here and never on an event loop.
final class RepositoryPoller: Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Flag()

    /// Starts polling `manager` every `interval` seconds; returns at once.
    init(manager: ModelManager, interval: Double) {
        let wake = wake, stopped = stopped
        let thread = Thread {
            while !stopped.value {
                _ = wake.wait(timeout: .now() + interval)
                if stopped.value { return }
                manager.poll()
            }
        }
        thread.name = "sluice-repository-poll"
        thread.start()
    }

    /// Ends the polling thread after its current poll. Any thread.
    func stop() {
        stopped.value = true
        wake.signal()
    }
}
