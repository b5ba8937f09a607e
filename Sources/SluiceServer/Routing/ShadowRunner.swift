import SluiceCore

/// Runs shadow copies of routed requests (README "Routing and canaries" `shadow:`) on a small pool
/// of its own, after the primary has answered, so a slow or failing shadow never delays or fails a
/// client: the primary only queues the copy (a lock and a wake-up), and a full queue drops it and
/// counts it as `dropped`. Each copy is checked against the shadow version's signature, run, and
/// its outputs compared with the primary's: `compared` (plus a mismatch when they differ beyond the
/// route's tolerance) or `failed` (the shadow refused or failed it).
final class ShadowRunner: Sendable {
    private let pool: WorkerPool

    init(threads: Int = 1, maxQueue: Int = 64) {
        pool = WorkerPool(threads: threads, maxQueue: maxQueue, name: "sluice-shadow")
    }

    /// Queues a copy of `request`, whose primary answer was `primary`. Called by the protocol's
    /// job right after the primary succeeded, on whichever thread ran it; never blocks.
    func submit(_ request: InferenceRequest, primary: InferenceResponse, route: RouteDecision, dataPlane: DataPlane) {
        guard let shadow = route.route.config.shadow else { return }
        let plane = dataPlane
        let compiled = route.route
        let accepted = pool.submit {
            Self.run(request, primary: primary, shadow: shadow, route: compiled, dataPlane: plane)
        }
        if !accepted { compiled.metrics?.recordShadow(version: nil, result: "dropped") }
    }

    private static func run(_ request: InferenceRequest, primary: InferenceResponse, shadow: Shadow, route: CompiledRoute, dataPlane: DataPlane) {
        var version: Int?
        do throws(ServingError) {
            let model = try dataPlane.model(named: route.config.model[...])
            let servable = try model.servable(shadow.target)
            version = servable.version
            // The copy asks for every output the shadow has; only those the primary answered too
            // are compared.
            var copy = request
            copy.outputs = []
            let prepared = try dataPlane.prepare(copy, for: servable)
            let running = servable.acquire()
            let answer = try dataPlane.infer(prepared, on: servable)
            running.release()
            let mismatch = !OutputComparison.agree(primary.outputs, answer.outputs, tolerance: shadow.tolerance)
            route.metrics?.recordShadow(version: version, result: "compared", mismatch: mismatch)
        } catch {
            route.metrics?.recordShadow(version: version, result: "failed")
        }
    }
}
