/// One key of a settings file, declared once: its dotted YAML path, the field it sets, the kind
/// of value it takes and a one-line description. A `ConfigTable` of them derives everything else
/// (known keys, environment variables, the README's table).
package struct ConfigKey<Settings>: Sendable {
    /// `port`, `limits.max_body_bytes`.
    package let path: String
    /// One line for the README: what the key does, what 0 or null means.
    package let doc: String
    let apply: @Sendable (ConfigInput, inout Settings) throws(ConfigRefusal) -> Void
    /// The key's value in the given settings as a file would spell it (`64MiB`, `null`).
    package let show: @Sendable (Settings) -> String

    /// Declared in a `static let` table, read on the main thread at start-up.
    package init<Value>(
        _ path: String, _ field: any WritableKeyPath<Settings, Value> & Sendable, _ kind: ConfigValue<Value>, _ doc: String
    ) {
        self.path = path
        self.doc = doc
        apply = { input, settings throws(ConfigRefusal) in settings[keyPath: field] = try kind.parse(input) }
        show = { kind.show($0[keyPath: field]) }
    }
}
