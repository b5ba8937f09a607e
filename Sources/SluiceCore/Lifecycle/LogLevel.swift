/// Severity of a line the serving core hands to the server's logger. The core does not import a
/// logging library; the server maps these onto its own (swift-log) levels.
package enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}
