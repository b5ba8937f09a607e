/// One value a collect callback reports: label values in the order of the family's label
/// names, and the value at the moment of the scrape.
package struct MetricSample: Sendable, Equatable {
    /// One value per label name of the family, in the same order.
    package var labelValues: [String]
    /// The value now; counters must never see it go down except on a restart.
    package var value: Double

    /// A sample; no label values for a family without labels. Called by collect callbacks on
    /// the scraping thread.
    package init(labelValues: [String] = [], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}
