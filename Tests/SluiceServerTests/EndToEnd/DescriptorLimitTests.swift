import Foundation
import Glibc
import Testing
@testable import SluiceServer
import SluiceNet

/// `sluice serve` under a low open-file limit (`ulimit -n` through /bin/sh): it caps
/// `limits.max_connections` to what the limit leaves and says so, and when accept runs out of
/// descriptors it pauses accepting instead of spinning, warns once, and accepts again once
/// descriptors free up.
@Suite struct DescriptorLimitTests {
    /// Reads the log until it contains `text` or 5 s pass; returns everything read.
    static func read(_ log: Pipe, until text: String, seen: inout String) -> Bool {
        let fd = log.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(5)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !seen.contains(text) && Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            seen += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return seen.contains(text)
    }

    /// User plus system CPU time of `pid` in clock ticks (/proc/PID/stat fields 14 and 15).
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) is in parentheses and may hold spaces: count after it.
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        return try #require(Int(fields[11])) + #require(Int(fields[12]))
    }

    @Test func maxConnectionsIsCappedToTheOpenFileLimitAndTheCapIsLogged() throws {
        let (process, port, _, log) = try ShutdownTests.launchWithLog([], openFiles: 200)
        defer { if process.isRunning { process.terminate() } }
        let cap = 200 - DescriptorLimit.shared - DescriptorLimit.perLoop
        #expect(log.contains("limits.max_connections 10000 capped to \(cap)"), "\(log)")
        #expect(try RawClient(port: port).request("GET", "/v2/health/live").status == 200)
    }

    @Test func runningOutOfDescriptorsPausesAcceptingQuietlyAndResumesWhenTheyFree() throws {
        let (process, port, log, start) = try ShutdownTests.launchWithLog(["--poll-interval", "0"], openFiles: 200)
        defer { if process.isRunning { process.terminate() } }
        let pid = process.processIdentifier
        var seen = start
        // Three connections hold a descriptor each; then the soft limit drops to the lowest
        // free descriptor number, so the next accept fails with EMFILE.
        let held = try (0..<3).map { _ in try RawClient(port: port) }
        for client in held { #expect(try client.request("GET", "/v2/health/live").status == 200) }
        let open = Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) })
        let lowest = try #require((0...200).first { !open.contains($0) })
        let lowered = try Tool.run("prlimit", ["--pid", String(pid), "--nofile=\(lowest):200"])
        try #require(lowered.status == 0, "\(lowered.all)")

        let waiting = try RawClient(port: port)
        waiting.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(Self.read(log, until: "stopped accepting for 500 ms: accept4 failed: Too many open files", seen: &seen), "\(seen)")
        // Paused, the loop sleeps: a spinning one burns about 30 ticks (100 per second) here.
        let before = try Self.cpuTicks(pid)
        usleep(300_000)
        let spent = try Self.cpuTicks(pid) - before
        #expect(spent <= 5, "the loop spent \(spent) ticks of CPU in 300 ms while accepting was paused")

        // Descriptors free up: the listener comes back on a tick and answers the waiting client.
        held.forEach { $0.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
        for client in held { _ = try client.readAnswer() }
        #expect(try waiting.readAnswer().status == 200)
        #expect(try RawClient(port: port).request("GET", "/v2/health/live").status == 200)
        process.terminate()
        process.waitUntilExit()
        seen += String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(seen.components(separatedBy: "stopped accepting").count == 2, "one warning a minute at most: \(seen)")
    }
}
