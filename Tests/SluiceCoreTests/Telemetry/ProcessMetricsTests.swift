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

@Test func aDirectoryThatFillsReaddirsBufferIsCountedWithoutReadingPastIt() throws {
    // 1,500 six-character names are 32-byte records: more than readdir's 32 KiB buffer holds, so
    // the last record of a full buffer ends within 256 bytes of its end (an AddressSanitizer
    // build reported the over-read when /proc/self/fd was that long).
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-readdir-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for k in 0..<1_500 {
        #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent("f\(10_000 + k)").path, contents: nil))
    }
    #expect(ProcessMetrics.countEntries(dir.path) == 1_500)
}
