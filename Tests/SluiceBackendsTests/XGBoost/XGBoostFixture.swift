import Foundation
import SluiceCore
import Testing

/// One reference case written by scripts/make_xgboost_fixtures.py: the rows to score and what
/// xgboost's own predict answered for them.
struct XGBoostFixture {
    struct Output {
        var shape: [Int]
        var datatype: String
        var data: [Double]
    }

    var rows: Int
    var cols: Int
    /// Row-major, NaN for the nulls (missing values).
    var input: [Float]
    var objective: String
    var outputs: [String: Output]

    static var root: URL {
        get throws {
            try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
                .appendingPathComponent("xgboost")
        }
    }

    static func path(_ relative: String) throws -> String {
        try root.appendingPathComponent(relative).path
    }

    /// `caseName` is a folder under Fixtures/xgboost.
    init(_ caseName: String) throws {
        let folder = try Self.root.appendingPathComponent(caseName)
        let input = try Self.json(folder.appendingPathComponent("input.json"))
        rows = try #require(input["rows"] as? Int)
        cols = try #require(input["cols"] as? Int)
        let data = try #require(input["data"] as? [Any])
        self.input = data.map { ($0 as? NSNumber)?.floatValue ?? .nan }
        let expected = try Self.json(folder.appendingPathComponent("expected.json"))
        objective = try #require(expected["objective"] as? String)
        var outputs: [String: Output] = [:]
        for (name, value) in try #require(expected["outputs"] as? [String: Any]) {
            let tensor = try #require(value as? [String: Any])
            outputs[name] = Output(
                shape: try #require(tensor["shape"] as? [Int]),
                datatype: try #require(tensor["datatype"] as? String),
                data: try #require(tensor["data"] as? [NSNumber]).map(\.doubleValue))
        }
        self.outputs = outputs
    }

    var inputTensor: Tensor {
        get throws { try Tensor(name: "input", shape: [rows, cols], data: .fp32(input)) }
    }

    private static func json(_ url: URL) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try #require(object as? [String: Any])
    }
}
