import SluiceNet
import Synchronization

/// State shared by all loops of one server: counters, the draining flag, each loop's context
/// (reached from other threads only through `loop.execute`), and the bookkeeping every
/// request's exchange goes through (`Exchange.swift`).
final class ServerState: @unchecked Sendable {
    let stats = HTTPStats()
    let limits: HTTPLimits
    /// `limits`' timeouts, for the connections' state machines.
    let timeouts: Timeouts
    let http2: HTTP2Settings
    let accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?
    let faultLog: (@Sendable (RequestContext, any Error) -> Void)?
    let acceptPaused: (@Sendable (Int, SocketError, Int) -> Void)?
    let offload: Offload?
    let coding: ContentCoding
    let tls: TLSCredentials?
    private let draining = Atomic<Bool>(false)
    private let contexts: Mutex<[Int: LoopContext]>

    init(
        limits: HTTPLimits, http2: HTTP2Settings, accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?,
        faultLog: (@Sendable (RequestContext, any Error) -> Void)?, coding: ContentCoding, tls: TLSCredentials?,
        acceptPaused: (@Sendable (Int, SocketError, Int) -> Void)? = nil, offload: Offload? = nil
    ) {
        self.limits = limits
        self.acceptPaused = acceptPaused
        self.offload = offload
        timeouts = Timeouts(limits)
        self.http2 = http2
        self.accessLog = accessLog
        self.faultLog = faultLog
        self.coding = coding
        self.tls = tls
        contexts = Mutex([:])
    }

    var isDraining: Bool {
        get { draining.load(ordering: .relaxed) }
        set { draining.store(newValue, ordering: .relaxed) }
    }

    func register(_ context: LoopContext, for index: Int) {
        contexts.withLock { $0[index] = context }
    }

    func unregister(_ index: Int) {
        contexts.withLock { $0[index] = nil }
    }

    func context(for index: Int) -> LoopContext? {
        contexts.withLock { $0[index] }
    }
}
