/// Where a route's arm (a version or a label) lands in its model: the one home of that look-up,
/// shared by the data plane's requests, route readiness, shadows, route checks and the
/// route-weight metric.
extension ModelEntry {
    /// The version `target` sends traffic to. Called per routed request on its event loop, and
    /// by readiness, shadow runs and route checks; reads only this immutable entry. Throws as
    /// `servable(version:)` and `servable(label:)` do.
    package func servable(_ target: ArmTarget) throws(ServingError) -> ServableVersion {
        switch target {
        case .version(let v): try servable(version: v)
        case .label(let l): try servable(label: l)
        }
    }
}

extension ArmTarget {
    /// The version number this target names, reading a label in `labels` (a model's
    /// `labels:`); nil for a label that is not there. Whether that version serves is not asked:
    /// callers want the number (metric labels, handles resolved up front) even while it loads.
    package func versionNumber(labels: [String: Int]) -> Int? {
        switch self {
        case .version(let v): v
        case .label(let l): labels[l]
        }
    }
}
