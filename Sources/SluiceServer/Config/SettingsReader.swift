import Foundation
import SluiceCore

/// Typed reads of one mapping of a settings file, each failure a `ConfigError` with the full key
/// path. `stringly` is for environment variables, where every value arrives as a string.
struct SettingsReader {
    let file: String
    let values: [String: Any]
    var prefix = ""
    var stringly = false

    init(file: String, values: [String: Any], prefix: String = "", stringly: Bool = false) {
        self.file = file
        self.values = values
        self.prefix = prefix
        self.stringly = stringly
    }

    func error(_ key: String, _ reason: String) -> ConfigError {
        ConfigError(file: file, keyPath: prefix + key, reason: reason)
    }

    func rejectUnknown(_ known: [String]) throws(ConfigError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw error(key, "unknown key (known: \(known.joined(separator: ", ")))")
        }
    }

    func isPresentAndNotNull(_ key: String) throws(ConfigError) -> Bool {
        guard let value = values[key] else { return false }
        if value is NSNull { return false }
        if let s = value as? String, stringly, s.isEmpty || s == "null" { return false }
        return true
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = values[key] else { return nil }
        guard let s = value as? String else { throw error(key, "must be a string") }
        return s
    }

    /// A string or null (null clears the setting: returns `.some(nil)`).
    func optionalString(_ key: String) throws(ConfigError) -> String?? {
        guard let value = values[key] else { return nil }
        if value is NSNull { return .some(nil) }
        guard let s = value as? String else { throw error(key, "must be a string or null") }
        if stringly && s == "null" { return .some(nil) }
        return .some(s)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = values[key] else { return nil }
        let n: Int?
        if let i = value as? Int { n = i } else if stringly, let s = value as? String { n = Int(s) } else { n = nil }
        guard let n else { throw error(key, "must be an integer") }
        guard range.contains(n) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return n
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = values[key] else { return nil }
        if let b = value as? Bool { return b }
        if stringly, let s = value as? String, let b = ["true": true, "false": false, "1": true, "0": false][s.lowercased()] { return b }
        throw error(key, "must be true or false")
    }

    /// `30s`, `250ms`, `2m`, `1h` or a bare number of seconds.
    func duration(_ key: String) throws(ConfigError) -> Double? {
        guard let value = values[key] else { return nil }
        if let i = value as? Int, i >= 0 { return Double(i) }
        if let d = value as? Double, d >= 0 { return d }
        guard let s = value as? String, let seconds = Self.parseDuration(s) else {
            throw error(key, "must be a duration like 500ms, 30s, 2m or 1h")
        }
        return seconds
    }

    /// `16KiB`, `64MiB`, `1GiB`, `512KB`, `1MB` or a bare number of bytes.
    func size(_ key: String) throws(ConfigError) -> Int? {
        guard let value = values[key] else { return nil }
        if let i = value as? Int, i > 0 { return i }
        guard let s = value as? String, let bytes = Self.parseSize(s), bytes > 0 else {
            throw error(key, "must be a positive size like 16KiB, 64MiB or 1048576")
        }
        return bytes
    }

    func nested(_ key: String) throws(ConfigError) -> SettingsReader? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        guard let map = value as? [String: Any] else { throw error(key, "must be a mapping") }
        return SettingsReader(file: file, values: map, prefix: prefix + key + ".", stringly: stringly)
    }

    static func parseDuration(_ text: String) -> Double? {
        Durations.seconds(text)
    }

    static func parseSize(_ text: String) -> Int? {
        let s = text.trimmingCharacters()
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                      ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let n = Int(s.dropLast(suffix.count).trimmingCharacters()), n >= 0 else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        return Int(s)
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
