/// One value a collect callback reports: label values in the order of the family's label
/// names, and the value at the moment of the scrape.
package struct MetricSample: Sendable, Equatable {
    package var labelValues: [String]
    package var value: Double

    package init(labelValues: [String] = [], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}
