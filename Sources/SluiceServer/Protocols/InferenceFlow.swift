import SluiceCore
import SluiceHTTP
import SluiceNet

/// The steps every protocol's inference endpoint shares, whatever its wire format: resolve the
/// version and decode the body (the protocol's own closure), schedule the run (inline or on the
/// pool), encode the answer (the protocol's own closure), stamp `x-sluice-model-version`, and
/// record the request in the version's statistics and metrics — or, when no version was
/// resolved, in the unresolved-request counter.
///
/// Called on the event loop that owns the request's connection; `encode` runs wherever the
/// scheduler runs the job (loop or worker).
struct InferenceFlow: Sendable {
    let dataPlane: DataPlane
    let scheduler: Scheduler

    /// Runs one inference request of wire protocol `protocolName` (the `protocol` label).
    ///
    /// `prepare` decodes the body and resolves the version, setting `servable` as soon as it is
    /// known, so that a request the version rejects counts as that version's failure (Triton's
    /// `fail` statistic) and one that names no known model does not. It returns the request,
    /// already checked by `DataPlane.prepare`, and whatever `encode` needs from the decoding.
    func run<Decoded: Sendable>(
        protocol protocolName: String, model name: Substring?, writer: ResponseWriter,
        prepare: (_ servable: inout ServableVersion?) throws(ServingError) -> (InferenceRequest, Decoded),
        encode: @escaping @Sendable (InferenceResponse, Decoded) throws(ServingError) -> Response
    ) {
        let arrived = MonotonicClock.now()
        var servable: ServableVersion?
        let prepared: (InferenceRequest, Decoded)
        do throws(ServingError) {
            prepared = try prepare(&servable)
        } catch {
            let response = ErrorResponse.response(for: error)
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            if let servable {
                servable.stats.recordRequest(succeeded: false, nanos: nanos)
                servable.metrics?.recordRequest(protocol: protocolName, code: response.status, seconds: Double(nanos) / 1e9)
            } else {
                // Only a model the repository knows is a label value; a client's typo is not.
                let known = name.flatMap { dataPlane.manager.snapshot.model(named: String($0))?.name } ?? ""
                dataPlane.metrics?.countUnresolved(model: known, protocol: protocolName, code: response.status)
            }
            writer.send(response)
            return
        }
        guard let target = servable else {
            // `prepare` returned without naming its version: our bug, answered rather than trapped.
            writer.send(.error(500, "internal error: no version was resolved for the request"))
            return
        }
        let (request, decoded) = prepared
        let plane = dataPlane
        scheduler.run(on: target, rows: request.inputs.first?.shape.first ?? 1, writer: writer) { queued in
            // Counted while it runs, so an unloading version is released only after it.
            target.stats.requestStarted()
            defer { target.stats.requestFinished() }
            var response: Response
            var succeeded = false
            do throws(ServingError) {
                let result = try plane.infer(request, on: target, queuedNanos: queued)
                response = try encode(result, decoded)
                response.headers.add("x-sluice-model-version", String(target.version))
                succeeded = true
            } catch {
                response = ErrorResponse.response(for: error, model: target.modelName, version: target.version)
            }
            let nanos = Int(clamping: MonotonicClock.now() &- arrived)
            target.stats.recordRequest(succeeded: succeeded, nanos: nanos)
            target.metrics?.recordRequest(protocol: protocolName, code: response.status, seconds: Double(nanos) / 1e9)
            return response
        }
    }
}
