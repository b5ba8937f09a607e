import Foundation
import Testing
@testable import SluiceCore

@Test func processFiguresAreSane() throws {
    let process = try #require(ProcessMetrics.current())
    #expect(process.cpuSeconds >= 0)
    #expect(process.residentMemoryBytes > 1_000_000)
    #expect(process.openFDs >= 3)
    let now = Date().timeIntervalSince1970
    #expect(process.startTimeSeconds <= now + 1)
    #expect(process.startTimeSeconds > now - 86_400)
}

@Test func processMetricsAreRegisteredUnderTheirStandardNames() {
    let registry = MetricsRegistry()
    ProcessMetrics.register(in: registry)
    let lines = text(registry, .prometheus).split(separator: "\n")
    for (name, type) in [
        ("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"), ("process_start_time_seconds", "gauge"),
    ] {
        #expect(lines.contains("# TYPE \(name) \(type)"))
        #expect(lines.contains { $0.hasPrefix("\(name) ") })
    }
    #expect(text(registry, .openMetrics).contains("# TYPE process_cpu_seconds counter\n"))
}

@Test func statFieldsSurviveACommandNameWithSpacesAndParentheses() throws {
    let fields = try #require(ProcessMetrics.statFields("42 (a) b (c)) S 1 2 3"))
    #expect(fields == ["S", "1", "2", "3"])
}
