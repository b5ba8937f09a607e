extension HTTPConnection {
    /// An HTTP/1.1 connection's life as a value: whether it reads requests, which one it owes an
    /// answer, whether it stays open after that answer, and when a wait has lasted too long.
    ///
    /// Pure: `HTTPConnection` feeds it events with the time and carries out the actions it
    /// returns (parse, write, close); tests drive it with a plain number for a clock. Stored
    /// inline in the connection and touched only on its loop.
    struct StateMachine {
        enum State: Equatable {
            /// Parsing requests; the parser has waited in `wait` (idle, head or body) since `since`.
            case reading(Timeouts.Wait, since: UInt64)
            /// Request number `sequence` is with the responder. Its answer leaves the connection
            /// open if `keepAlive`, has no body if `isHead`, and is written for a request of HTTP
            /// minor version `minorVersion`.
            case answering(sequence: UInt64, keepAlive: Bool, isHead: Bool, minorVersion: Int)
            /// Its answer is being written: a drain reported from inside that write must not run
            /// the parser, as the connection runs it once the write returns.
            case writing(keepAlive: Bool)
            /// No more requests: a last answer or an error is on its way out, the connection timed
            /// out, or its stream went to HTTP/2.
            case closing
        }

        private(set) var state: State
        private var sequence: UInt64 = 0
        /// The send timeout's clock: it runs in every state, as answers may wait in the socket
        /// whatever the connection does next.
        private var sending = SendProgress()
        let timeouts: Timeouts

        /// A connection accepted at `now`, idle until its first byte.
        init(timeouts: Timeouts, now: UInt64) {
            self.timeouts = timeouts
            state = .reading(.idle, since: now)
        }

        /// Whether the parser may run: no answer is owed and more requests may come.
        var isReading: Bool {
            if case .reading = state { return true }
            return false
        }

        var isClosing: Bool {
            if case .closing = state { return true }
            return false
        }

        /// The parser needs more bytes and waits in `phase`. Its timeout starts over when the
        /// phase changed; only then is `now` evaluated (this runs after every request, and
        /// reading the clock is not free).
        @inline(__always)
        mutating func waiting(in phase: HTTPParser.Phase, now: @autoclosure () -> UInt64) {
            guard case .reading(let wait, _) = state else { return }
            let next = Timeouts.Wait(phase)
            if next != wait { state = .reading(next, since: now()) }
        }

        /// A request goes to the responder; returns the number its writer answers with.
        mutating func dispatch(keepAlive: Bool, isHead: Bool, minorVersion: Int) -> UInt64 {
            sequence &+= 1
            state = .answering(sequence: sequence, keepAlive: keepAlive, isHead: isHead, minorVersion: minorVersion)
            return sequence
        }

        enum AnswerAction: Equatable {
            /// Not the answer owed (a second `send`, or one after the connection moved on).
            case ignore
            /// Write it, with `connection: close` unless `keepAlive`, without its body if
            /// `omitBody`, for a request of HTTP minor version `minorVersion`; then report
            /// `answerWritten`.
            case write(keepAlive: Bool, omitBody: Bool, minorVersion: Int)
        }

        /// The answer to request `sequence` came back. While the server drains, it is the last.
        mutating func answer(sequence: UInt64, draining: Bool) -> AnswerAction {
            guard case .answering(let owed, let keepAlive, let isHead, let minorVersion) = state, owed == sequence else {
                return .ignore
            }
            let keep = keepAlive && !draining
            state = .writing(keepAlive: keep)
            return .write(keepAlive: keep, omitBody: isHead, minorVersion: minorVersion)
        }

        enum AfterAnswer: Equatable {
            /// Parse what is buffered: the next request may be there already (pipelining).
            case readNext
            /// Close once the answer is out.
            case closeAfterWrites
        }

        /// The answer's write returned; a kept-alive connection is idle from `now`.
        mutating func answerWritten(now: @autoclosure () -> UInt64) -> AfterAnswer {
            guard case .writing(keepAlive: true) = state else {
                state = .closing
                return .closeAfterWrites
            }
            state = .reading(.idle, since: now())
            return .readNext
        }

        /// The connection takes no more requests: it answers one it could not parse, or hands
        /// its stream to HTTP/2.
        mutating func stop() {
            state = .closing
        }

        enum TickAction: Equatable {
            case none
            /// Idle too long: close without a word.
            case close
            /// The peer took none of our bytes for the send timeout: close at once with a reset,
            /// dropping what it would not take.
            case reset
            /// A head or a body stalled: answer 408 (`wait.error`) and close.
            case timeOut(Timeouts.Wait)
        }

        /// A loop tick at `now`, the parser waiting in `phase`; `unsent` says whether written
        /// bytes wait in the socket, `sent` counts those it has taken (`Connection.sentBytes`).
        /// A peer that takes none for the send timeout ends the connection in any state (after
        /// its last answer, or an error answer, the connection only waits for the socket).
        /// Otherwise only a reading connection times out: while an answer is owed, the time is
        /// the responder's.
        mutating func tick(now: UInt64, phase: HTTPParser.Phase, unsent: Bool, sent: UInt64) -> TickAction {
            if sending.stalled(waiting: unsent, taken: sent, now: now, timeouts: timeouts) {
                state = .closing
                return .reset
            }
            waiting(in: phase, now: now)
            guard case .reading(let wait, let since) = state, timeouts.hasExpired(wait, since: since, now: now) else { return .none }
            state = .closing
            return wait == .idle ? .close : .timeOut(wait)
        }

        /// Server shutdown, once the socket's unread bytes were read (a request sent before the
        /// signal deserves its answer): whether to close once the writes are out. Not while an
        /// answer is owed (that answer says `connection: close`), nor in the middle of a request.
        func closesOnDrain(phase: HTTPParser.Phase) -> Bool {
            switch state {
            case .answering, .writing: false
            case .reading, .closing: phase == .idle
            }
        }
    }
}

extension Timeouts.Wait {
    /// The wait of a connection whose parser is in `phase`.
    @inline(__always)
    init(_ phase: HTTPParser.Phase) {
        switch phase {
        case .idle: self = .idle
        case .head: self = .head
        case .body: self = .body
        }
    }
}
