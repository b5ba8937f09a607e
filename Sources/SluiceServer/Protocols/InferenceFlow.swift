import SluiceCore
import SluiceHTTP
import SluiceNet

/// The steps every protocol's inference endpoint shares, whatever its wire format: resolve the
/// version (through `DataPlane.resolve`, so routes apply to every protocol) and decode the body
/// (the protocol's own closure), schedule the run (inline or on the pool), encode the answer
/// (the protocol's own closure), stamp `x-sluice-model-version` (and `x-sluice-route` /
/// `x-sluice-arm` when a route chose the version), copy it to the route's shadow, and record
/// the request in the version's statistics and metrics and the route's canary window — or,
/// when no version was resolved, in the unresolved-request counter.
///
/// Called on the event loop that owns the request's connection, or on a worker for a request
/// the HTTP layer offloaded (`Offload`, a large body), which then runs where it is; `encode`
/// runs wherever the run does (loop or worker).
struct InferenceFlow: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler

    /// What `prepare` has found out so far: filled in as it goes, read when it throws.
    struct Target {
        /// The version the request runs on, as soon as it is resolved.
        var servable: ServableVersion?
        /// The route's decision, when a route chose the version.
        var route: RouteDecision?
        /// Whether the body decoded: a request the version refuses after this counts against it
        /// in a canary; one whose body did not parse says nothing about the version.
        var decoded = false
        /// The request's own `timeout` parameter (microseconds after it started, Triton's
        /// meaning), when it has one: its deadline (`RequestContext.deadline`).
        var timeoutMicroseconds: UInt64?
    }

    /// Runs one inference request of wire protocol `protocolName` (the `protocol` label).
    ///
    /// `prepare` resolves the version (`DataPlane.resolve`) and decodes the body, filling in
    /// `target` as it goes, so that a request the version rejects counts as that version's
    /// failure (Triton's `fail` statistic) and one that names no known model does not. It returns
    /// the request, already checked by `DataPlane.prepare`, and whatever `encode` needs from the
    /// decoding.
    func run<Decoded: Sendable>(
        protocol protocolName: String, model name: Substring?, writer: ResponseWriter,
        prepare: (_ target: inout Target) throws(ServingError) -> (InferenceRequest, Decoded),
        encode: @escaping @Sendable (InferenceResponse, Decoded) throws(ServingError) -> Response
    ) {
        let context = writer.context
        context.protocolName = protocolName
        let arrived = context.started
        var found = Target()
        let prepared: (InferenceRequest, Decoded)
        do throws(ServingError) {
            prepared = try prepare(&found)
        } catch {
            var response = Response(error: error)
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            if let servable = found.servable {
                DataPlane.annotate(&response.headers, context: context, servable: servable, route: found.route)
                dataPlane.record(
                    servable, route: found.route, protocol: protocolName, status: response.status, nanos: nanos,
                    failed: found.decoded ? true : nil)
            } else {
                // Only a model the repository knows is a label value; a client's typo is not.
                let known = name.flatMap { dataPlane.manager.snapshot.model(named: String($0))?.name } ?? ""
                dataPlane.metrics?.countUnresolved(model: known, protocol: protocolName, code: response.status)
            }
            writer.send(response)
            return
        }
        guard let target = found.servable else {
            // `prepare` returned without naming its version: our bug, answered rather than trapped.
            writer.fail(ServingError.backendFailure("no version was resolved for the request"))
            return
        }
        if let timeout = found.timeoutMicroseconds { context.applyTimeout(microseconds: timeout) }
        let (request, decoded) = prepared
        let plane = dataPlane
        let route = found.route
        // The request's answer from its result: encoded, copied to the route's shadow, stamped,
        // recorded. A local function, called directly when the run is inline: only the pool's and
        // the queue's paths form a closure, so an inline request allocates no context.
        @Sendable func answer(_ result: Result<InferenceResponse, ServingError>, queued: Int, computeNanos: Int) -> Response {
            var response: Response
            do throws(ServingError) {
                let result = try result.get()
                response = try encode(result, decoded)
                if let route { plane.shadow(request, primary: result, route: route) }
            } catch {
                response = Response(error: error)
            }
            context.queueNanos = queued
            context.computeNanos = computeNanos
            DataPlane.annotate(&response.headers, context: context, servable: target, route: route)
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            plane.record(target, route: route, protocol: protocolName, status: response.status, nanos: nanos, failed: response.status >= 300)
            return response
        }
        @Sendable func respond(_ queued: Int) -> Response {
            var computeNanos = 0
            let result: Result<InferenceResponse, ServingError>
            if context.isLate {
                // Waited past the client's deadline: the client has given up, so nothing runs.
                result = .failure(.deadlineExceeded("the deadline passed before the request ran"))
            } else {
                do throws(ServingError) {
                    let inferred = try plane.infer(request, on: target, queuedNanos: queued, computeNanos: &computeNanos)
                    result = .success(inferred)
                } catch {
                    result = .failure(error)
                }
            }
            return answer(result, queued: queued, computeNanos: computeNanos)
        }
        // A version with a queue of its own (`dynamic_batching`, `instances`): its batcher runs
        // it, merged with others or alone, on the pool. The version is held until the answer.
        if target.queuesRequests {
            let held = VersionHold(target.acquire())
            let batcher = target.attached { Batcher(config: target.config, pool: scheduler.pool, plane: plane) }
            let queued = batcher.submit(request, on: target, deadline: context.deadline) { result, waited, computeNanos in
                let response = answer(result, queued: waited, computeNanos: computeNanos)
                held.release()
                writer.send(response)
            }
            if !queued {
                // Shed as a full worker queue is: 503 and Retry-After (RESOURCE_EXHAUSTED).
                held.release()
                writer.fail(OverloadError.modelQueueFull(model: target.modelName, version: target.version, limit: target.config.queueCapacity))
            }
            return
        }
        // Inline here means on this thread: the loop, or the worker of an offloaded request.
        // The version is held from here until the run ends — through the wait for a worker too —
        // so an unloading version is let go the moment its last request is done, not before.
        if writer.isOffloaded || scheduler.runsInline(on: target, rows: request.inputs.first?.shape.first ?? 1) {
            let running = target.acquire()
            writer.send(respond(0))
            running.release()
        } else {
            let held = VersionHold(target.acquire())
            scheduler.submit(writer: writer) { queued in
                let response = respond(queued)
                held.release()
                return response
            }
        }
    }
}

/// A `VersionHandle` carried to a worker: the handle is non-copyable, which a job's escaping
/// closure cannot capture, so the pool's path boxes it (one allocation, on that path only).
/// Released by the job when its run ends, or when the job is dropped unrun (a full queue).
/// Touched by one thread at a time: made on the loop, released by the worker.
private final class VersionHold: @unchecked Sendable {
    private var handle: VersionHandle?

    init(_ handle: consuming VersionHandle) {
        self.handle = consume handle
    }

    func release() {
        handle = nil
    }
}
