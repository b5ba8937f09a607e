/// Header fields in arrival order. Names are kept lower-cased (HTTP names are case-insensitive,
/// and HTTP/2 requires lower case), so look-ups compare bytes, not case-folded strings.
package struct Headers: Sendable, Sequence {
    /// One field. A struct, not a tuple: an array of tuples is destroyed through the runtime's
    /// generic tuple witness, element by element, on every request.
    package struct Field: Sendable {
        package var name: String
        package var value: String
    }

    private var fields: [Field] = []

    /// How many fields there are.
    package var count: Int { fields.count }

    package var isEmpty: Bool { fields.isEmpty }

    package init() {}

    /// Room for `capacity` fields in one allocation (the parser: a typical head has a handful,
    /// and growing from empty would allocate at 1, 2, 4 and 8).
    init(capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    package init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    /// Appends a field; `name` is lower-cased.
    package mutating func add(_ name: String, _ value: String) {
        add(lowercased: Self.hasUpperCase(name) ? name.lowercased() : name, value)
    }

    /// Appends a field whose name is already lower case: a literal (`"content-type"`, what
    /// every response adds) or a name the parser lower-cased, without scanning it again.
    @inline(__always)
    package mutating func add(lowercased name: String, _ value: String) {
        assert(!Self.hasUpperCase(name), "\(name) is not lower case")
        // A response's fields are added one by one (the endpoint's, then `content-type`):
        // start with room for a few rather than reallocating at 1 and 2.
        if fields.count == fields.capacity && fields.count < 4 { fields.reserveCapacity(4) }
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of that name with one.
    package mutating func set(_ name: String, _ value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
        fields.append(Field(name: lower, value: value))
    }

    /// Removes every field of that name.
    package mutating func remove(_ name: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
    }

    /// The first value of `name` (any case), or nil. Runs a few times per request: the fields
    /// are borrowed in place, not copied out (which would retain both strings of each).
    package subscript(name: String) -> String? {
        fields.withUnsafeBufferPointer { fields in
            for i in fields.indices where Self.equalIgnoringCase(fields[i].name, name) { return fields[i].value }
            return nil
        }
    }

    /// The fields in place, for a writer that renders each once per response.
    func withFields<R>(_ body: (UnsafeBufferPointer<Field>) -> R) -> R {
        fields.withUnsafeBufferPointer(body)
    }

    /// Every value of `name` (any case), in order.
    package func values(_ name: String) -> [String] {
        fields.withUnsafeBufferPointer { fields in
            var found: [String] = []
            for i in fields.indices where Self.equalIgnoringCase(fields[i].name, name) { found.append(fields[i].value) }
            return found
        }
    }

    /// ASCII case-insensitive comparison without allocating (`lower` is stored lower-case).
    /// Runs for every field on every look-up, so it compares the contiguous UTF-8 of both (what
    /// literals, small and native strings have) before falling back to the views.
    private static func equalIgnoringCase(_ lower: String, _ other: String) -> Bool {
        guard lower.utf8.count == other.utf8.count else { return false }
        let fast = lower.utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                for i in 0..<a.count where a[i] != b[i] {
                    guard b[i] >= 65 && b[i] <= 90 && a[i] == b[i] | 0x20 else { return false }
                }
                return true
            }
        }
        if let fast, let equal = fast { return equal }
        for (a, b) in zip(lower.utf8, other.utf8) where a != b {
            guard b >= 65 && b <= 90 && a == b | 0x20 else { return false }
        }
        return true
    }

    private static func hasUpperCase(_ name: String) -> Bool {
        if let found = name.utf8.withContiguousStorageIfAvailable({ $0.contains { $0 >= 65 && $0 <= 90 } }) { return found }
        return name.utf8.contains { $0 >= 65 && $0 <= 90 }
    }

    /// Fields in order, as `(name, value)` pairs.
    package func makeIterator() -> Iterator { Iterator(fields: fields) }

    package struct Iterator: IteratorProtocol {
        let fields: [Field]
        var index = 0

        package mutating func next() -> (name: String, value: String)? {
            guard index < fields.count else { return nil }
            defer { index += 1 }
            return (fields[index].name, fields[index].value)
        }
    }
}

extension Headers {
    /// `Retry-After: 1`, which every answer to a passing condition carries (an overload, a
    /// version not ready yet).
    package static var retryAfterOneSecond: Headers {
        var headers = Headers()
        headers.add(lowercased: "retry-after", "1")
        return headers
    }
}
