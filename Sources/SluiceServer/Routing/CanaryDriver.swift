import Dispatch
import Foundation
import SluiceCore

/// The thin loop around the canary controllers (README "Routing and canaries"): a thread that ticks
/// `Routes` a few times per shortest canary interval (at most once a second, at least every 20 ms),
/// logging each decision. Off the request path; a tick takes the routes' control lock only.
/// After each tick it judges the fleet canaries' due boundaries (`Routes.judgeBoundaries`),
/// whose Prometheus queries block this thread, never an event loop and never under the lock.
final class CanaryDriver: Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Flag()

    /// Starts ticking `routes`; returns at once.
    init(routes: Routes, analyst: any CanaryAnalyst = PrometheusAnalyst(), log: @escaping @Sendable (String) -> Void) {
        let wake = wake, stopped = stopped
        let thread = Thread {
            while !stopped.value {
                _ = wake.wait(timeout: .now() + Self.period(routes))
                if stopped.value { return }
                for (route, decision) in routes.tick() + routes.judgeBoundaries(by: analyst) {
                    log("route '\(route)' canary \(decision.decision): \(decision.reason)")
                }
            }
        }
        thread.name = "sluice-canary"
        thread.start()
    }

    /// A quarter of the shortest canary interval, between 20 ms and 1 s.
    static func period(_ routes: Routes) -> Double {
        let shortest = routes.snapshot.routes.compactMap { $0.config.canary?.interval }.min() ?? 4
        return min(1, max(0.02, shortest / 4))
    }

    /// Ends the thread after its current tick. Any thread.
    func stop() {
        stopped.value = true
        wake.signal()
    }
}
