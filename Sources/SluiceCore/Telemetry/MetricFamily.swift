import Synchronization

/// A named metric with fixed label names, and its series (one handle per set of label values).
///
/// Registered once through `MetricsRegistry` (`counter`, `gauge`, `histogram`) at start-up.
/// `handle(labels:)` is called when something that needs counting appears (a route arm, a
/// loaded version, a status code seen for the first time), from any thread; it takes the
/// family's lock, and returns the same handle for the same values every time. The hot path keeps
/// the handle and never comes back here. A scrape takes the lock only to copy the list of
/// handles, so it blocks handle creation for a moment and increments never.
package final class MetricFamily<Handle: AnyObject & Sendable>: Sendable {
    /// The name as registered (for counters, with `_total`).
    package let name: String
    /// The label names, in the order `handle(labels:)` takes values.
    package let labelNames: [String]
    let help: String
    let type: MetricType
    let renderedName: FamilyName
    private let make: @Sendable ([UInt8]) -> Handle
    private let write: @Sendable (Handle, inout ExpositionWriter, FamilyName) -> Void
    private let series = Mutex(Series())

    /// Handles by label values, and their creation order (the order a scrape lists them in).
    private struct Series {
        var byValues: [[String]: Handle] = [:]
        var order: [(values: [String], handle: Handle)] = []
    }

    init(
        name: String, help: String, type: MetricType, labelNames: [String],
        make: @escaping @Sendable ([UInt8]) -> Handle,
        write: @escaping @Sendable (Handle, inout ExpositionWriter, FamilyName) -> Void
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.renderedName = type == .counter ? .counter(name) : .plain(name)
        self.make = make
        self.write = write
    }

    /// The series for these label values, in the order of `labelNames`; created and rendered on
    /// first use, the cached one afterwards. A wrong number of values is a bug in the caller
    /// (label names are fixed in code), so it stops the process.
    package func handle(labels values: [String]) -> Handle {
        precondition(
            values.count == labelNames.count,
            "\(name) has labels \(labelNames), given \(values.count) values")
        return series.withLock { series in
            if let handle = series.byValues[values] { return handle }
            let handle = make(ExpositionWriter.labels(names: labelNames, values: values))
            series.byValues[values] = handle
            series.order.append((values, handle))
            return handle
        }
    }

    /// The one series of a family without labels.
    package func handle() -> Handle {
        handle(labels: [])
    }

    /// Forgets a series, so scrapes stop listing it (a version unloaded for good, a route
    /// deleted). Whoever still holds its handle can keep counting; nobody reads it any more, and
    /// a later `handle(labels:)` starts a fresh series from zero, which scrapers read as a reset.
    package func remove(labels values: [String]) {
        series.withLock { series in
            guard series.byValues.removeValue(forKey: values) != nil else { return }
            series.order.removeAll { $0.values == values }
        }
    }
}

extension MetricFamily {
    /// Forgets every series whose label `name` has `value` for each pair in `labels` (a version
    /// that is gone: all its codes, protocols and routes at once). Names the family does not have
    /// match nothing. As `remove(labels:)`, held handles keep counting unread.
    package func remove(matching labels: [(name: String, value: String)]) {
        let wanted = labels.compactMap { label in labelNames.firstIndex(of: label.name).map { ($0, label.value) } }
        guard wanted.count == labels.count, !wanted.isEmpty else { return }
        func matches(_ values: [String]) -> Bool { wanted.allSatisfy { values[$0.0] == $0.1 } }
        series.withLock { series in
            series.order.removeAll { matches($0.values) }
            for values in series.byValues.keys where matches(values) { series.byValues[values] = nil }
        }
    }
}

extension MetricFamily: ExposedFamily {
    func write(to writer: inout ExpositionWriter) {
        let handles = series.withLock { $0.order.map(\.handle) }
        writer.descriptor(name: renderedName, help: help, type: type)
        for handle in handles { write(handle, &writer, renderedName) }
    }
}

/// A family of counters, one per set of label values.
package typealias CounterFamily = MetricFamily<Counter>
/// A family of gauges, one per set of label values.
package typealias GaugeFamily = MetricFamily<Gauge>
/// A family of histograms sharing one set of bucket bounds, one per set of label values.
package typealias HistogramFamily = MetricFamily<Histogram>
