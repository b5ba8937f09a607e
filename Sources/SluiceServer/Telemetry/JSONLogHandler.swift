import CLinux
import Glibc
import Logging
import SluiceJSON

/// How log lines are written (`log_format`): `text`, swift-log's stream format, or `json`, one
/// object a line for log collectors (Loki, Cloud Logging, Elasticsearch).
package enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// A swift-log handler writing one JSON object a line to standard error: `time` (RFC 3339 UTC,
/// milliseconds), `level`, `label`, `message`, then the metadata as fields (a request's log
/// lines carry its context's: `request_id`, `model`, `version`, …). Called from any thread; a
/// line goes to `write` whole (standard error: one `fputs`, which stdio locks, so lines never
/// interleave).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Receives each line, newline included.
    private let write: @Sendable ([UInt8]) -> Void

    init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    static func standardError(_ line: [UInt8]) {
        let terminated = line + [0]
        terminated.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { _ = fputs($0.baseAddress, clinux_stderr()) }
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var w = JSONWriter(capacity: 256)
        w.object { w in
            w.key("time"); w.string(WallClock.rfc3339(millisecondsSince1970: WallClock.millisecondsSince1970()))
            w.key("level"); w.string(event.level.rawValue)
            w.key("label"); w.string(label)
            w.key("message"); w.string(event.message.description)
            var fields = metadata
            if let extra = event.metadata { fields.merge(extra) { _, new in new } }
            for key in fields.keys.sorted() where !Self.reserved.contains(key) {
                w.key(key)
                if let value = fields[key] { Self.write(value, to: &w) }
            }
        }
        var line = w.bytes
        line.append(UInt8(ascii: "\n"))
        write(line)
    }

    /// The line's own fields, which metadata of the same name must not repeat.
    private static let reserved: Set<String> = ["time", "level", "label", "message"]

    /// Numbers stay numbers; everything else is a string, array or object.
    private static func write(_ value: Logger.Metadata.Value, to w: inout JSONWriter) {
        switch value {
        case .string(let s): w.string(s)
        case .stringConvertible(let v):
            if let n = v as? Int { w.int(n) } else if let d = v as? Double { w.double(d) } else { w.string(v.description) }
        case .array(let values): w.array { w in for v in values { write(v, to: &w) } }
        case .dictionary(let map):
            w.object { w in
                for key in map.keys.sorted() {
                    w.key(key)
                    if let v = map[key] { write(v, to: &w) }
                }
            }
        }
    }
}
