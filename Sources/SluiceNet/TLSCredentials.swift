import Synchronization

/// The TLS context new connections use, replaceable while the server runs: SIGHUP re-reads the
/// certificate and key into a fresh context and swaps it in; handshakes that start afterwards
/// use it, sessions already made keep the context they started with.
///
/// `current` is read on the loops at each TLS accept (one uncontended lock, not per request);
/// `reload()` runs on whichever thread handles the signal.
package final class TLSCredentials: Sendable {
    private let context: Mutex<TLSContext>

    /// Loads the files once; throws `TLSError` naming the file at fault.
    package init(_ configuration: TLSContext.Configuration) throws(TLSError) {
        context = Mutex(try TLSContext(configuration))
    }

    /// The context for a new session. Any thread.
    package var current: TLSContext { context.withLock { $0 } }

    /// Re-reads the files of the current configuration. On failure the old context stays in use
    /// and the error says which file and why. Any thread.
    package func reload() throws(TLSError) {
        let fresh = try TLSContext(current.configuration)
        context.withLock { $0 = fresh }
    }
}
