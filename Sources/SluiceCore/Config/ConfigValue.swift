import Yams

/// A setting's value as its source gave it: a YAML node from a file, whose tag counts, or the
/// text of an environment variable or a command-line flag, which is always text.
enum ConfigInput {
    case node(Node)
    case text(String)

    var int: Int? {
        switch self {
        case .node(let node): ConfigReader.intValue(node)
        case .text(let text): Int(text)
        }
    }

    var bool: Bool? {
        switch self {
        case .node(let node): ConfigReader.boolValue(node)
        case .text(let text): ["true": true, "false": false, "1": true, "0": false][text.lowercased()]
        }
    }

    /// A string setting (a host, a path): plain integers count as their text.
    var string: String? {
        switch self {
        case .node(let node): ConfigReader.scalarText(node)
        case .text(let text): text
        }
    }

    /// The text of any non-null scalar, for values with a syntax of their own (`30s`, `64MiB`).
    var scalar: String? {
        switch self {
        case .node(let node):
            guard case .scalar(let scalar) = node, !ConfigReader.isNull(node) else { return nil }
            return scalar.string
        case .text(let text): return text
        }
    }

    /// YAML null, or the text `null`.
    var isNull: Bool {
        switch self {
        case .node(let node): ConfigReader.isNull(node)
        case .text(let text): text == "null"
        }
    }
}

/// Why a value was refused, phrased as what it must be; the caller adds the file and key.
struct ConfigRefusal: Error {
    let reason: String
}

/// One kind of setting value — how it is read from any source and how it is written back (the
/// README's default column). The kinds are the statics below; `ConfigKey` pairs one with a field.
package struct ConfigValue<Value>: Sendable {
    let parse: @Sendable (ConfigInput) throws(ConfigRefusal) -> Value
    let show: @Sendable (Value) -> String
}

extension ConfigValue where Value == Int {
    package static func int(in range: ClosedRange<Int>) -> Self {
        Self(parse: { input throws(ConfigRefusal) in
            guard let n = input.int else { throw ConfigRefusal(reason: "must be an integer") }
            guard range.contains(n) else { throw ConfigRefusal(reason: "must be between \(range.lowerBound) and \(range.upperBound)") }
            return n
        }, show: { String($0) })
    }

    /// `16KiB`, `64MiB`, `1GiB`, `512KB`, `1MB` or a bare number of bytes, more than zero; a value
    /// outside `range` is refused with `outside`. Without a range, at most 1 TiB: sizes are added
    /// to one another and to buffer lengths, which must not overflow.
    package static func size(in range: ClosedRange<Int> = 1...(1 << 40), outside: String = "must be at most 1TiB") -> Self {
        Self(parse: { input throws(ConfigRefusal) in
            guard let text = input.scalar, let bytes = Sizes.bytes(text), bytes > 0 else {
                throw ConfigRefusal(reason: "must be a positive size like 16KiB, 64MiB or 1048576")
            }
            guard range.contains(bytes) else { throw ConfigRefusal(reason: outside) }
            return bytes
        }, show: Sizes.text)
    }
}

extension ConfigValue where Value == Double {
    /// `30s`, `250ms`, `2m`, `1h` or a bare number of seconds, as seconds.
    package static var seconds: Self {
        Self(parse: { input throws(ConfigRefusal) in try durationSeconds(input) }, show: Durations.text)
    }
}

extension ConfigValue where Value == UInt64 {
    /// A duration as `seconds` reads it, in nanoseconds (the HTTP layer's clock).
    package static var nanoseconds: Self {
        Self(parse: { input throws(ConfigRefusal) in
            // At most a year: 3.2e16 nanoseconds, well inside UInt64.
            UInt64(try durationSeconds(input) * 1e9)
        }, show: { Durations.text(Double($0) / 1e9) })
    }
}

private let durationRequirement = "must be a duration like 500ms, 30s, 2m or 1h"

/// The longest duration any setting takes: a year. Durations become integer milliseconds and
/// nanoseconds, which a larger (or infinite) value would overflow.
private let longestDuration: Double = 365 * 24 * 3600

private func durationSeconds(_ input: ConfigInput) throws(ConfigRefusal) -> Double {
    guard let text = input.scalar, let seconds = Durations.seconds(text) else { throw ConfigRefusal(reason: durationRequirement) }
    guard seconds.isFinite, seconds <= longestDuration else { throw ConfigRefusal(reason: "must be at most a year (8760h)") }
    return seconds
}

extension ConfigValue where Value == Bool {
    package static var bool: Self {
        Self(parse: { input throws(ConfigRefusal) in
            guard let b = input.bool else { throw ConfigRefusal(reason: "must be true or false") }
            return b
        }, show: { String($0) })
    }
}

extension ConfigValue where Value == String {
    package static var string: Self {
        Self(parse: { input throws(ConfigRefusal) in
            guard let s = input.string else { throw ConfigRefusal(reason: "must be a string") }
            return s
        }, show: { $0 })
    }

    /// One of `choices`, spelled exactly.
    package static func oneOf(_ choices: [String]) -> Self {
        Self(parse: { input throws(ConfigRefusal) in
            guard let s = input.string, choices.contains(s) else {
                throw ConfigRefusal(reason: "must be one of \(choices.joined(separator: ", "))")
            }
            return s
        }, show: { $0 })
    }
}

extension ConfigValue where Value == String? {
    /// A string, or null to clear the setting.
    package static var optionalString: Self {
        Self(parse: { input throws(ConfigRefusal) in
            if input.isNull { return nil }
            guard let s = input.string else { throw ConfigRefusal(reason: "must be a string or null") }
            return s
        }, show: { $0 ?? "null" })
    }

    /// A string `valid` accepts, or null; any other string is refused with `requirement`.
    package static func optionalString(where valid: @escaping @Sendable (String) -> Bool, _ requirement: String) -> Self {
        Self(parse: { input throws(ConfigRefusal) in
            if input.isNull { return nil }
            guard let s = input.string, valid(s) else { throw ConfigRefusal(reason: requirement) }
            return s
        }, show: { $0 ?? "null" })
    }
}

extension ConfigValue where Value == Bool {
    /// A section that is a key too (`tls:`): a mapping, even an empty one, turns it on (`true`)
    /// before its keys are read; null turns it off. An empty variable turns it off too, since a
    /// variable cannot be unset over a file.
    package static var section: Self {
        Self(parse: { input throws(ConfigRefusal) in
            if case .node(let node) = input, case .mapping = node { return true }
            if case .text("") = input { return false }
            guard input.isNull else { throw ConfigRefusal(reason: "must be a mapping") }
            return false
        }, show: { $0 ? "" : "null" })
    }
}
