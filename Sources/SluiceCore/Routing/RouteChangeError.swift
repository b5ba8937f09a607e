/// Why the admin API refused a change to a route; the server maps each case to its status.
package enum RouteChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such route (404).
    case notFound(String)
    /// The route itself is malformed: weights, keys, values (400).
    case invalid(String)
    /// The route is well-formed but the server's state refuses it: a model, version or label it
    /// names is missing or not ready, or a canary operation does not apply now (409).
    case conflict(String)
    /// Applying it would not survive a restart: the routes file could not be written (500).
    case notPersisted(String)

    package var description: String {
        switch self {
        case .notFound(let m), .invalid(let m), .conflict(let m), .notPersisted(let m): m
        }
    }
}
