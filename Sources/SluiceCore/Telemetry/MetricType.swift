/// The `# TYPE` of a family. Internal: callers pick a type by the registry method they call.
enum MetricType: Sendable {
    case counter
    case gauge
    case histogram

    /// The word after the family name in `# TYPE` (the same in both formats).
    var keyword: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }
}
