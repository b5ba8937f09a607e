import Foundation
import Yams

/// The one YAML reader of Sluice's config files (`sluice.yaml`, `model.yaml`, `routes.yaml` and a
/// route's `PUT` body), with one strictness and one wording: every value checked for its YAML type
/// (a quoted `"2"` is not an integer, `1.0` is not an integer), unknown and duplicate keys refused,
/// and every failure a `ConfigError` naming the file, the key path and the reason.
///
/// Used by the parsers of those files and by `ConfigTable`, on whatever thread reads the file.
/// Yams' own accessors (`node.int`, `node.bool`) are deliberately not used alone: they convert any
/// scalar whose text looks right, which would let a typo'd type slip through.
struct ConfigReader {
    let file: String

    /// The text of a config file; unreadable or non-UTF-8 files are a `ConfigError` on the file.
    static func read(_ path: String) throws(ConfigError) -> String {
        let data: [UInt8]
        switch bytes(path) {
        case .success(let read): data = read
        case .failure(let refusal): throw ConfigError(file: path, keyPath: "", reason: refusal.reason)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigError(file: path, keyPath: "", reason: "is not UTF-8 text")
        }
        return text
    }

    /// Largest config file read, a ConfigMap's limit: a config path naming `/dev/zero`, a FIFO or
    /// a runaway file fails instead of filling memory or blocking the thread that reads it.
    package static let maxFileBytes = 1 << 20

    /// Why a config file's bytes were not read.
    package struct Unreadable: Error, Sendable, Equatable {
        package var reason: String
    }

    /// The bytes of a regular file (through symlinks) of at most `maxFileBytes`.
    package static func bytes(_ path: String, limit: Int = maxFileBytes) -> Result<[UInt8], Unreadable> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(Unreadable(reason: "cannot be read (\(String(cString: strerror(errno))))")) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(Unreadable(reason: "is not a regular file")) }
        guard info.st_size <= limit else { return .failure(Unreadable(reason: "is larger than \(limit >> 10) KiB")) }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(Unreadable(reason: "cannot be read")) }
        defer { try? handle.close() }
        // The size again while reading: the file may have grown since the stat.
        guard let data = try? handle.read(upToCount: limit + 1) else { return .success([]) }
        guard data.count <= limit else { return .failure(Unreadable(reason: "is larger than \(limit >> 10) KiB")) }
        return .success(Array(data))
    }

    /// Composes `yaml` into a node tree. An empty document (nothing, only comments, or a bare
    /// `---`) is `nil`, which callers treat as "all defaults". A text nested deeper than
    /// `YAMLNesting.limit` is refused before Yams sees it: Yams composes recursively, and such a
    /// file would overflow the stack instead of failing.
    func compose(_ yaml: String) throws(ConfigError) -> Node? {
        guard !YAMLNesting.exceeds(YAMLNesting.limit, in: yaml) else {
            throw fail("", "nested more than \(YAMLNesting.limit) levels deep")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw fail("", "is not valid YAML: \(Self.oneLine(error))")
        }
        guard let root, !Self.isNull(root) else { return nil }
        return root
    }

    /// Yams' own description spans several lines (it quotes the document with a caret); a
    /// finding or log line must stay on one, so keep the position and the problem.
    static func oneLine(_ error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "\(error)" }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        case .reader(let problem, _, _, _):
            return problem
        default:
            return "\(error)".split(separator: "\n").joined(separator: " ")
        }
    }

    func fail(_ keyPath: String, _ reason: String) -> ConfigError {
        ConfigError(file: file, keyPath: keyPath, reason: reason)
    }

    /// The entries of a mapping in file order, nulls included, refusing anything but a mapping of
    /// string keys, duplicate keys and keys outside `allowed` (`nil` allows any key: label names).
    func entries(_ node: Node, at path: String, allowed: [String]?) throws(ConfigError) -> [(key: String, value: Node)] {
        guard case .mapping(let mapping) = node else { throw fail(path, "must be a mapping") }
        var result: [(key: String, value: Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            guard let key = Self.scalarText(keyNode) else {
                throw fail(path, "keys must be strings")
            }
            let keyPath = Self.join(path, key)
            if let allowed, !allowed.contains(key) {
                // Listing the known keys turns a typo into a one-glance fix.
                throw fail(keyPath, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw fail(keyPath, "duplicate key") }
            result.append((key, value))
        }
        return result
    }

    /// `entries` as a dictionary. A key whose value is YAML null (`key:` or `key: null`) is
    /// dropped, so writing a key without a value means the same as leaving it out.
    func mapping(_ node: Node, at path: String, allowed: [String]?) throws(ConfigError) -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in try entries(node, at: path, allowed: allowed) where !Self.isNull(value) {
            result[key] = value
        }
        return result
    }

    func sequence(_ node: Node, at path: String) throws(ConfigError) -> [Node] {
        guard case .sequence(let sequence) = node else { throw fail(path, "must be a list") }
        return Array(sequence)
    }

    func int(_ node: Node, at path: String, _ requirement: String) throws(ConfigError) -> Int {
        guard let value = Self.intValue(node) else { throw fail(path, requirement) }
        return value
    }

    func positiveInt(_ node: Node, at path: String) throws(ConfigError) -> Int {
        let value = try int(node, at: path, "must be a positive integer")
        guard value > 0 else { throw fail(path, "must be a positive integer") }
        return value
    }

    func bool(_ node: Node, at path: String) throws(ConfigError) -> Bool {
        guard let value = Self.boolValue(node) else { throw fail(path, "must be true or false") }
        return value
    }

    /// A name-like string. Plain integers are accepted as their text because ONNX exports have
    /// inputs named `0`, and making users quote them would be a trap.
    func string(_ node: Node, at path: String) throws(ConfigError) -> String {
        guard let text = Self.scalarText(node) else { throw fail(path, "must be a string") }
        return text
    }

    /// A value of one of the kinds `ConfigValue` declares (a duration, a size, …).
    func value<Value>(_ node: Node, at path: String, as kind: ConfigValue<Value>) throws(ConfigError) -> Value {
        do {
            return try kind.parse(.node(node))
        } catch {
            throw fail(path, error.reason)
        }
    }

    static func intValue(_ node: Node) -> Int? {
        guard case .scalar = node, Resolver.default.resolveTag(of: node) == .int else { return nil }
        return node.int
    }

    static func boolValue(_ node: Node) -> Bool? {
        guard case .scalar = node, Resolver.default.resolveTag(of: node) == .bool else { return nil }
        return node.bool
    }

    static func scalarText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        let tag = Resolver.default.resolveTag(of: node)
        return tag == .str || tag == .int ? scalar.string : nil
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return Resolver.default.resolveTag(of: node) == .null
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func index(_ path: String, _ i: Int) -> String { "\(path)[\(i)]" }
}
