import SluiceCore

/// A LightGBM `model.txt` (as `Booster.save_model` writes it) split into its header keys and its
/// `Tree=N` blocks, each a `key=value` table. Built once by `LightGBMModel` on a loader thread;
/// every failure is `ServingError.loadFailure` naming the file, the tree and the key.
///
/// Layout read: header lines (`key=value`, or a bare key such as `average_output`) up to the
/// first `Tree=0`; blocks of `key=value` lines; `end of trees`; then feature importances and
/// parameters, which serving does not need.
struct LightGBMText {
    /// One `key=value` table: the header or a tree. Knows where it sits so errors can say so.
    struct Section {
        /// "" for the header, "Tree=3" for a tree.
        let place: String
        let file: String
        var values: [Substring: Substring] = [:]
        /// Keys written without `=` (`average_output`).
        var flags: Set<Substring> = []

        /// The load failure for this section: "<file>: Tree=3: <reason>".
        func fail(_ reason: String) -> ServingError {
            .loadFailure(place.isEmpty ? "\(file): \(reason)" : "\(file): \(place): \(reason)")
        }

        func optional(_ key: Substring) -> Substring? { values[key] }

        func string(_ key: Substring) throws(ServingError) -> Substring {
            guard let value = values[key] else { throw fail("missing '\(key)'") }
            return value
        }

        func int(_ key: Substring) throws(ServingError) -> Int {
            let text = try string(key)
            guard let value = Int(text) else { throw fail("\(key): '\(text.prefix(40))' is not an integer") }
            return value
        }

        /// A space-separated list of exactly `count` values, each parsed by `parse`.
        func list<T>(
            _ key: Substring, count: Int, _ parse: (Substring) -> T?
        ) throws(ServingError) -> [T] {
            let text = try string(key)
            var values: [T] = []
            values.reserveCapacity(count)
            for (i, token) in text.split(separator: " ").enumerated() {
                guard let value = parse(token) else {
                    throw fail("\(key)[\(i)]: '\(token.prefix(40))' is not a valid number")
                }
                values.append(value)
            }
            guard values.count == count else {
                throw fail("\(key) has \(values.count) values, expected \(count)")
            }
            return values
        }
    }

    let header: Section
    let trees: [Section]

    /// Splits `text` (the whole file) into sections. Throws when the file does not start like a
    /// LightGBM model or stops before `end of trees` (a truncated copy).
    init(_ text: String, file: String) throws(ServingError) {
        var header = Section(place: "", file: file)
        var trees: [Section] = []
        var current: Section?
        var ended = false
        var first = true
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            if first {
                // LightGBM writes the model kind first; anything else is not its text format.
                guard line == "tree" else { throw header.fail("not a LightGBM text model (no 'tree' first line)") }
                first = false
                continue
            }
            if line == "end of trees" {
                ended = true
                break
            }
            guard let eq = line.firstIndex(of: "=") else {
                if current == nil { header.flags.insert(line) }
                continue
            }
            let key = line[..<eq], value = line[line.index(after: eq)...]
            if key == "Tree" {
                if let done = current { trees.append(done) }
                guard Int(value) == trees.count else {
                    throw header.fail("expected Tree=\(trees.count), found Tree=\(value.prefix(20))")
                }
                current = Section(place: "Tree=\(trees.count)", file: file)
            } else if current != nil {
                current?.values[key] = value
            } else {
                header.values[key] = value
            }
        }
        guard !first else { throw header.fail("the file is empty") }
        guard ended else { throw header.fail("truncated: no 'end of trees' line") }
        if let done = current { trees.append(done) }
        self.header = header
        self.trees = trees
    }
}
