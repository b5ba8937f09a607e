import Testing
@testable import SluiceCore

/// Concatenation along the batch dimension and the cut back, for every element type, and the
/// requests that cannot merge.
@Suite struct TensorBatchTests {
    @Test(arguments: DataType.allCases)
    func concatJoinsRowsInOrderAndSplitGivesEachRequestItsOwn(_ type: DataType) throws {
        // Three requests of 1, 2 and 3 rows of two elements each; values 0..<12 in order.
        let rows = [1, 2, 3]
        var start = 0
        let requests = rows.map { n in
            defer { start += 2 * n }
            let t = Tensor(unchecked: "in", shape: [n, 2], data: BatchFixtures.data(type, Array(start..<start + 2 * n)))
            return InferenceRequest(inputs: [t])
        }
        let merged = try TensorBatch.concat(requests)
        #expect(merged == [Tensor(unchecked: "in", shape: [6, 2], data: BatchFixtures.data(type, Array(0..<12)))])
        let answers = try TensorBatch.split(merged, rows: rows)
        #expect(answers == requests.map(\.inputs))
        #expect(answers.map { $0[0].shape } == [[1, 2], [2, 2], [3, 2]])
    }

    @Test func concatKeepsEveryInputAndItsRowShape() throws {
        let a = BatchFixtures.request(rows: 1, width: 3, seed: 1)
        let b = BatchFixtures.request(rows: 2, width: 3, seed: 2)
        let merged = try TensorBatch.concat([a, b])
        #expect(merged.map(\.name) == ["x", "tag"])
        #expect(merged.map(\.shape) == [[3, 3], [3]])
        #expect(merged[0].data == .fp32([100, 101, 102, 200, 201, 202, 203, 204, 205]))
        #expect(merged[1].data == .bytes([Array("r1.0".utf8), Array("r2.0".utf8), Array("r2.1".utf8)]))
    }

    @Test func aBatchOfOneRequestPassesThroughUntouched() throws {
        let scalar = InferenceRequest(inputs: [Tensor(unchecked: "s", shape: [], data: .int32([7]))])
        #expect(try TensorBatch.concat([scalar]) == scalar.inputs)
        let outputs = [Tensor(unchecked: "o", shape: [], data: .fp64([1.5]))]
        #expect(try TensorBatch.split(outputs, rows: [0]) == [outputs])
        #expect(try TensorBatch.concat([]) == [])
    }

    @Test func splitRefusesAnOutputThatIsNotOneRowPerInputRow() {
        let outputs = [Tensor(unchecked: "probabilities", shape: [3], data: .fp32([0.1, 0.2, 0.7]))]
        #expect(throws: ServingError.backendFailure(
            "output 'probabilities' has shape [3] and 3 elements; the batch has 4 rows")) {
            try TensorBatch.split(outputs, rows: [1, 3])
        }
        let scalar = [Tensor(unchecked: "loss", shape: [], data: .fp32([0.5]))]
        #expect(throws: ServingError.self) { try TensorBatch.split(scalar, rows: [1, 1]) }
        let short = [Tensor(unchecked: "y", shape: [2, 2], data: .fp32([1, 2, 3]))]
        #expect(throws: ServingError.self) { try TensorBatch.split(short, rows: [1, 1]) }
    }

    @Test func concatRefusesRequestsOfDifferentKeys() {
        let narrow = BatchFixtures.request(rows: 1, width: 2, seed: 1)
        let wide = BatchFixtures.request(rows: 1, width: 3, seed: 2)
        #expect(throws: ServingError.backendFailure("batch mixes input 'x' [1, 2] with 'x' [1, 3]")) {
            try TensorBatch.concat([narrow, wide])
        }
        var retyped = narrow
        retyped.inputs[0] = Tensor(unchecked: "x", shape: [1, 2], data: .fp64([1, 2]))
        #expect(throws: ServingError.self) { try TensorBatch.concat([narrow, retyped]) }
    }

    @Test func rowSumsThatOverflowAreRefusedNotWrapped() {
        // Zero-width rows: a client can name 2^62 rows without sending an element.
        let huge = InferenceRequest(inputs: [Tensor(unchecked: "x", shape: [1 << 62, 0], data: .fp32([]))])
        #expect(throws: ServingError.invalidInput("batch of input 'x' has too many rows")) {
            try TensorBatch.concat([huge, huge])
        }
        // The rows add up, but rows × row width does not fit.
        let wide = InferenceRequest(inputs: [Tensor(unchecked: "x", shape: [1 << 61, 2], data: .fp32([1, 2]))])
        #expect(throws: ServingError.invalidInput("shape [4611686018427387904, 2] has too many elements")) {
            try TensorBatch.concat([wide, wide])
        }
    }

    @Test func rowsAreTheFirstDimensionAllInputsShare() {
        #expect(TensorBatch.rows(of: BatchFixtures.request(rows: 3, seed: 0)) == 3)
        #expect(TensorBatch.rows(of: BatchFixtures.request(rows: 0, seed: 0)) == nil)
        #expect(TensorBatch.rows(of: InferenceRequest(inputs: [])) == nil)
        var ragged = BatchFixtures.request(rows: 2, seed: 0)
        ragged.inputs[1] = Tensor(unchecked: "tag", shape: [3], data: .bytes([[1], [2], [3]]))
        #expect(TensorBatch.rows(of: ragged) == nil)
    }

    @Test func keysIgnoreRowsAndSeparateEverythingElse() {
        let base = BatchKey(BatchFixtures.request(rows: 1, seed: 0))
        #expect(base != nil)
        #expect(BatchKey(BatchFixtures.request(rows: 5, seed: 9)) == base)
        #expect(BatchKey(BatchFixtures.request(rows: 1, width: 3, seed: 0)) != base)
        #expect(BatchKey(BatchFixtures.request(rows: 1, seed: 0, outputs: ["label"])) != base)
        #expect(
            BatchKey(BatchFixtures.request(rows: 1, seed: 0, outputs: ["label", "y"]))
                != BatchKey(BatchFixtures.request(rows: 1, seed: 0, outputs: ["y", "label"])))
        var renamed = BatchFixtures.request(rows: 1, seed: 0)
        renamed.inputs[1].name = "label"
        #expect(BatchKey(renamed) != base)
        var retyped = BatchFixtures.request(rows: 1, seed: 0)
        retyped.inputs[0] = Tensor(unchecked: "x", shape: [1, 2], data: .fp16([0, 1]))
        #expect(BatchKey(retyped) != base)
    }

    @Test func scalarsAndEmptyRequestsHaveNoKeyAndRunAlone() {
        #expect(BatchKey(InferenceRequest(inputs: [Tensor(unchecked: "s", shape: [], data: .int32([7]))])) == nil)
        #expect(BatchKey(BatchFixtures.request(rows: 0, seed: 0)) == nil)
        #expect(BatchKey(InferenceRequest(inputs: [])) == nil)
    }
}
