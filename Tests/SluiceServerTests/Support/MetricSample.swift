/// The value of the sample whose line starts with `prefix` (name and labels) in a Prometheus
/// text scrape, if any.
func metricSample(_ text: String, _ prefix: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(prefix + " ") {
        return Double(line.dropFirst(prefix.count + 1))
    }
    return nil
}
