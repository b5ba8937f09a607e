import Dispatch
import Foundation
import SluiceCore

/// The thin loop around the canary controllers (README "Routing and canaries"): a thread that ticks
/// `Routes` a few times per shortest canary interval (at most once a second, at least every 20 ms),
/// logging each decision. Off the request path; a tick takes the routes' control lock only.
/// A second thread, at the same pace, judges the fleet canaries' due boundaries
/// (`Routes.judgeBoundaries`): their Prometheus queries block that thread only, never an event
/// loop, never under the lock, and never the per-pod canaries' ticks (a slow Prometheus must not
/// keep a per-pod canary from rolling back).
final class CanaryDriver: Sendable {
    private let wakes = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    private let stopped = Flag()

    /// Starts ticking `routes`; returns at once.
    init(routes: Routes, analyst: any CanaryAnalyst = PrometheusAnalyst(), log: @escaping @Sendable (String) -> Void) {
        Self.start("sluice-canary", wake: wakes[0], stopped: stopped, routes: routes, log: log) { routes.tick() }
        Self.start("sluice-fleet-canary", wake: wakes[1], stopped: stopped, routes: routes, log: log) {
            routes.judgeBoundaries(by: analyst)
        }
    }

    private static func start(
        _ name: String, wake: DispatchSemaphore, stopped: Flag, routes: Routes, log: @escaping @Sendable (String) -> Void,
        _ pass: @escaping @Sendable () -> [(route: String, decision: CanaryController.Decision)]
    ) {
        let thread = Thread {
            while !stopped.value {
                _ = wake.wait(timeout: .now() + Self.period(routes))
                if stopped.value { return }
                for (route, decision) in pass() {
                    log("route '\(route)' canary \(decision.decision): \(decision.reason)")
                }
            }
        }
        thread.name = name
        thread.start()
    }

    /// A quarter of the shortest canary interval, between 20 ms and 1 s.
    static func period(_ routes: Routes) -> Double {
        let shortest = routes.snapshot.routes.compactMap { $0.config.canary?.interval }.min() ?? 4
        return min(1, max(0.02, shortest / 4))
    }

    /// Ends both threads after their current pass. Any thread.
    func stop() {
        stopped.value = true
        for wake in wakes { wake.signal() }
    }
}
