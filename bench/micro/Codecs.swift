import Foundation
import SluiceCore
import SluiceJSON
import SluiceServer

/// `sluice-micro codecs`: the big-batch data path in process (issue #19, goal 3) — decoding a
/// 1,000 × 16 FP32 V2 request and encoding a 1,000 × 10 FP32 answer, as JSON and with the
/// binary extension, and the float printer alone. Prints ns per operation (median and best of
/// 15 rounds, `measure`), then floats/s and MB/s of JSON read and written from the
/// medians. Used by bench/big-batch.sh; request values are random in [-3, 3), written as
/// clients write them (Float.description's shortest digits), answer values random in [0, 1)
/// (probabilities), and the printer is also timed on values in [-3, 3) and on a saturated
/// softmax's answers (a tenth exactly 1.0, a power of two).
///
/// The answers' values are new every iteration: the JSON encode and printing lines cycle
/// through `pool` sets of 10,000 values (2.5 MB a pool: in the last-level cache, as an
/// answer just computed is). The printer's branches depend on each value's digits, and with
/// the same 10,000 values every iteration the branch predictor learns them: that measured
/// 90 M floats/s where 1M values printed once each gave 54 M/s. With 64 sets (640,000
/// values) it can no longer: 8 sets already give the rate of 64 and of 256 (56 M/s).
enum Codecs {
    static let pool = 64

    static func run() throws {
        var generator = SystemRandomNumberGenerator()
        let inputs = (0..<16_000).map { _ in Float.random(in: -3..<3, using: &generator) }
        let outputs = (0..<pool).map { _ in (0..<10_000).map { _ in Float.random(in: 0..<1, using: &generator) } }
        let signed = (0..<pool).map { _ in (0..<10_000).map { _ in Float.random(in: -3..<3, using: &generator) } }
        // A saturated softmax's answers: one value in ten exactly 1.0, the rest below 10^-3.
        let saturated = (0..<pool).map { _ in
            (0..<10_000).map { _ in Int.random(in: 0..<10, using: &generator) == 0 ? 1 : Float.random(in: 0..<1e-3, using: &generator) }
        }

        let json = Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1000,16],"data":[\#(inputs.map(\.description).joined(separator: ","))]}]}"#.utf8)
        let header = Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1000,16],"parameters":{"binary_data_size":64000}}],"parameters":{"binary_data_output":true}}"#.utf8)
        let binary = header + inputs.withUnsafeBytes { Array($0) }
        let responses = outputs.map {
            InferenceResponse(
                modelName: "mlp", modelVersion: 1, id: nil,
                outputs: [Tensor(unchecked: "probabilities", shape: [1000, 10], data: .fp32($0))])
        }
        // The set the next iteration takes, cycling through the pool.
        var next = 0
        func nextSet() -> Int {
            defer { next = next == pool - 1 ? 0 : next + 1 }
            return next
        }

        let decodeJSON = try measure("V2 JSON decode, 1,000 x 16 FP32", iterations: 40) { _ = try V2Request.decode(json) }
        let decodeBinary = try measure("V2 binary decode, 1,000 x 16 FP32", iterations: 400) {
            _ = try V2Request.decode(binary, jsonLength: header.count)
        }
        let encodedJSON = try V2ResponseEncoder.encode(responses[0])
        let encodeJSON = try measure("V2 JSON encode, 1,000 x 10 FP32", iterations: 40) {
            _ = try V2ResponseEncoder.encode(responses[nextSet()])
        }
        let encodeBinary = try measure("V2 binary encode, 1,000 x 10 FP32", iterations: 400) {
            _ = try V2ResponseEncoder.encode(responses[0], binaryDataOutput: true)
        }
        func printing(_ sets: [[Float]]) -> Double {
            measure("JSONWriter.floats, 10,000 FP32", iterations: 40) {
                var w = JSONWriter(capacity: 160_000)
                w.beginArray()
                w.floats(sets[nextSet()])
                w.endArray()
                _ = w.bytes.count
            }
        }
        func describing(_ sets: [[Float]]) -> Double {
            measure("Float.description, 10,000 FP32 (before)", iterations: 10) {
                var n = 0
                for v in sets[nextSet()] { n &+= v.description.utf8.count }
                _ = n
            }
        }
        let printFloats = printing(outputs)
        let describeFloats = describing(outputs)
        print("values in [-3, 3):")
        let printSigned = printing(signed)
        let describeSigned = describing(signed)
        print("saturated softmax answers:")
        let printSaturated = printing(saturated)
        func rate(_ count: Int, _ ns: Double) -> String { String(format: "%.1f M/s", Double(count) / ns * 1e3) }
        func mbps(_ bytes: Int, _ ns: Double) -> String { String(format: "%.0f MB/s", Double(bytes) / ns * 1e3) }
        print("RESULT json_decode_floats_per_s=\(rate(16_000, decodeJSON)) json_parsed=\(mbps(json.count, decodeJSON)) (\(json.count) bytes)")
        print("RESULT json_encode_floats_per_s=\(rate(10_000, encodeJSON)) json_written=\(mbps(encodedJSON.body.count, encodeJSON)) (\(encodedJSON.body.count) bytes)")
        print("RESULT float_printing=\(rate(10_000, printFloats)) description=\(rate(10_000, describeFloats))")
        print("RESULT float_printing_pm3=\(rate(10_000, printSigned)) description_pm3=\(rate(10_000, describeSigned))")
        print("RESULT float_printing_saturated=\(rate(10_000, printSaturated))")
        print("RESULT binary_decode=\(mbps(binary.count, decodeBinary)) binary_encode=\(mbps(40_000, encodeBinary))")
    }
}
