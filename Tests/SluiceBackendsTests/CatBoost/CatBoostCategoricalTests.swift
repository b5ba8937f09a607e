import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// CatBoost models with categorical features (CTRs, their combinations, one-hot values, integer
/// categories, no float features at all) score as catboost's predict did, within 1e-6, with
/// categories sent as BYTES in their own input; unseen categories included.
@Suite struct CatBoostCategoricalTests {
    /// Folders under Fixtures/catboost with a categorical.json.
    static let cases = [
        "categorical", "categorical_buckets", "categorical_combinations", "categorical_one_hot", "categorical_only",
    ]

    /// The case's categories as `[rows, columns]` texts (integers as their decimal text).
    static func categories(_ name: String, rows: Int? = nil) throws -> (texts: [String], cols: Int) {
        let url = try TreeFixture.root("catboost").appendingPathComponent("\(name)/categorical.json")
        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cols = try #require(object["cols"] as? Int)
        let values = try #require(object["data"] as? [Any])
        let data = values.map { ($0 as? String) ?? "\($0)" }
        return (Array(data.prefix((rows ?? data.count) * cols)), cols)
    }

    /// Every input of a case: `input` when the model has float features, and `categorical`.
    static func inputs(_ name: String, rows: Int? = nil) throws -> [Tensor] {
        var fixture = try TreeFixture("catboost", name)
        if let rows { fixture = fixture.prefix(rows) }
        var tensors: [Tensor] = []
        if fixture.cols > 0 { tensors.append(try fixture.inputTensor) }
        guard cases.contains(name) else { return tensors }
        let (texts, cols) = try categories(name, rows: fixture.rows)
        tensors.append(try Tensor(
            name: "categorical", shape: [fixture.rows, cols], data: .bytes(texts.map { Array($0.utf8) })))
        return tensors
    }

    @Test(arguments: cases, [nil, 1, 8, 0])
    func modelAnswersAsCatBoostPredictDid(_ name: String, _ rows: Int?) throws {
        var fixture = try TreeFixture("catboost", name)
        if let rows { fixture = fixture.prefix(rows) }
        let backend = try CatBoostFixtureTests.load(name)
        try fixture.check(backend.infer(Self.inputs(name, rows: rows)), from: backend)
    }

    @Test func signatureHasACategoricalInput() throws {
        #expect(try CatBoostFixtureTests.load("categorical_one_hot").inputs == [
            TensorSpec(name: "input", datatype: .fp32, shape: [-1, 2]),
            TensorSpec(name: "categorical", datatype: .bytes, shape: [-1, 4]),
        ])
        #expect(try CatBoostFixtureTests.load("categorical_only").inputs == [
            TensorSpec(name: "categorical", datatype: .bytes, shape: [-1, 3])
        ])
    }

    /// INT64 categories are hashed as their decimal text, as catboost hashes integer categories.
    @Test func int64CategoriesAnswerAsTheirDecimalText() throws {
        let backend = try CatBoostFixtureTests.load("categorical_only")
        let numbers: [Int64] = [0, 3, -7, 42, 5, 1]
        let asInts = try Tensor(name: "categorical", shape: [2, 3], data: .int64(numbers))
        let asText = try Tensor(name: "categorical", shape: [2, 3], data: .bytes(numbers.map { Array(String($0).utf8) }))
        #expect(try backend.infer([asInts]) == backend.infer([asText]))
    }

    @Test func inputsWithDifferentRowCountsAreInvalid() throws {
        let backend = try CatBoostFixtureTests.load("categorical")
        var tensors = try Self.inputs("categorical", rows: 2)
        tensors[1] = try Self.inputs("categorical", rows: 3)[1]
        let error = #expect(throws: ServingError.self) { try backend.infer(tensors) }
        guard case .invalidInput(let message) = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(message.contains("has 2 rows and 'categorical' has 3"), "\(message)")
    }

    @Test func missingOrNumericCategoriesAreInvalid() throws {
        let backend = try CatBoostFixtureTests.load("categorical")
        let input = try Self.inputs("categorical", rows: 1)[0]
        #expect(throws: ServingError.self) { try backend.infer([input]) }
        let floats = try Tensor(name: "categorical", shape: [1, 3], data: .fp32([1, 2, 3]))
        #expect(throws: ServingError.self) { try backend.infer([input, floats]) }
    }
}
