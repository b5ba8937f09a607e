import Synchronization

/// A request's hold on the version it runs on (TF Serving's `ServableHandle`). While any handle
/// is held the version counts as in flight; releasing the last one of a version the manager is
/// letting go finishes its unload at once, instead of at the next poll or admin call. Memory is
/// not its business: a request's reference to the `ServableVersion` keeps that alive either way,
/// so a handle decides only when metadata stops listing the version as `unloading`.
///
/// Taken with `ServableVersion.acquire()` by whatever runs a request (event loop, worker, shadow
/// pool), and let go by `release()` or by leaving its scope, a thrown error included.
/// Non-copyable, so one acquire is exactly one release; a struct, so a request allocates
/// nothing for it: one retain and two atomic adds, plus one load on release.
package struct VersionHandle: ~Copyable {
    private let servable: ServableVersion

    fileprivate init(_ servable: ServableVersion) {
        self.servable = servable
    }

    /// Ends the hold here rather than at the end of the scope.
    package consuming func release() {}

    deinit {
        // Sequentially consistent, as is `ServableVersion.markUnloading`: whichever of the two
        // comes second sees the other's write, so a drain is never missed (both may see it;
        // the manager's drain is idempotent).
        let left = servable.inFlight.subtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0, servable.isUnloading.load(ordering: .sequentiallyConsistent) { servable.onDrained() }
    }
}

extension ServableVersion {
    /// Counts a request in until the returned handle is released. Any thread, once per request
    /// that runs on this version; never blocks.
    package func acquire() -> VersionHandle {
        inFlight.add(1, ordering: .relaxed)
        return VersionHandle(self)
    }

    /// Requests holding a handle now, for the `sluice_inflight_requests` gauge.
    package var inFlightRequests: Int { inFlight.load(ordering: .relaxed) }

    /// Called by the manager under its control lock to say whether it is letting this version
    /// go. Returns true when it is and no request holds a handle: the manager drops it now;
    /// otherwise the last handle to be released calls `onDrained`.
    func markUnloading(_ unloading: Bool) -> Bool {
        isUnloading.store(unloading, ordering: .sequentiallyConsistent)
        return unloading && inFlight.load(ordering: .sequentiallyConsistent) == 0
    }
}
