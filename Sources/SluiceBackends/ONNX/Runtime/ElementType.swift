import SluiceCore

/// The element types the ONNX backend computes in. FP32 is the compute type of every numeric
/// operator; the integer and boolean types carry shapes, indices and masks; FP64 is accepted
/// where an operator's loop is generic. A string element is an Int64 index into the
/// workspace's string table (`Workspace.string(_:)`), so the byte-moving kernels (Reshape,
/// Gather, Concat, Transpose, Slice, ...) move strings unchanged; kernels that read numbers
/// refuse it at load by their type lists. Anything else (FP16, 8/16-bit integers) is refused
/// when the model loads, naming the node.
enum ElementType: Sendable, Equatable, CustomStringConvertible {
    case float, double, int64, int32, bool, string

    /// From `TensorProto.DataType`'s number; `nil` for a type this build does not run.
    init?(onnx code: Int) {
        switch code {
        case 1: self = .float
        case 6: self = .int32
        case 7: self = .int64
        case 8: self = .string
        case 9: self = .bool
        case 11: self = .double
        default: return nil
        }
    }

    /// Bytes per element (BOOL is one byte, 0 or 1; STRING an Int64 table index).
    var size: Int {
        switch self {
        case .float, .int32: 4
        case .double, .int64, .string: 8
        case .bool: 1
        }
    }

    /// The Open Inference Protocol's name for it, for model metadata and answers.
    var wire: DataType {
        switch self {
        case .float: .fp32
        case .double: .fp64
        case .int64: .int64
        case .int32: .int32
        case .bool: .bool
        case .string: .bytes
        }
    }

    var isFloatingPoint: Bool { self == .float || self == .double }

    /// The numeric and boolean types: what an operator takes when it writes or compares element
    /// values (a Pad's constant, a Scatter's reduction), which a STRING's table index is not.
    static let numbersAndBool: [ElementType] = [.float, .double, .int64, .int32, .bool]

    var description: String {
        switch self {
        case .float: "float"
        case .double: "double"
        case .int64: "int64"
        case .int32: "int32"
        case .bool: "bool"
        case .string: "string"
        }
    }

    /// ONNX's names for the `TensorProto.DataType` numbers, for load errors.
    static func onnxName(_ code: Int) -> String {
        let names = [
            0: "undefined", 1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
            7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64",
            14: "complex64", 15: "complex128", 16: "bfloat16",
        ]
        return names[code] ?? "type \(code)"
    }
}
