import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Issue 18: the operators that size their output from a request's numbers (Tile's repeats,
/// Pad's pads, OneHot's depth, Split's lengths) refuse what is beyond `limits.maxTensorElements`
/// before any product of it is formed, and answer the requests that fit.
@Suite struct ONNXLayoutHostileTests {
    typealias Hostile = ONNXHostileShapeTests

    /// An empty image divides into blocks of any size, so SpaceToDepth's C·b² channels must be
    /// formed checked: 2^24 × (2^20)² is beyond any Int.
    @Test func spaceToDepthOfAnEmptyImageWithHugeBlocksIsRefused() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("SpaceToDepth", ["x"], ["y"], name: "s2d", int: ["blocksize": 1 << 20])],
            inputs: [ONNXGraph.value("x", [nil, nil, nil, nil])], outputs: ["y"])
        Hostile.expectRefusal(["SpaceToDepth 's2d'", "beyond any tensor size"]) {
            try backend.infer([Hostile.floats("x", [1, 1 << 24, 0, 0])])
        }
    }

    @Test func tileRepeatsBeyondTheLimitAreRefusedBeforeTheyMultiply() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Tile", ["x", "repeats"], ["y"], name: "tile")],
            inputs: [ONNXGraph.value("x", [nil, nil]), ONNXGraph.value("repeats", [2], type: 7)], outputs: ["y"])
        Hostile.expectRefusal(["Tile 'tile'", "repeats [9223372036854775807, 2]", "limits.max_model_tensor_elements"]) {
            try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("repeats", [.max, 2])])
        }
        Hostile.expectRefusal(["Tile 'tile'", "repeats [-1, 2]"]) {
            try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("repeats", [-1, 2])])
        }
        // Each repeat within the limit, the product beyond it.
        Hostile.expectRefusal(["Tile 'tile'", "output shape [33554432, 24]", "limits.max_model_tensor_elements"]) {
            try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("repeats", [1 << 24, 8])])
        }
        let answer = try backend.infer([Hostile.floats("x", [1, 2]), Hostile.int64s("repeats", [2, 2])])[0]
        #expect(answer.shape == [2, 4])
        #expect(answer.data == .fp32([0, 1, 0, 1, 0, 1, 0, 1]))
        #expect(try backend.infer([Hostile.floats("x", [0, 2]), Hostile.int64s("repeats", [5, 2])])[0].shape == [0, 4])
    }

    @Test func padAmountsBeyondTheLimitAreRefusedBeforeTheyAdd() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Pad", ["x", "pads"], ["y"], name: "pad")],
            inputs: [ONNXGraph.value("x", [nil, nil]), ONNXGraph.value("pads", [4], type: 7)], outputs: ["y"])
        for pads: [Int64] in [[.min, 0, 0, 0], [0, 0, .max, 0]] {
            Hostile.expectRefusal(["Pad 'pad'", "is longer than a dimension may be", "limits.max_model_tensor_elements"]) {
                try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("pads", pads)])
            }
        }
        Hostile.expectRefusal(["Pad 'pad'", "output shape [2, 134217731]"]) {
            try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("pads", [0, 1 << 26, 0, 1 << 26])])
        }
        Hostile.expectRefusal(["Pad 'pad'", "crop more than dimension 0"]) {
            try backend.infer([Hostile.floats("x", [2, 3]), Hostile.int64s("pads", [-2, 0, -1, 0])])
        }
        // 0, 1 and 8 rows, padded by a column of zeros on each side and cropped by one row.
        for rows in [0, 1, 8] {
            let answer = try backend.infer([Hostile.floats("x", [rows, 2]), Hostile.int64s("pads", [0, 1, rows == 0 ? 0 : -1, 1])])[0]
            let kept = max(rows - 1, 0)
            #expect(answer.shape == [kept, 4])
            let expected: [Float] = (0..<kept).flatMap { r -> [Float] in [0, Float(2 * r), Float(2 * r + 1), 0] }
            #expect(answer.data == .fp32(expected))
        }
    }

    @Test func oneHotDepthBeyondTheLimitIsRefused() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("OneHot", ["indices", "depth", "values"], ["y"], name: "onehot")],
            inputs: [ONNXGraph.value("indices", [nil], type: 7), ONNXGraph.value("depth", [1], type: 7)], outputs: ["y"],
            initializers: [ONNXGraph.floats("values", [2], [0, 1])])
        for depth: Int64 in [.max, 0, -3] {
            Hostile.expectRefusal(["OneHot 'onehot'", "depth must be a number from 1 to 67108864"]) {
                try backend.infer([Hostile.int64s("indices", [1]), Hostile.int64s("depth", [depth])])
            }
        }
        Hostile.expectRefusal(["OneHot 'onehot'", "output shape [8, 67108864]"]) {
            try backend.infer([Hostile.int64s("indices", Array(0..<8)), Hostile.int64s("depth", [1 << 26])])
        }
        // Out-of-range indices give the off value; negative ones count from the end.
        let answer = try backend.infer([Hostile.int64s("indices", [2, -1, 7, .min]), Hostile.int64s("depth", [3])])[0]
        #expect(answer.shape == [4, 3])
        #expect(answer.data == .fp32([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
    }

    @Test func splitLengthsThatOverflowTheirSumAreRefused() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Split", ["x", "split"], ["a", "b"], name: "split")],
            inputs: [ONNXGraph.value("x", [nil]), ONNXGraph.value("split", [2], type: 7)], outputs: ["a", "b"])
        Hostile.expectRefusal(["Split 'split'", "does not divide a dimension of 4 into 2 parts"]) {
            try backend.infer([Hostile.floats("x", [4]), Hostile.int64s("split", [.max, .max])])
        }
        let parts = try backend.infer([Hostile.floats("x", [4]), Hostile.int64s("split", [1, 3])])
        #expect(parts.map(\.data) == [.fp32([0]), .fp32([1, 2, 3])])
    }

    /// Trilu's diagonal from a request may be any int64: beyond either side it keeps all or none.
    @Test func triluDiagonalsFarBeyondTheMatrixKeepAllOrNothing() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Trilu", ["x", "k"], ["y"], name: "trilu")],
            inputs: [ONNXGraph.value("x", [nil, nil]), ONNXGraph.value("k", [], type: 7)], outputs: ["y"], opset: 14)
        let k = { (v: Int64) in Tensor(unchecked: "k", shape: [], data: .int64([v])) }
        #expect(try backend.infer([Hostile.floats("x", [2, 2]), k(.min)])[0].data == .fp32([0, 1, 2, 3]))
        #expect(try backend.infer([Hostile.floats("x", [2, 2]), k(.max)])[0].data == .fp32([0, 0, 0, 0]))
        #expect(try backend.infer([Hostile.floats("x", [2, 2]), k(0)])[0].data == .fp32([0, 1, 0, 3]))
    }

    @Test func resizeScalesAndSizesBeyondTheLimitAreRefused() throws {
        let scaled = try ONNXGraph.backend(
            [ONNXGraph.node("Resize", ["x", "", "scales"], ["y"], name: "resize")],
            inputs: [ONNXGraph.value("x", [nil, 1, 2, 2]), ONNXGraph.value("scales", [4])], outputs: ["y"])
        let scales = { (v: [Float]) in Tensor(unchecked: "scales", shape: [4], data: .fp32(v)) }
        for bad: [Float] in [[1, 1, 1e30, 1], [1, 1, .nan, 1], [1, 1, -2, 1], [1, 1, .infinity, 1]] {
            Hostile.expectRefusal(["Resize 'resize'", "is beyond limits.max_model_tensor_elements"]) {
                try scaled.infer([Hostile.floats("x", [1, 1, 2, 2]), scales(bad)])
            }
        }
        Hostile.expectRefusal(["Resize 'resize'", "output shape [1, 1, 16384, 16384]"]) {
            try scaled.infer([Hostile.floats("x", [1, 1, 2, 2]), scales([1, 1, 8192, 8192])])
        }
        // Nearest, half_pixel, round_prefer_floor doubling: each element becomes a 2×2 block,
        // for 0, 1 and 8 images.
        for images in [0, 1, 8] {
            let answer = try scaled.infer([Hostile.floats("x", [images, 1, 2, 2]), scales([1, 1, 2, 2])])[0]
            #expect(answer.shape == [images, 1, 4, 4])
            let expected: [Float] = (0..<images).flatMap { i -> [Float] in
                let b = Float(4 * i)
                let top: [Float] = [b, b, b + 1, b + 1], bottom: [Float] = [b + 2, b + 2, b + 3, b + 3]
                return top + top + bottom + bottom
            }
            #expect(answer.data == .fp32(expected))
        }
        let sized = try ONNXGraph.backend(
            [ONNXGraph.node("Resize", ["x", "", "", "sizes"], ["y"], name: "resize")],
            inputs: [ONNXGraph.value("x", [nil, 1, 2, 2]), ONNXGraph.value("sizes", [4], type: 7)], outputs: ["y"])
        Hostile.expectRefusal(["Resize 'resize'", "sizes [1, 1, 1099511627776, 1]", "limits.max_model_tensor_elements"]) {
            try sized.infer([Hostile.floats("x", [1, 1, 2, 2]), Hostile.int64s("sizes", [1, 1, 1 << 40, 1])])
        }
        #expect(try sized.infer([Hostile.floats("x", [1, 1, 2, 2]), Hostile.int64s("sizes", [1, 1, 3, 5])])[0].shape == [1, 1, 3, 5])
    }

    /// ConvTranspose's output grows with its strides: a request's input size times a stride the
    /// file chose is refused beyond the limit, not multiplied into memory.
    @Test func convTransposeOutputBeyondTheLimitIsRefused() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("ConvTranspose", ["x", "w"], ["y"], name: "up", ints: ["strides": [512]])],
            inputs: [ONNXGraph.value("x", [1, 1, nil])], outputs: ["y"],
            initializers: [ONNXGraph.floats("w", [1, 1, 1], [2])], limits: ONNXGraph.limits(1000))
        Hostile.expectRefusal(["ConvTranspose 'up'", "output shape [1, 1, 1025]", "1000 elements"]) {
            try backend.infer([Hostile.floats("x", [1, 1, 3])])
        }
        let answer = try backend.infer([Hostile.floats("x", [1, 1, 2])])[0]
        #expect(answer.shape == [1, 1, 513])
        let expected: [Float] = (0..<513).map { i -> Float in i == 512 ? 2 : 0 }
        #expect(answer.data == .fp32(expected))
    }

    /// Indices from a request outside their dimension are refused naming the node, whatever
    /// their size, and never read or write outside the tensor.
    @Test func indicesFromTheRequestOutOfRangeAreRefused() throws {
        let gather = try ONNXGraph.backend(
            [ONNXGraph.node("GatherElements", ["x", "i"], ["y"], name: "gather", int: ["axis": 1])],
            inputs: [ONNXGraph.value("x", [nil, nil]), ONNXGraph.value("i", [nil, nil], type: 7)], outputs: ["y"])
        let indices = { (v: [Int64]) in Tensor(unchecked: "i", shape: [1, v.count], data: .int64(v)) }
        for bad: [Int64] in [[3], [-4], [.max], [.min]] {
            Hostile.expectRefusal(["GatherElements 'gather'", "index \(bad[0]) is out of range for dimension 3"]) {
                try gather.infer([Hostile.floats("x", [2, 3]), indices(bad)])
            }
        }
        #expect(try gather.infer([Hostile.floats("x", [2, 3]), indices([2, -3])])[0].data == .fp32([2, 0]))
        let scatter = try ONNXGraph.backend(
            [ONNXGraph.node("ScatterND", ["x", "i", "u"], ["y"], name: "scatter")],
            inputs: [ONNXGraph.value("x", [nil]), ONNXGraph.value("i", [nil, 1], type: 7), ONNXGraph.value("u", [nil])],
            outputs: ["y"])
        Hostile.expectRefusal(["ScatterND 'scatter'", "index 9223372036854775807 is out of range for dimension 4"]) {
            try scatter.infer([
                Hostile.floats("x", [4]), Tensor(unchecked: "i", shape: [1, 1], data: .int64([.max])), Hostile.floats("u", [1]),
            ])
        }
        let written = try scatter.infer([
            Hostile.floats("x", [4]), Tensor(unchecked: "i", shape: [2, 1], data: .int64([-1, 0])),
            Tensor(unchecked: "u", shape: [2], data: .fp32([7, 8])),
        ])
        #expect(written[0].data == .fp32([8, 1, 2, 7]))
    }

    /// tf_crop_and_resize's roi from a request: a NaN corner is refused, corners so far out that
    /// the coordinates overflow give the extrapolation value.
    @Test func aCropFarOutsideTheInputExtrapolates() throws {
        var node = ONNXGraph.node("Resize", ["x", "roi", "", "sizes"], ["y"], name: "crop")
        var mode = Onnx_AttributeProto()
        mode.name = "coordinate_transformation_mode"
        mode.type = .string
        mode.s = Data("tf_crop_and_resize".utf8)
        node.attribute.append(mode)
        let backend = try ONNXGraph.backend(
            [node], inputs: [ONNXGraph.value("x", [1, 1, 2, 2]), ONNXGraph.value("roi", [8])], outputs: ["y"],
            initializers: [ONNXGraph.int64s("sizes", [1, 1, 2, 2])])
        let roi = { (v: [Float]) in Tensor(unchecked: "roi", shape: [8], data: .fp32(v)) }
        Hostile.expectRefusal(["Resize 'crop'", "is not finite"]) {
            try backend.infer([Hostile.floats("x", [1, 1, 2, 2]), roi([0, 0, .nan, 0, 1, 1, 1, 1])])
        }
        let far = try backend.infer([Hostile.floats("x", [1, 1, 2, 2]), roi([0, 0, -3e38, -3e38, 1, 1, 3e38, 3e38])])[0]
        #expect(far.data == .fp32([0, 0, 0, 0]))
        let whole = try backend.infer([Hostile.floats("x", [1, 1, 2, 2]), roi([0, 0, 0, 0, 1, 1, 1, 1])])[0]
        #expect(whole.data == .fp32([0, 1, 2, 3]))
    }

    /// The decoder and resampler fixtures (8 rows against onnxruntime in ONNXFixtureTests, and
    /// 1 row) also take a batch of 0 rows, answering empty outputs of the right shapes.
    @Test(arguments: [("upsampler", [[0, 3, 9, 18], [0, 1, 9, 18]]), ("resampler", [[0, 2, 3, 6], [0, 2, 3, 6], [0, 2, 1, 6]])])
    func aBatchOfNoRowsAnswersEmptyOutputs(_ name: String, _ shapes: [[Int]]) throws {
        let backend = try ONNXFixtureTests.load(name)
        let fixture = try ONNXFixtureTests.Fixture(name)
        let empty = Tensor(unchecked: fixture.input.name, shape: [0] + fixture.input.shape.dropFirst(), data: .fp32([]))
        let answer = try backend.infer([empty])
        #expect(answer.map(\.shape) == shapes)
        #expect(answer.allSatisfy { $0.data == .fp32([]) })
    }
}
