import Testing
@testable import SluiceServer
import SluiceCore

/// The V1 body forms decoded against a signature and answered in the same form, without a
/// server: several inputs, shapes given only by nesting, and outputs of several ranks.
@Suite struct V1CodecTests {
    let specs = [
        TensorSpec(name: "a", datatype: .fp32, shape: [-1, 2]),
        TensorSpec(name: "b", datatype: .int64, shape: [-1]),
    ]

    private func decode(_ text: String, _ specs: [TensorSpec]) throws(ServingError) -> V1Request {
        try V1Request.decode(Array(text.utf8), inputs: specs, model: "m")
    }

    @Test func rowObjectsStackIntoOneTensorPerInput() throws {
        let r = try decode(#"{"instances":[{"a":[1,2],"b":7},{"b":8,"a":[3,4]}]}"#, specs)
        #expect(r.form == .rows)
        #expect(r.request.inputs.map(\.name) == ["a", "b"])
        #expect(r.request.inputs[0].shape == [2, 2])
        #expect(r.request.inputs[0].data == .fp32([1, 2, 3, 4]))
        #expect(r.request.inputs[1].shape == [2])
        #expect(r.request.inputs[1].data == .int64([7, 8]))
    }

    @Test func columnarObjectsNameWholeTensors() throws {
        let r = try decode(#"{"inputs":{"b":[5,6,7],"a":[[1,2],[3,4],[5,6]]}}"#, specs)
        #expect(r.form == .columns)
        #expect(r.request.inputs.first { $0.name == "a" }?.shape == [3, 2])
        #expect(r.request.inputs.first { $0.name == "b" }?.data == .int64([5, 6, 7]))
    }

    @Test(arguments: [
        (#"{"instances":[[1,2]]}"#, "has 2 inputs"),
        (#"{"instances":[{"a":[1,2]}]}"#, "row 0 has no input 'b'"),
        (#"{"instances":[{"a":[1,2],"b":1},{"a":[1,2,3],"b":2}]}"#, "row 1 input 'a' has shape [3]"),
        (#"{"instances":[{"a":[1,2],"b":1},[1,2]]}"#, "row 1 is not an object"),
        (#"{"instances":[{"a":[1,2],"a":[1,2],"b":1}]}"#, "twice"),
        (#"{"inputs":{"b":[1.5]}}"#, "'b'"),
        (#"{"inputs":{"c":[1]}}"#, "names input 'c'"),
        (#"{"instances":[{"a":[[1],2],"b":1}]}"#, "not rectangular"),
    ])
    func badBodiesNameTheirFault(body: String, fragment: String) {
        #expect {
            _ = try decode(body, specs)
        } throws: { error in
            guard case ServingError.invalidInput(let message) = error else { return false }
            return message.contains(fragment)
        }
    }

    @Test func scalarsAndEmptyArraysHaveTheirShapes() throws {
        let one = [TensorSpec(name: "x", datatype: .fp64, shape: [-1, -1])]
        #expect(try decode(#"{"inputs":3.5}"#, one).request.inputs[0].shape == [])
        #expect(try decode(#"{"instances":[[],[]]}"#, one).request.inputs[0].shape == [2, 0])
        #expect(try decode(#"{"instances":[[[1,2],[3,4]],[[5,6],[7,8]]]}"#, one).request.inputs[0].shape == [2, 2, 2])
    }

    @Test func answersTakeTheFormOfTheRequest() throws {
        let response = InferenceResponse(modelName: "m", modelVersion: 1, id: nil, outputs: [
            Tensor(unchecked: "p", shape: [2, 2], data: .fp32([0.25, 0.75, 1, 0])),
            Tensor(unchecked: "label", shape: [2], data: .int64([1, 0])),
        ])
        let rows = try V1ResponseEncoder.encode(response, form: .rows)
        #expect(String(decoding: rows, as: UTF8.self) == #"{"predictions":[{"p":[0.25,0.75],"label":1},{"p":[1.0,0.0],"label":0}]}"#)
        let columns = try V1ResponseEncoder.encode(response, form: .columns)
        #expect(String(decoding: columns, as: UTF8.self) == #"{"outputs":{"p":[[0.25,0.75],[1.0,0.0]],"label":[1,0]}}"#)

        let single = InferenceResponse(modelName: "m", modelVersion: 1, id: nil, outputs: [
            Tensor(unchecked: "y", shape: [3], data: .fp64([1.5, 2, -3])),
        ])
        #expect(String(decoding: try V1ResponseEncoder.encode(single, form: .rows), as: UTF8.self) == #"{"predictions":[1.5,2.0,-3.0]}"#)
        #expect(String(decoding: try V1ResponseEncoder.encode(single, form: .columns), as: UTF8.self) == #"{"outputs":[1.5,2.0,-3.0]}"#)
    }

    @Test func rowAnswersNeedASharedBatchDimension() {
        let response = InferenceResponse(modelName: "m", modelVersion: 1, id: nil, outputs: [
            Tensor(unchecked: "a", shape: [2], data: .fp32([1, 2])),
            Tensor(unchecked: "b", shape: [3], data: .fp32([1, 2, 3])),
        ])
        #expect(throws: ServingError.self) { try V1ResponseEncoder.encode(response, form: .rows) }
    }
}
