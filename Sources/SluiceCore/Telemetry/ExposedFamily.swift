/// What the registry renders: a family of handles or a family read by callback.
protocol ExposedFamily: Sendable {
    var name: String { get }
    var type: MetricType { get }
    var labelNames: [String] { get }
    /// Appends the descriptor lines and every sample. Called by `render` on the scraping thread,
    /// outside the registry's lock.
    func write(to writer: inout ExpositionWriter)
}
