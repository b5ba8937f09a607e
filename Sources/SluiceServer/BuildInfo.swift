import SluiceCore

/// What this binary is: Sluice's version, written here and nowhere else (`sluice --version`, the
/// V2 and gRPC server metadata, the start-up log line and `sluice_build_info` read it), and the
/// Swift compiler that built it. Bump `version` for a release.
package enum BuildInfo {
    package static let version = "0.9.0"

    /// The compiler's major.minor version, as far as `#if compiler` can tell at build time (it has
    /// no literal for it): `6.3` for Swift 6.3.x.
    package static let swift: String = {
        #if compiler(>=6.5)
        return "6.5+"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }()

    /// `sluice_build_info{version="0.9.0",swift="6.3"} 1` (README "Metrics"): a constant series
    /// whose labels say what runs, e.g. to count replicas per version during a rollout. Called
    /// once per server, at construction.
    static func register(in registry: MetricsRegistry) {
        registry.gauge(
            name: "sluice_build_info", help: "Always 1: the Sluice version and the Swift compiler that built it.",
            labelNames: ["version", "swift"]
        ).handle(labels: [version, swift]).set(1)
    }
}
