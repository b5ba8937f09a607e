/// What the server knows of its routes file between two looks (README "Reloading routes.yaml"):
/// the bytes it last acted on or wrote, the bytes waiting to settle, and whether the last look
/// could read it. Pure: `Routes` feeds it one observation per `poll_interval` and acts on the
/// change it reports.
///
/// Change is detected by content, not by time stamps: reading a routes file costs microseconds,
/// follows symlinks at each look (so the kubelet's swap of a ConfigMap's `..data` link is seen
/// like any edit), and cannot miss two writes of the same size within one time-stamp tick.
///
/// New bytes apply only once two looks in a row read them, as the repository waits for a version's
/// files to stay unchanged for a poll: an editor that truncates and rewrites in place, or
/// renames the old file away first, can be caught half-way, and an empty file is a valid file
/// without routes. One `poll_interval` of delay is the price; an atomic swap (the kubelet's, `mv`)
/// pays it too, and is never caught half-way.
package struct RoutesFileWatch: Sendable, Equatable {
    /// The bytes last acted on (applied or refused) or written by the server itself; nil before
    /// the first change is reported.
    package private(set) var seen: [UInt8]?
    /// New bytes read once, applied if the next look reads them again.
    package private(set) var pending: [UInt8]?
    /// Why the last look could not read the file; nil when it could.
    package private(set) var unreadable: String?
    /// Something was reported (a change or a vanished file) or written since start-up.
    private var reported = false

    /// One look at the file.
    package enum Observation: Sendable, Equatable {
        case content([UInt8])
        /// It does not exist, or cannot be opened or read (the reason).
        case unreadable(String)
    }

    /// What a look found, for `Routes` to act on.
    package enum Change: Sendable, Equatable {
        /// Nothing to do, nothing to log: the same bytes as before, new bytes waiting to settle,
        /// or a file still unreadable.
        case none
        /// Settled bytes to parse and apply: new ones, or any once the file is readable again
        /// after it vanished. `first` marks the first report since start-up, whose bytes the
        /// routes in force were parsed from a moment before (unless the file changed in between).
        case changed([UInt8], first: Bool)
        /// The file just became unreadable; the routes in force stay. Reported once, until it
        /// can be read again.
        case vanished(String)
    }

    package init() {}

    /// Records one look and says what changed. Each settled content is reported once: its bytes
    /// become `seen`, so a broken file is refused (and logged) once, not at every look.
    package mutating func on(_ observation: Observation) -> Change {
        switch observation {
        case .unreadable(let reason):
            defer { unreadable = reason }
            pending = nil
            guard unreadable == nil else { return .none }
            reported = true
            return .vanished(reason)
        case .content(let bytes):
            let wasUnreadable = unreadable != nil
            unreadable = nil
            if bytes == pending {
                pending = nil
                seen = bytes
                defer { reported = true }
                return .changed(bytes, first: !reported)
            }
            // Back to the bytes in force before the others settled: nothing happened.
            pending = bytes == seen && !wasUnreadable ? nil : bytes
            return .none
        }
    }

    /// The server wrote `text` itself (`PUT /v2/routes/{r}`): the next look finds nothing new,
    /// so its own write is never applied a second time; and the routes in force no longer come
    /// from the bytes read at start-up, so no later change is a first one.
    package mutating func wrote(_ text: String) {
        seen = Array(text.utf8)
        pending = nil
        unreadable = nil
        reported = true
    }
}
