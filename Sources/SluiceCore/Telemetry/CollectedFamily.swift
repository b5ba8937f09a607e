/// A counter or gauge family whose values are read when scraped, from state someone else keeps
/// (open connections in the transport's atomics, model states in the manager's snapshot, the
/// process's figures in `/proc`).
///
/// Registered once through `MetricsRegistry.collectCounter` or `collectGauge`. The callback runs
/// on the scraping thread, once per scrape, outside every registry lock; it must be thread-safe
/// and quick, and must not block on the data plane.
final class CollectedFamily: Sendable {
    let name: String
    let help: String
    let type: MetricType
    let labelNames: [String]
    let renderedName: FamilyName
    private let collect: @Sendable () -> [MetricSample]

    init(
        name: String, help: String, type: MetricType, labelNames: [String],
        collect: @escaping @Sendable () -> [MetricSample]
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.renderedName = type == .counter ? .counter(name) : .plain(name)
        self.collect = collect
    }
}

extension CollectedFamily: ExposedFamily {
    /// Label sets are rendered here, per scrape, since the callback's series come and go; a
    /// sample with the wrong number of label values is a bug in the callback and is skipped
    /// (asserted in debug builds) rather than breaking the whole scrape.
    func write(to writer: inout ExpositionWriter) {
        writer.descriptor(name: renderedName, help: help, type: type)
        for sample in collect() {
            guard sample.labelValues.count == labelNames.count else {
                assertionFailure("\(name) has labels \(labelNames), sample has \(sample.labelValues)")
                continue
            }
            let labels = ExpositionWriter.labels(names: labelNames, values: sample.labelValues)
            writer.sampleStart(name: renderedName.sample, labels: labels)
            writer.value(sample.value)
        }
    }
}
