import Foundation
import SluiceCore

/// The post_transform of ai.onnx.ml operators, as onnxruntime applies it to a row of scores.
enum MLTransform: Sendable {
    case none, logistic, softmax, softmaxZero, probit

    init(_ n: NodeInfo) throws(ServingError) {
        switch n.attributes.string("post_transform") ?? "NONE" {
        case "NONE": self = .none
        case "LOGISTIC": self = .logistic
        case "SOFTMAX": self = .softmax
        case "SOFTMAX_ZERO": self = .softmaxZero
        case "PROBIT": self = .probit
        case let other: throw n.fail("post_transform '\(other)' is not supported")
        }
    }

    /// 1 / (1 + e^-|x|), mirrored for negative x: never overflows.
    static func logistic(_ x: Float) -> Float {
        let v = 1 / (1 + Foundation.exp(-Swift.abs(x)))
        return x < 0 ? 1 - v : v
    }

    /// onnxruntime's approximation of the inverse error function, so PROBIT matches it.
    static func probit(_ p: Float) -> Float {
        var x = 2 * p - 1
        let sign: Float = x < 0 ? -1 : 1
        x = (1 - x) * (1 + x)
        let l = Foundation.log(x)
        let v = 2 / (3.14159 * 0.147) + 0.5 * l
        let v2 = 1 / 0.147 * l
        let v3 = -v + (v * v - v2).squareRoot()
        return 1.41421356 * sign * v3.squareRoot()
    }

    func apply(_ row: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .none: return
        case .logistic: for i in 0..<count { row[i] = Self.logistic(row[i]) }
        case .probit: for i in 0..<count { row[i] = Self.probit(row[i]) }
        case .softmax, .softmaxZero:
            var largest = -Float.greatestFiniteMagnitude
            for i in 0..<count { largest = max(largest, row[i]) }
            var sum: Float = 0
            let zeroScale = Foundation.exp(-largest)
            for i in 0..<count {
                if self == .softmaxZero && Swift.abs(row[i]) <= 1e-7 {
                    row[i] *= zeroScale
                } else {
                    row[i] = Foundation.exp(row[i] - largest)
                    sum += row[i]
                }
            }
            for i in 0..<count { row[i] /= sum }
        }
    }
}

/// The class labels of an ai.onnx.ml classifier: integers (`key` names the attribute), or
/// `classlabels_strings`, which the label output answers as strings: their bytes join the
/// plan's table (`Compiled.strings`) and `values` are their indices, so a kernel writes a label
/// the same way for both.
struct MLLabels: Sendable {
    let values: [Int64]
    /// The label output's type: int64 or string.
    let type: ElementType
    let strings: [[UInt8]]

    init(_ n: NodeInfo, _ key: String) throws(ServingError) {
        if let texts = n.attributes.strings("classlabels_strings") {
            guard n.attributes.ints(key) == nil else { throw n.fail("both \(key) and classlabels_strings are given") }
            guard !texts.isEmpty else { throw n.fail("classlabels_strings are empty") }
            strings = texts.map { Array($0.utf8) }
            values = (0..<texts.count).map { Int64(n.firstString + $0) }
            type = .string
        } else {
            guard let ints = n.attributes.ints(key), !ints.isEmpty else { throw n.fail("\(key) are required") }
            values = ints.map { Int64($0) }
            type = .int64
            strings = []
        }
    }
}

/// Reads the [N, C] (or [C]) numeric input of an ai.onnx.ml operator as FP32 rows, converting
/// other types into the workspace's scratch space.
///
/// `rounding` is how an FP64 value becomes FP32. onnxruntime compares an FP64 input with a tree's
/// FP32 thresholds in double; rounding up (for `x <= t` splits) or down (for `x < t`) gives the
/// same answer in FP32 for every FP32 threshold `t`, since no FP32 value lies strictly between
/// `x` and its rounding in that direction.
enum MLInput {
    static let types: [ElementType] = [.float, .double, .int64, .int32]

    static func rows(
        _ x: Operand, _ io: NodeIO, _ ws: Workspace, rounding: FloatingPointRoundingRule = .toNearestOrEven
    ) throws(ServingError) -> (UnsafePointer<Float>, rows: Int, columns: Int) {
        guard x.rank == 1 || x.rank == 2 else { throw io.fail("input \(x.shape) must be [N, C] or [C]") }
        let rows = x.rank == 1 ? 1 : x.shape[0]
        let columns = x.rank == 1 ? x.shape[0] : x.shape[1]
        if x.type == .float { return (x.pointer(Float.self), rows, columns) }
        let out = ws.scratch.reserve(x.count * 4).assumingMemoryBound(to: Float.self)
        switch x.type {
        case .double:
            let src = x.buffer(Double.self)
            switch rounding {
            case .up: for (i, v) in src.enumerated() { let f = Float(v); out[i] = Double(f) < v ? f.nextUp : f }
            case .down: for (i, v) in src.enumerated() { let f = Float(v); out[i] = Double(f) > v ? f.nextDown : f }
            default: for (i, v) in src.enumerated() { out[i] = Float(v) }
            }
        case .int64: for (i, v) in x.buffer(Int64.self).enumerated() { out[i] = Float(v) }
        case .int32: for (i, v) in x.buffer(Int32.self).enumerated() { out[i] = Float(v) }
        case .bool, .float, .string: break
        }
        return (UnsafePointer(out), rows, columns)
    }
}
