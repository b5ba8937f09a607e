/// What the server knows of its routes file between two looks (README "Reloading routes.yaml"):
/// the bytes it last read or wrote, and whether the last look could read it. Pure: `Routes`
/// feeds it one observation per `poll_interval` and acts on the change it reports.
///
/// Change is detected by content, not by time stamps: reading a routes file costs microseconds,
/// follows symlinks at each look (so the kubelet's swap of a ConfigMap's `..data` link is seen
/// like any edit), and cannot miss two writes of the same size within one time-stamp tick.
package struct RoutesFileWatch: Sendable, Equatable {
    /// The bytes last read (applied or refused) or written by the server itself; nil before the
    /// first look.
    package private(set) var seen: [UInt8]?
    /// Why the last look could not read the file; nil when it could.
    package private(set) var unreadable: String?

    /// One look at the file.
    package enum Observation: Sendable, Equatable {
        case content([UInt8])
        /// It does not exist, or cannot be opened or read (the reason).
        case unreadable(String)
    }

    /// What a look found, for `Routes` to act on.
    package enum Change: Sendable, Equatable {
        /// Same bytes as before (or still unreadable): nothing to do, nothing to log.
        case none
        /// Bytes to parse and apply: new ones, or any once the file is readable again after it
        /// vanished. `first` marks the first look since start-up, whose bytes the routes in force
        /// were parsed from a moment before (unless the file changed in between).
        case changed([UInt8], first: Bool)
        /// The file just became unreadable; the routes in force stay. Reported once, until it
        /// can be read again.
        case vanished(String)
    }

    package init() {}

    /// Records one look and says what changed. Each broken content is reported once: its bytes
    /// become `seen`, so the next look with the same bytes is `.none`.
    package mutating func on(_ observation: Observation) -> Change {
        switch observation {
        case .unreadable(let reason):
            defer { unreadable = reason }
            return unreadable == nil ? .vanished(reason) : .none
        case .content(let bytes):
            let wasUnreadable = unreadable != nil
            unreadable = nil
            if bytes == seen && !wasUnreadable { return .none }
            let first = seen == nil && !wasUnreadable
            seen = bytes
            return .changed(bytes, first: first)
        }
    }

    /// The server wrote `text` itself (`PUT /v2/routes/{r}`): the next look finds nothing new,
    /// so its own write is never applied a second time.
    package mutating func wrote(_ text: String) {
        seen = Array(text.utf8)
        unreadable = nil
    }
}
