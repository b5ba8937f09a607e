@testable import SluiceCore

/// Requests and a row-wise fake backend shared by the batching tests.
enum BatchFixtures {
    /// A request of `rows` rows: `x` FP32 `[rows, width]` and `tag` BYTES `[rows]`, with values
    /// derived from `seed` so every request's rows differ.
    static func request(rows: Int, width: Int = 2, seed: Int, outputs: [String] = []) -> InferenceRequest {
        let x = (0..<rows * width).map { Float(seed * 100 + $0) }
        let tags = (0..<rows).map { Array("r\(seed).\($0)".utf8) }
        return InferenceRequest(
            inputs: [
                Tensor(unchecked: "x", shape: [rows, width], data: .fp32(x)),
                Tensor(unchecked: "tag", shape: [rows], data: .bytes(tags)),
            ],
            outputs: outputs.map { RequestedOutput(name: $0) })
    }

    static let outputNames = ["y", "label", "name", "flag"]

    /// A model that computes each output row from its input row alone, as a batchable model must:
    /// `y` = 2x + 1 (FP32), `label` = the row's sum as INT64 (a classifier's label), `name` = the
    /// tag with "!" appended (BYTES), `flag` = whether the label is odd (BOOL). Answers the
    /// requested outputs in their order, or all of them.
    static func infer(_ inputs: [Tensor], outputs: [RequestedOutput]) -> [Tensor] {
        guard case .fp32(let x) = inputs[0].data, case .bytes(let tags) = inputs[1].data else { return [] }
        let rows = inputs[0].shape[0]
        let width = inputs[0].shape[1]
        let labels = (0..<rows).map { r in Int64(x[r * width..<(r + 1) * width].reduce(0, +)) }
        let all = [
            Tensor(unchecked: "y", shape: [rows, width], data: .fp32(x.map { 2 * $0 + 1 })),
            Tensor(unchecked: "label", shape: [rows], data: .int64(labels)),
            Tensor(unchecked: "name", shape: [rows], data: .bytes(tags.map { $0 + Array("!".utf8) })),
            Tensor(unchecked: "flag", shape: [rows], data: .bool(labels.map { $0 % 2 != 0 })),
        ]
        let names = outputs.isEmpty ? outputNames : outputs.map(\.name)
        return names.compactMap { name in all.first { $0.name == name } }
    }

    /// `values` as `type`, for tests that cover every element type.
    static func data(_ type: DataType, _ values: [Int]) -> TensorData {
        switch type {
        case .bool: .bool(values.map { $0 % 2 == 1 })
        case .uint8: .uint8(values.map { UInt8($0) })
        case .uint16: .uint16(values.map { UInt16($0) })
        case .uint32: .uint32(values.map { UInt32($0) })
        case .uint64: .uint64(values.map { UInt64($0) })
        case .int8: .int8(values.map { Int8($0) })
        case .int16: .int16(values.map { Int16($0) })
        case .int32: .int32(values.map { Int32($0) })
        case .int64: .int64(values.map { Int64($0) })
        case .fp16: .fp16(values.map { Float16($0) })
        case .fp32: .fp32(values.map { Float($0) })
        case .fp64: .fp64(values.map { Double($0) })
        case .bytes: .bytes(values.map { Array("v\($0)".utf8) })
        }
    }
}

/// A seeded generator (SplitMix64), so a failing random case replays exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= RandomDraw.increment
        return RandomDraw.mix(state)
    }
}
