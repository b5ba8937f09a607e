import Dispatch
import Foundation
import SluiceCore

/// The thread that, every `poll_interval`, rescans the model repository (README "Model repository
/// and bundles") and then re-reads the routes file (README "Reloading routes.yaml"), so new
/// versions load, removed ones drain and a changed `routes.yaml` applies without a restart. The
/// one home of "poll every poll_interval": both block on file I/O (and the repository on
/// loads), which is why they run here and never on an event loop. The routes come second, so a
/// routes change that names a version arriving in the same poll finds it loaded.
final class Poller: Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Flag()

    /// Starts polling every `interval` seconds; returns at once.
    init(manager: ModelManager, routes: Routes, interval: Double) {
        let wake = wake, stopped = stopped
        let thread = Thread {
            while !stopped.value {
                _ = wake.wait(timeout: .now() + interval)
                if stopped.value { return }
                manager.poll()
                routes.reloadIfChanged()
            }
        }
        thread.name = "sluice-poll"
        thread.start()
    }

    /// Ends the polling thread after its current poll. Any thread.
    func stop() {
        stopped.value = true
        wake.signal()
    }
}
