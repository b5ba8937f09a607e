import Synchronization

/// Owns every metric family of the process and renders them for `/metrics`.
///
/// The server creates one at start-up and registers its families then (any thread; each
/// registration takes the registry's lock). Handles are resolved from the families afterwards
/// and used lock-free on the hot path. `render(format:)` is called once per scrape, on whichever
/// thread serves `/metrics`: it holds the registry's lock only to copy the list of families, each
/// family's lock only to copy its list of handles, and reads values with relaxed atomic loads, so
/// a scrape never makes a request wait.
///
/// Names and label names are fixed in code; an invalid or conflicting one is a programming
/// error and stops the process at registration, before any traffic.
package final class MetricsRegistry: Sendable {
    private let families = Mutex<[any ExposedFamily]>([])
    /// The size of the last rendering, so the next one allocates its buffer once.
    private let lastRenderSize = Atomic<Int>(4096)

    /// An empty registry. The server makes one at start-up; tests make their own.
    package init() {}

    /// A counter family. Name it as its samples are named, `…_total` (README "Metrics"); OpenMetrics
    /// output drops the suffix from the family name as that format requires. Registering the
    /// same name again with the same type and labels returns the existing family.
    package func counter(name: String, help: String, labelNames: [String] = []) -> CounterFamily {
        register(name: name, type: .counter, labelNames: labelNames) {
            CounterFamily(
                name: name, help: help, type: .counter, labelNames: labelNames,
                make: { Counter(labels: $0) }, write: { $0.write(to: &$1, name: $2) })
        }
    }

    /// A gauge family.
    package func gauge(name: String, help: String, labelNames: [String] = []) -> GaugeFamily {
        register(name: name, type: .gauge, labelNames: labelNames) {
            GaugeFamily(
                name: name, help: help, type: .gauge, labelNames: labelNames,
                make: { Gauge(labels: $0) }, write: { $0.write(to: &$1, name: $2) })
        }
    }

    /// A histogram family whose series share `buckets`: finite, strictly increasing upper bounds
    /// (`+Inf` is implied). `le` is reserved for the bounds and cannot be a label name.
    package func histogram(
        name: String, help: String, labelNames: [String] = [], buckets: [Double] = Buckets.latency
    ) -> HistogramFamily {
        precondition(!buckets.isEmpty && buckets.allSatisfy(\.isFinite), "\(name): buckets must be finite")
        precondition(zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 }, "\(name): buckets must increase")
        precondition(!labelNames.contains("le"), "\(name): `le` is reserved for bucket bounds")
        let layout = HistogramLayout(bounds: buckets)
        return register(name: name, type: .histogram, labelNames: labelNames) {
            HistogramFamily(
                name: name, help: help, type: .histogram, labelNames: labelNames,
                make: { Histogram(labels: $0, layout: layout) }, write: { $0.write(to: &$1, name: $2) })
        }
    }

    /// A counter family whose samples `collect` reports at each scrape (counts kept elsewhere,
    /// such as the transport's atomics or `/proc`). See `CollectedFamily` for the callback's rules.
    package func collectCounter(
        name: String, help: String, labelNames: [String] = [],
        _ collect: @escaping @Sendable () -> [MetricSample]
    ) {
        _ = register(name: name, type: .counter, labelNames: labelNames) {
            CollectedFamily(name: name, help: help, type: .counter, labelNames: labelNames, collect: collect)
        }
    }

    /// A gauge family whose samples `collect` reports at each scrape (`connections_open`,
    /// `model_version_state`, `process_*`).
    package func collectGauge(
        name: String, help: String, labelNames: [String] = [],
        _ collect: @escaping @Sendable () -> [MetricSample]
    ) {
        _ = register(name: name, type: .gauge, labelNames: labelNames) {
            CollectedFamily(name: name, help: help, type: .gauge, labelNames: labelNames, collect: collect)
        }
    }

    /// Forgets every collected family (`collectCounter`, `collectGauge`). Their callbacks hold
    /// what they read strongly, and what they read (the model manager, the routes) owns this
    /// registry through its metrics: the owner of both calls this when it goes away (`Server`'s
    /// deinit) to break that cycle. Weak captures would too, but would give the manager a side
    /// table and make every retain of it on the request path a slow one.
    package func dropCollected() {
        families.withLock { $0.removeAll { $0 is CollectedFamily } }
    }

    /// Every family, in registration order, as one body in `format` (which OpenMetrics ends
    /// with `# EOF`). Families with no series yet still list their `# HELP` and `# TYPE`.
    package func render(format: ExpositionFormat) -> [UInt8] {
        let snapshot = families.withLock { $0 }
        var writer = ExpositionWriter(format: format, capacity: lastRenderSize.load(ordering: .relaxed))
        for family in snapshot { family.write(to: &writer) }
        writer.end()
        lastRenderSize.store(writer.bytes.count + 256, ordering: .relaxed)
        return writer.bytes
    }

    /// Adds the family `make` builds, or returns the one already registered under `name` when
    /// it has the same type, labels and kind (handle-backed or collected).
    private func register<Family: ExposedFamily>(
        name: String, type: MetricType, labelNames: [String], make: () -> Family
    ) -> Family {
        precondition(Self.isValidName(name, colons: true), "invalid metric name \(name)")
        for label in labelNames {
            precondition(
                Self.isValidName(label, colons: false) && !label.hasPrefix("__"), "\(name): invalid label \(label)")
        }
        precondition(Set(labelNames).count == labelNames.count, "\(name): repeated label name")
        let key = Self.familyKey(name, type)
        return families.withLock { families in
            if let existing = families.first(where: { Self.familyKey($0.name, $0.type) == key }) {
                guard let same = existing as? Family, existing.type == type, existing.labelNames == labelNames
                else { preconditionFailure("\(name) is already registered with another type or labels") }
                return same
            }
            let family = make()
            families.append(family)
            return family
        }
    }

    /// Counters `x` and `x_total` are the same family (both expose `x_total`).
    private static func familyKey(_ name: String, _ type: MetricType) -> String {
        type == .counter && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names; the same without `:` for label names.
    private static func isValidName(_ name: String, colons: Bool) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_")
                || (colons && c == UInt8(ascii: ":"))
        }
    }
}
