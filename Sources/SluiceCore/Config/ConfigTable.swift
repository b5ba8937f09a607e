import Yams

/// The keys of one settings file (`sluice.yaml`), declared once as `ConfigKey`s, and what follows
/// from them: the strict reading of the file, of `<PREFIX><KEY>` environment variables and of
/// single values from the command line, and the README's table of keys. A key path with keys below
/// it is a section (`limits:`); a section may also be a key itself (`tls: null`), which a mapping
/// sets before the keys in it.
///
/// Applied once per source at start-up on the main thread. Every refusal is a `ConfigError`
/// naming the source, the key and the reason; a source is applied key by key, so a caller that
/// gets an error discards the settings.
package struct ConfigTable<Settings>: Sendable {
    package let keys: [ConfigKey<Settings>]
    /// `SLUICE_`: a key's variable is this and its path upper-cased with `_` for `.`.
    package let variablePrefix: String

    package init(variablePrefix: String, keys: [ConfigKey<Settings>]) {
        self.variablePrefix = variablePrefix
        self.keys = keys
    }

    /// Applies the YAML file at `path` over `settings`. An empty file changes nothing.
    package func apply(contentsOf path: String, to settings: inout Settings) throws(ConfigError) {
        try apply(yaml: ConfigReader.read(path), file: path, to: &settings)
    }

    package func apply(yaml: String, file: String, to settings: inout Settings) throws(ConfigError) {
        let reader = ConfigReader(file: file)
        guard let root = try reader.compose(yaml) else { return }
        try apply(root, below: "", reader: reader, to: &settings)
    }

    private func apply(_ node: Node, below section: String, reader: ConfigReader, to settings: inout Settings) throws(ConfigError) {
        for (name, value) in try reader.entries(node, at: section, allowed: names(below: section)) {
            let path = ConfigReader.join(section, name)
            if case .mapping = value, isSection(path) {
                if let key = key(path) { try apply(key, .node(value), file: reader.file, keyPath: path, to: &settings) }
                try apply(value, below: path, reader: reader, to: &settings)
            } else if let key = key(path) {
                try apply(key, .node(value), file: reader.file, keyPath: path, to: &settings)
            } else if !ConfigReader.isNull(value) {
                throw reader.fail(path, "must be a mapping")
            }  // A section left empty (`limits:`) changes nothing.
        }
    }

    /// Applies every variable that starts with the prefix (`SLUICE_LIMITS_MAX_BODY_BYTES=1MiB` sets
    /// `limits.max_body_bytes`); an unknown one is refused like an unknown key. Kubernetes'
    /// service links of a Service named like the prefix (`SLUICE_PORT=tcp://10.96.0.12:8080`,
    /// `SLUICE_CANARY_SERVICE_HOST=…`) are passed over: see `ServiceLink` for the rule. `source`
    /// names the environment in errors.
    package func apply(environment: [String: String], source: String, to settings: inout Settings) throws(ConfigError) {
        for (name, text) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(variablePrefix) {
            let rest = name.dropFirst(variablePrefix.count)
            if ServiceLink.matches(rest, value: text) { continue }
            let path = path(ofVariable: rest.lowercased())
            try apply(text, to: path, source: source, as: path, to: &settings)
        }
    }

    /// Applies one value given as text (a variable, a flag) to the key at `path`, parsed exactly as
    /// the file's value would be. Errors name `source` and `shownAs` (`--poll-interval`).
    package func apply(_ text: String, to path: String, source: String, as shownAs: String, to settings: inout Settings) throws(ConfigError) {
        if let key = key(path) {
            try apply(key, .text(text), file: source, keyPath: shownAs, to: &settings)
        } else if isSection(path) {
            throw ConfigError(file: source, keyPath: shownAs, reason: "must be a mapping")
        } else {
            let parent = path.split(separator: ".").dropLast().joined(separator: ".")
            let known = names(below: parent).joined(separator: ", ")
            throw ConfigError(file: source, keyPath: shownAs, reason: "unknown key (expected one of: \(known))")
        }
    }

    private func apply(_ key: ConfigKey<Settings>, _ input: ConfigInput, file: String, keyPath: String, to settings: inout Settings) throws(ConfigError) {
        do {
            try key.apply(input, &settings)
        } catch {
            throw ConfigError(file: file, keyPath: keyPath, reason: error.reason)
        }
    }

    /// The README's table of keys, with the values of `defaults` as the default column.
    package func markdown(defaults: Settings) -> String {
        var lines = ["| key | variable | default | meaning |", "|---|---|---|---|"]
        for key in keys {
            let value = key.show(defaults)
            lines.append("| `\(key.path)` | `\(variable(key.path))` | \(value.isEmpty ? "" : "`\(value)`") | \(key.doc) |")
        }
        return lines.joined(separator: "\n")
    }

    package func variable(_ path: String) -> String {
        variablePrefix + path.split(separator: ".").joined(separator: "_").uppercased()
    }

    private func key(_ path: String) -> ConfigKey<Settings>? {
        keys.first { $0.path == path }
    }

    private func isSection(_ path: String) -> Bool {
        keys.contains { $0.path.hasPrefix(path + ".") }
    }

    /// The names one level below `section` ("" = the top), in declaration order.
    private func names(below section: String) -> [String] {
        var names: [String] = []
        let prefix = section.isEmpty ? "" : section + "."
        for key in keys where key.path.hasPrefix(prefix) {
            let name = String(key.path.dropFirst(prefix.count).prefix { $0 != "." })
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// `limits_max_body_bytes` → `limits.max_body_bytes`: a section's name and `_` become the section and `.`.
    private func path(ofVariable name: String) -> String {
        var section = ""
        var rest = Substring(name)
        while let next = names(below: section).filter({ isSection(ConfigReader.join(section, $0)) && rest.hasPrefix($0 + "_") })
            .max(by: { $0.count < $1.count }) {
            section = ConfigReader.join(section, next)
            rest = rest.dropFirst(next.count + 1)
        }
        return ConfigReader.join(section, String(rest))
    }
}
