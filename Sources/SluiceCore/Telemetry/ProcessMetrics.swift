import Foundation

/// The standard `process_*` figures of this process, read from Linux's `/proc` (the names and
/// meanings client_golang and client_python expose, so stock dashboards work).
///
/// `register(in:)` is called once at start-up; the registry then runs its callbacks on the
/// scraping thread at each scrape (two small file reads and one directory listing, tens of
/// microseconds). A file that cannot be read or parsed leaves its metric out of that scrape
/// instead of failing it.
package struct ProcessMetrics: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    package var cpuSeconds: Double
    /// Resident set size, in bytes.
    package var residentMemoryBytes: Double
    /// Open file descriptors (the listing's own descriptor included, as client_golang counts).
    package var openFDs: Double
    /// Process start, in seconds since the Unix epoch.
    package var startTimeSeconds: Double

    /// Registers `process_cpu_seconds_total`, `process_resident_memory_bytes`,
    /// `process_open_fds` and `process_start_time_seconds`. Each callback reads only its own
    /// source, and the start time, which never changes, is read once here.
    package static func register(in registry: MetricsRegistry) {
        registry.collectCounter(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.") {
            Stat.read().map { [MetricSample(value: $0.cpuSeconds)] } ?? []
        }
        registry.collectGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.") {
            Stat.read().map { [MetricSample(value: $0.residentBytes)] } ?? []
        }
        registry.collectGauge(name: "process_open_fds", help: "Number of open file descriptors.") {
            countEntries("/proc/self/fd").map { [MetricSample(value: Double($0))] } ?? []
        }
        let start = startTime()
        registry.collectGauge(
            name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds."
        ) {
            start.map { [MetricSample(value: $0)] } ?? []
        }
    }

    /// The figures now, or nil when `/proc` is missing or unreadable (not Linux, a sandbox).
    /// Any thread; tests and diagnostics (scrapes go through the callbacks of `register`).
    package static func current() -> ProcessMetrics? {
        guard let stat = Stat.read(), let openFDs = countEntries("/proc/self/fd"), let start = startTime()
        else { return nil }
        return ProcessMetrics(
            cpuSeconds: stat.cpuSeconds, residentMemoryBytes: stat.residentBytes, openFDs: Double(openFDs),
            startTimeSeconds: start)
    }

    /// What `/proc/self/stat` says, in seconds and bytes.
    private struct Stat {
        var cpuSeconds: Double
        var residentBytes: Double
        /// Start of the process in seconds since boot.
        var startSinceBoot: Double

        static func read() -> Stat? {
            guard let fields = readFile("/proc/self/stat").flatMap(statFields), fields.count > 21,
                let utime = Double(fields[11]), let stime = Double(fields[12]),
                let startTicks = Double(fields[19]), let rssPages = Double(fields[21])
            else { return nil }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            return Stat(
                cpuSeconds: (utime + stime) / ticks,
                residentBytes: rssPages * Double(sysconf(Int32(_SC_PAGESIZE))),
                startSinceBoot: startTicks / ticks)
        }
    }

    /// Process start in seconds since the epoch: boot time plus the start since boot.
    private static func startTime() -> Double? {
        guard let stat = Stat.read(), let boot = bootTime() else { return nil }
        return boot + stat.startSinceBoot
    }

    /// The fields of `/proc/self/stat` after the command name, so index 0 is field 3 (`state`)
    /// of proc(5). The name sits in parentheses and may itself hold spaces and `)`, hence the
    /// split at the last `)`.
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// `btime` of `/proc/stat`: boot time in seconds since the epoch, which a start time in
    /// ticks since boot is relative to.
    private static func bootTime() -> Double? {
        guard let text = readFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A `/proc` file's text. Read with plain `read(2)` until end of file, because `/proc`
    /// files report a size of 0 and are generated as they are read.
    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Entries of a directory other than `.` and `..`.
    static func countEntries(_ path: String) -> Int? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            // The name is read where it lies: a record is only `d_reclen` bytes, so copying the
            // whole 256-byte `d_name` out (`entry.pointee.d_name` by value) reads past the end of
            // readdir's buffer when it is full (over ~1,300 open descriptors; AddressSanitizer).
            let isDot = withUnsafeBytes(of: &entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".")
                    && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count
    }
}
