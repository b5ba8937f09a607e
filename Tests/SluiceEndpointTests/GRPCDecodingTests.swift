import Foundation
import SluiceCore
import SwiftProtobuf
import Testing
@testable import SluiceServer

/// `ModelInferRequest` into the core's request: each datatype's contents field, raw entries in
/// the binary extension's layout, and the faults a client can send.
@Suite struct GRPCDecodingTests {
    private func request(_ datatype: String, shape: [Int64], contents: Inference_InferTensorContents? = nil, raw: Data? = nil) -> Inference_ModelInferRequest {
        var call = Inference_ModelInferRequest()
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "x"
        input.datatype = datatype
        input.shape = shape
        if let contents { input.contents = contents }
        call.inputs = [input]
        if let raw { call.rawInputContents = [raw] }
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "y"
        call.outputs = [output]
        call.id = "r1"
        return call
    }

    @Test func contentsFieldsBecomeTypedTensors() throws {
        var contents = Inference_InferTensorContents()
        contents.intContents = [-128, 0, 127]
        let int8 = try request("INT8", shape: [3], contents: contents).decoded()
        #expect(int8.inputs.first?.data == .int8([-128, 0, 127]))
        #expect(int8.id == "r1" && int8.outputs == [RequestedOutput(name: "y")])
        contents = Inference_InferTensorContents()
        contents.bytesContents = [Data("ab".utf8), Data()]
        #expect(try request("BYTES", shape: [2], contents: contents).decoded().inputs.first?.data == .bytes([[97, 98], []]))
        contents = Inference_InferTensorContents()
        contents.intContents = [300]
        #expect(throws: ServingError.invalidInput("input 'x' element 0 (300) is out of range for INT8")) {
            try request("INT8", shape: [1], contents: contents).decoded()
        }
        #expect(throws: ServingError.invalidInput("input 'x' has 1 FP32 elements but shape [2] needs 2")) {
            var one = Inference_InferTensorContents()
            one.fp32Contents = [1]
            return try request("FP32", shape: [2], contents: one).decoded()
        }
        #expect(throws: ServingError.invalidInput("input 'x' has unknown datatype 'FLOAT'")) {
            try request("FLOAT", shape: [1], contents: Inference_InferTensorContents()).decoded()
        }
    }

    @Test func rawEntriesUseTheBinaryLayout() throws {
        let values: [Double] = [1.5, -2, .nan]
        let fp64 = try request("FP64", shape: [1, 3], raw: values.withUnsafeBytes { Data($0) }).decoded()
        guard case .fp64(let decoded) = fp64.inputs.first?.data else { Issue.record("not FP64"); return }
        #expect(decoded[0] == 1.5 && decoded[1] == -2 && decoded[2].isNaN)
        // BYTES: each element a 4-byte little-endian length and its bytes.
        let strings = Data([2, 0, 0, 0, 104, 105, 0, 0, 0, 0])
        #expect(try request("BYTES", shape: [2], raw: strings).decoded().inputs.first?.data == .bytes([[104, 105], []]))
        #expect(throws: ServingError.invalidInput("input 'x' raw_input_contents: BYTES element 1 claims 9 bytes but 0 remain")) {
            try request("BYTES", shape: [2], raw: Data([2, 0, 0, 0, 104, 105, 9, 0, 0, 0])).decoded()
        }
        #expect(throws: ServingError.invalidInput("input 'x' raw_input_contents: binary data holds 2 BYTES elements but the shape needs 3")) {
            try request("BYTES", shape: [3], raw: strings).decoded()
        }
        #expect(throws: ServingError.invalidInput("input 'x' has 3 bytes of raw_input_contents but shape [2] of INT16 needs 4")) {
            try request("INT16", shape: [2], raw: Data([1, 0, 2])).decoded()
        }
        // A product that overflows is refused, not wrapped.
        #expect(throws: ServingError.invalidInput("input 'x' has 8 bytes of raw_input_contents but shape [4611686018427387904] of FP32 needs more")) {
            try request("FP32", shape: [1 << 62], raw: Data(count: 8)).decoded()
        }
        #expect(throws: ServingError.self) {
            try request("FP32", shape: [1 << 62, 4], raw: Data(count: 8)).decoded()
        }
        #expect(throws: ServingError.invalidInput("input 'x' raw_input_contents: BOOL byte 2 is neither 0 nor 1")) {
            try request("BOOL", shape: [1], raw: Data([2])).decoded()
        }
    }

    @Test func aResponseCarriesItsOutputsRawInRequestOrder() throws {
        let response = InferenceResponse(
            modelName: "m", modelVersion: 3, id: "r1",
            outputs: [
                Tensor(unchecked: "p", shape: [1, 2], data: .fp32([0.25, 0.75])),
                Tensor(unchecked: "label", shape: [1], data: .int64([1])),
            ])
        let all = try answer(response, modelName: "route", requested: [])
        #expect(all.modelName == "route" && all.modelVersion == "3" && all.id == "r1")
        #expect(all.outputs.map(\.name) == ["p", "label"])
        #expect(all.outputs.map(\.datatype) == ["FP32", "INT64"])
        #expect(all.outputs.map(\.shape) == [[1, 2], [1]])
        #expect(all.rawOutputContents == [Data([0, 0, 0x80, 0x3E, 0, 0, 0x40, 0x3F]), Data([1, 0, 0, 0, 0, 0, 0, 0])])
        let one = try answer(response, modelName: "m", requested: [RequestedOutput(name: "label")])
        #expect(one.outputs.map(\.name) == ["label"] && one.rawOutputContents.count == 1)
        #expect(throws: ServingError.self) {
            try ModelInferResponseEncoder.encode(response, modelName: "m", requested: [RequestedOutput(name: "nope")])
        }
    }

    /// The hand-written encoder writes exactly what swift-protobuf writes for the same message,
    /// over random names, shapes (scalars, empty and large dimensions) and every datatype.
    @Test func theDirectEncoderWritesWhatSwiftProtobufWrites() throws {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var outputs: [Tensor] = []
            for k in 0..<Int.random(in: 0...3, using: &rng) {
                let shape = (0..<Int.random(in: 0...(round % 7 == 0 ? 1 : 3), using: &rng)).map { _ in Int.random(in: 0...(round % 7 == 0 ? 200 : 3), using: &rng) }
                let count = shape.reduce(1, *)
                let data: TensorData = switch Int.random(in: 0..<5, using: &rng) {
                case 0: .fp32((0..<count).map { _ in Float.random(in: -1...1, using: &rng) })
                case 1: .int64((0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) })
                case 2: .fp64((0..<count).map { _ in Double.random(in: -1e300...1e300, using: &rng) })
                case 3: .bool((0..<count).map { _ in Bool.random(using: &rng) })
                default: .bytes((0..<count).map { _ in (0..<Int.random(in: 0...5, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } })
                }
                outputs.append(Tensor(unchecked: String(repeating: "o", count: k + round % 200), shape: shape, data: data))
            }
            let id: String? = round % 3 == 0 ? nil : "id-\(round)"
            let response = InferenceResponse(modelName: "m", modelVersion: round, id: id, outputs: outputs)
            var expected = Inference_ModelInferResponse()
            expected.modelName = "model-\(round)"
            expected.modelVersion = String(round)
            expected.id = id ?? ""
            for tensor in outputs {
                var output = Inference_ModelInferResponse.InferOutputTensor()
                output.name = tensor.name
                output.datatype = tensor.datatype.rawValue
                output.shape = tensor.shape.map { Int64($0) }
                expected.outputs.append(output)
                var raw = Data()
                V2BinaryTensor.encode(tensor.data, into: &raw)
                expected.rawOutputContents.append(raw)
            }
            let written = try ModelInferResponseEncoder.encode(response, modelName: "model-\(round)", requested: [])
            #expect(written == (try expected.serializedBytes() as [UInt8]), "round \(round)")
        }
    }

    private func answer(_ response: InferenceResponse, modelName: String, requested: [RequestedOutput]) throws -> Inference_ModelInferResponse {
        try Inference_ModelInferResponse(serializedBytes: ModelInferResponseEncoder.encode(response, modelName: modelName, requested: requested))
    }
}
