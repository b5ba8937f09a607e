extension HTTP2Connection {
    /// An HTTP/2 connection's life as a value: since when it has had no stream (the idle
    /// timeout), whether it has sent GOAWAY, which stream has waited too long for its head or
    /// body or for the client to take its answer, and whether the client takes our bytes at all
    /// (the send timeout). nghttp2 keeps the frames' state; this keeps the time.
    ///
    /// Pure: `HTTP2Connection` feeds it events with the time and carries out the actions it
    /// returns (GOAWAY, 408, ending the session); tests drive it with a plain number for a
    /// clock. Stored inline in the connection and touched only on its loop.
    struct StateMachine {
        enum State: Equatable {
            /// Taking streams. `idleSince` is when the last stream closed (or the connection
            /// began); nil while a stream is open.
            case serving(idleSince: UInt64?)
            /// GOAWAY is sent (idle timeout or shutdown): streams begun are answered, then the
            /// session finishes and the connection closes.
            case goingAway
        }

        private(set) var state: State
        /// The send timeout's clock of the connection's bytes in the socket.
        private var sending = SendProgress()
        let timeouts: Timeouts

        /// A connection that began at `now`, idle until its first stream.
        init(timeouts: Timeouts, now: UInt64) {
            self.timeouts = timeouts
            state = .serving(idleSince: now)
        }

        /// A stream opened: the connection is not idle.
        mutating func streamOpened() {
            if case .serving = state { state = .serving(idleSince: nil) }
        }

        /// The last open stream closed at `now`: the idle timeout runs from here.
        mutating func lastStreamClosed(now: UInt64) {
            if case .serving = state { state = .serving(idleSince: now) }
        }

        enum StreamAction: Equatable {
            case none
            /// Its header block stalled. Nothing may interleave with a header block, so the
            /// whole connection is stuck: end the session.
            case endSession
            /// Its body stalled: answer that stream 408 (`HTTPError.bodyTimeout`); the
            /// connection goes on.
            case timeOut
            /// Its answer waited for the client's flow-control window for the send timeout:
            /// reset it (CANCEL), which frees its slot and its answer; the connection goes on,
            /// and counts as idle once no stream is left.
            case cancel
        }

        /// Whether a stream in `phase` since `since` has waited too long at `now`; asked for each
        /// stream on every tick. A stream with its request complete waits on the responder,
        /// which has no timeout here.
        func tick(stream phase: HTTP2Stream.Phase, since: UInt64, now: UInt64) -> StreamAction {
            switch phase {
            case .head where timeouts.hasExpired(.head, since: since, now: now): .endSession
            case .body where timeouts.hasExpired(.body, since: since, now: now): .timeOut
            default: .none
            }
        }

        /// An answered stream's tick at `now`: whether its body has waited for the client's
        /// window too long. `unsent` says whether part of it is still to be sent, `sent` how much
        /// of it nghttp2 has taken; `progress` is the stream's own clock.
        func tick(answer progress: inout SendProgress, unsent: Bool, sent: Int, now: UInt64) -> StreamAction {
            progress.stalled(waiting: unsent, taken: UInt64(sent), now: now, timeouts: timeouts) ? .cancel : .none
        }

        enum ConnectionAction: Equatable {
            case none
            /// Send GOAWAY: no new streams; the connection closes once its streams are done.
            case goAway
            /// The client took none of our bytes for the send timeout: close at once with a
            /// reset, whatever its streams.
            case reset
        }

        /// The connection's own tick at `now`: a reset when the socket has held bytes (`unsent`)
        /// and taken none of them (`sent` is `Connection.sentBytes`) for the send timeout, else
        /// GOAWAY, once, when it has been idle too long.
        mutating func tick(now: UInt64, unsent: Bool, sent: UInt64) -> ConnectionAction {
            if sending.stalled(waiting: unsent, taken: sent, now: now, timeouts: timeouts) { return .reset }
            guard case .serving(let idleSince?) = state, timeouts.hasExpired(.idle, since: idleSince, now: now) else { return .none }
            state = .goingAway
            return .goAway
        }

        /// Server shutdown: GOAWAY, unless it is sent already.
        mutating func drain() -> ConnectionAction {
            guard case .serving = state else { return .none }
            state = .goingAway
            return .goAway
        }
    }
}
