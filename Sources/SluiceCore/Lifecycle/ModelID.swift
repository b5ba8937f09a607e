/// One version of one model, as the lifecycle, its actions and its logs name it.
package struct ModelID: Sendable, Hashable, CustomStringConvertible {
    package var name: String
    package var version: Int

    package init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    package var description: String { "model '\(name)' version \(version)" }
}
