/// A parsed XGBoost model document: what both the JSON and the UBJSON reader produce, so one
/// decoder serves both formats. Built on a loader thread and dropped once the trees are built.
///
/// UBJSON's typed arrays stay typed (`floats`, `integers`) instead of becoming thousands of
/// boxed values, since tree arrays are most of a model.
enum ModelValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([ModelValue])
    case object([String: ModelValue])
    /// A UBJSON array typed float32 (`[$d#`).
    case floats([Float])
    /// A UBJSON array typed float64 (`[$D#`).
    case doubles([Double])
    /// A UBJSON array typed with any integer marker (`[$i#`, `$U`, `$I`, `$l`, `$L`).
    case integers([Int64])

    /// A short name of the kind, for error messages ("expected an array, found a string").
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .double: "a number"
        case .string: "a string"
        case .array, .floats, .doubles, .integers: "an array"
        case .object: "an object"
        }
    }
}

/// Where and why a model file failed to parse; the backend adds the file name.
struct ModelSyntaxError: Error {
    var offset: Int
    var reason: String
}
