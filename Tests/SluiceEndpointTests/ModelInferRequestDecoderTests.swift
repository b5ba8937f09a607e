import Foundation
import SluiceCore
import SwiftProtobuf
import Testing
@testable import SluiceServer

extension Inference_ModelInferRequest {
    /// This message as the server reads it: serialized, then `ModelInferRequestDecoder`.
    func decoded() throws -> InferenceRequest {
        try ModelInferRequestDecoder.decode(serializedBytes()).inferenceRequest()
    }
}

/// `ModelInferRequestDecoder` against swift-protobuf's decoding and the conversion the server
/// used before (`oracleRequest()`): the same request or the same error on random messages, no
/// trap and no disagreement on damaged ones, and the encodings swift-protobuf does not write.
@Suite struct ModelInferRequestDecoderTests {
    /// What a call comes to: the refusal, or the model, version, string parameters and the
    /// request (or the request's fault). Floats print by their value, so a NaN equals itself.
    static func outcome(decoding bytes: [UInt8], keys: [String]) -> String {
        let call: ModelInferCall
        do {
            call = try ModelInferRequestDecoder.decode(bytes)
        } catch {
            return "refused: \(error)"
        }
        let request = Result { () throws(ServingError) in try call.inferenceRequest() }
        let parameters = keys.map { "\($0)=\(call.stringParameter($0) ?? "-")" }
        return "\(call.modelName)|\(call.modelVersion)|\(parameters)|\(request)"
    }

    static func oracleOutcome(_ bytes: [UInt8], keys: [String]) -> String {
        let message: Inference_ModelInferRequest
        do {
            message = try Inference_ModelInferRequest(serializedBytes: bytes)
        } catch {
            return "refused: \(ServingError.invalidInput("the request is not a valid inference.ModelInferRequest message: \(error)"))"
        }
        let request = Result { () throws(ServingError) in try message.oracleRequest() }
        let parameters = keys.map { key -> String in
            guard case .stringParam(let value)? = message.parameters[key]?.parameterChoice else { return "\(key)=-" }
            return "\(key)=\(value)"
        }
        return "\(message.modelName)|\(message.modelVersion)|\(parameters)|\(request)"
    }

    /// The parameter keys to compare: every key either side sees.
    static func keys(_ bytes: [UInt8]) -> [String] {
        var keys = Set((try? Inference_ModelInferRequest(serializedBytes: bytes))?.parameters.keys.map { $0 } ?? [])
        keys.formUnion((try? ModelInferRequestDecoder.decode(bytes))?.parameters.map(\.key) ?? [])
        return keys.sorted()
    }

    @Test func randomMessagesDecodeAsSwiftProtobufAndTheOracleDecodeThem() throws {
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for round in 0..<4000 {
            let bytes: [UInt8] = try RandomInferRequest.make(&rng).serializedBytes()
            let keys = Self.keys(bytes)
            let expected = Self.oracleOutcome(bytes, keys: keys)
            #expect(Self.outcome(decoding: bytes, keys: keys) == expected, "round \(round): \(bytes)")
            if expected.contains("success(") { accepted += 1 }
        }
        // The generator must reach both the accepted requests and the faults.
        #expect(accepted > 400 && accepted < 3600, "\(accepted) of 4000 accepted")
    }

    /// Damaged messages (bytes changed, inserted, removed, cut short): the decoder never traps
    /// and either refuses the message or comes to what swift-protobuf and the oracle come to.
    @Test func damagedMessagesAreRefusedOrReadAsSwiftProtobufReadsThem() throws {
        var rng = SystemRandomNumberGenerator()
        var refused = 0, agreed = 0
        for round in 0..<4000 {
            var bytes: [UInt8] = try RandomInferRequest.make(&rng).serializedBytes()
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                case 3: bytes.remove(at: at)
                default: bytes.removeSubrange(at...)
                }
            }
            let keys = Self.keys(bytes)
            let mine = Self.outcome(decoding: bytes, keys: keys)
            if mine.hasPrefix("refused: ") {
                refused += 1
                continue
            }
            agreed += 1
            #expect(mine == Self.oracleOutcome(bytes, keys: keys), "round \(round): \(bytes)")
        }
        #expect(refused > 0 && agreed > 0)
    }
}
