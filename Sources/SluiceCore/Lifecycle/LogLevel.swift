/// Severity of a line the serving core hands to the server's logger (`ModelManager`'s `log`
/// closure). The core imports no logging library; the server maps these onto swift-log's levels
/// and filters by `--log-level`.
package enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }
}
