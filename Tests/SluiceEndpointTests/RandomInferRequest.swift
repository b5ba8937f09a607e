import Foundation
import SluiceCore
@testable import SluiceServer

/// Random `ModelInferRequest`s for the decoder's property tests: mostly well-formed tensors
/// (so that requests get through), and every fault a client can send: duplicate and empty
/// names, unknown datatypes, negative, huge and overflowing shapes, contents of every type and
/// out of range for narrow types, raw contents of the right and of a lying size, raw and
/// contents mixed, parameters of every kind, outputs.
enum RandomInferRequest {
    static let names = ["x", "x", "", "input", "ü", "a b"]
    static let datatypes = DataType.allCases.map(\.rawValue) + ["FLOAT", "", "fp32"]
    static let keys = ["route", "x", "", "sticky"]

    static func make(_ rng: inout SystemRandomNumberGenerator) -> Inference_ModelInferRequest {
        var call = Inference_ModelInferRequest()
        call.modelName = ["m", "", "fraud", "ü"].randomElement(using: &rng) ?? ""
        call.modelVersion = ["", "1", "x"].randomElement(using: &rng) ?? ""
        call.id = Bool.random(using: &rng) ? "" : "id-\(Int.random(in: 0...9, using: &rng))"
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            call.parameters[keys.randomElement(using: &rng) ?? ""] = parameter(&rng)
        }
        let useRaw = Int.random(in: 0..<3, using: &rng) == 0
        for _ in 0..<(Int.random(in: 0..<8, using: &rng) == 0 ? Int.random(in: 0...3, using: &rng) : 1) {
            let (input, raw) = tensor(&rng, raw: useRaw)
            call.inputs.append(input)
            if let raw { call.rawInputContents.append(raw) }
        }
        if useRaw, Int.random(in: 0..<10, using: &rng) == 0 { call.rawInputContents.append(Data([1])) }
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
            output.name = names.randomElement(using: &rng) ?? ""
            if Bool.random(using: &rng) { output.parameters["binary_data"] = parameter(&rng) }
            call.outputs.append(output)
        }
        return call
    }

    static func parameter(_ rng: inout SystemRandomNumberGenerator) -> Inference_InferParameter {
        var p = Inference_InferParameter()
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: p.boolParam = Bool.random(using: &rng)
        case 1: p.int64Param = Int64.random(in: .min ... .max, using: &rng)
        case 2: p.doubleParam = Double.random(in: -1e9...1e9, using: &rng)
        case 3: p.uint64Param = UInt64.random(in: 0 ... .max, using: &rng)
        case 4: break
        default: p.stringParam = ["v1", "", "canary"].randomElement(using: &rng) ?? ""
        }
        return p
    }

    /// One input and, when `raw`, its raw entry (sometimes none: the input then has contents).
    static func tensor(_ rng: inout SystemRandomNumberGenerator, raw: Bool) -> (Inference_ModelInferRequest.InferInputTensor, Data?) {
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = names.randomElement(using: &rng) ?? ""
        let wellFormed = Int.random(in: 0..<4, using: &rng) != 0
        let datatype = wellFormed ? DataType.allCases.randomElement(using: &rng) ?? .fp32 : nil
        input.datatype = datatype?.rawValue ?? datatypes.randomElement(using: &rng) ?? ""
        if wellFormed {
            input.shape = (0..<Int.random(in: 0...2, using: &rng)).map { _ in Int64.random(in: 0...3, using: &rng) }
        } else {
            let dims: [Int64] = [-1, 0, 1, 2, 3, 1 << 62, .max, .min, 1 << 32]
            input.shape = (0..<Int.random(in: 0...3, using: &rng)).map { _ in dims.randomElement(using: &rng) ?? 1 }
        }
        if Bool.random(using: &rng) { input.parameters["shm"] = parameter(&rng) }
        let count = input.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? 5 : $0 * $1 }
        // The right number of elements when well formed, else a few more or fewer.
        let n = max(0, Int(clamping: max(0, min(count, 6))) + (wellFormed && Int.random(in: 0..<5, using: &rng) != 0 ? 0 : Int.random(in: -1...1, using: &rng)))
        if raw, Int.random(in: 0..<10, using: &rng) != 0 {
            if Int.random(in: 0..<10, using: &rng) == 0 { input.contents = contents(&rng, datatype ?? .fp32, count: n) }
            return (input, rawBytes(&rng, datatype ?? .fp32, count: n))
        }
        if Int.random(in: 0..<12, using: &rng) != 0 { input.contents = contents(&rng, datatype ?? .int32, count: n) }
        return (input, nil)
    }

    /// `count` elements in the field Triton reads for `datatype`, sometimes in another field
    /// too, and narrow integers sometimes out of range.
    static func contents(_ rng: inout SystemRandomNumberGenerator, _ datatype: DataType, count: Int) -> Inference_InferTensorContents {
        var c = Inference_InferTensorContents()
        let wide = Int.random(in: 0..<6, using: &rng) == 0
        func ints(_ range: ClosedRange<Int32>) -> [Int32] {
            (0..<count).map { _ in wide ? Int32.random(in: .min ... .max, using: &rng) : Int32.random(in: range, using: &rng) }
        }
        func uints(_ max: UInt32) -> [UInt32] {
            (0..<count).map { _ in UInt32.random(in: 0...(wide ? .max : max), using: &rng) }
        }
        switch datatype {
        case .bool: c.boolContents = (0..<count).map { _ in Bool.random(using: &rng) }
        case .int8: c.intContents = ints(-128...127)
        case .int16: c.intContents = ints(-32768...32767)
        case .int32: c.intContents = ints(.min ... .max)
        case .int64: c.int64Contents = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
        case .uint8: c.uintContents = uints(255)
        case .uint16: c.uintContents = uints(65535)
        case .uint32: c.uintContents = uints(.max)
        case .uint64: c.uint64Contents = (0..<count).map { _ in UInt64.random(in: 0 ... .max, using: &rng) }
        case .fp16, .fp32: c.fp32Contents = (0..<count).map { _ in Float.random(in: -1e6...1e6, using: &rng) }
        case .fp64: c.fp64Contents = (0..<count).map { _ in Double.random(in: -1e300...1e300, using: &rng) }
        case .bytes: c.bytesContents = (0..<count).map { _ in Data((0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { c.fp64Contents.append(0.5) }
        if Int.random(in: 0..<8, using: &rng) == 0 { c.int64Contents.append(-1) }
        return c
    }

    /// A raw entry of `count` elements in the binary extension's layout, sometimes a byte long
    /// or short, and for BOOL sometimes a byte that is neither 0 nor 1.
    static func rawBytes(_ rng: inout SystemRandomNumberGenerator, _ datatype: DataType, count: Int) -> Data {
        var bytes: [UInt8]
        if datatype == .bytes {
            bytes = []
            for _ in 0..<count {
                let element = (0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes += [UInt8(element.count), 0, 0, 0] + element
            }
        } else {
            let size = count * (datatype.elementSize ?? 1)
            bytes = (0..<size).map { _ in datatype == .bool ? UInt8.random(in: 0...1, using: &rng) : UInt8.random(in: 0...255, using: &rng) }
        }
        switch Int.random(in: 0..<12, using: &rng) {
        case 0: bytes.append(UInt8.random(in: 0...2, using: &rng))
        case 1: if !bytes.isEmpty { bytes.removeLast() }
        default: break
        }
        return Data(bytes)
    }
}
