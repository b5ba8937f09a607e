import Foundation
import SluiceCore
import SluiceBackends
import Testing

/// One reference case written by scripts/make_xgboost_fixtures.py or
/// scripts/make_lightgbm_fixtures.py: the rows to score and what the library's own predict
/// answered for them, in Sluice's output convention.
struct TreeFixture {
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

    /// Fixtures/<library>, e.g. "xgboost" or "lightgbm".
    static func root(_ library: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent(library)
    }

    static func path(_ library: String, _ relative: String) throws -> String {
        try root(library).appendingPathComponent(relative).path
    }

    /// Loads Fixtures/<library>/bad/<file> and checks it fails to load with a message that
    /// starts with the file's name and says `reason`.
    static func expectLoadFailure(_ library: String, _ backend: String, file: String, reason: String) throws {
        let path = try path(library, "bad/\(file)")
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: path, backend: backend))
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("\(file): "), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    /// `caseName` is a folder under Fixtures/<library>; `expected` the answers file in it
    /// (early-stopped XGBoost cases also have `expected_all.json`, the answers of every tree).
    init(_ library: String, _ caseName: String, expected expectedFile: String = "expected.json") throws {
        let folder = try Self.root(library).appendingPathComponent(caseName)
        let input = try Self.json(folder.appendingPathComponent("input.json"))
        rows = try #require(input["rows"] as? Int)
        cols = try #require(input["cols"] as? Int)
        let data = try #require(input["data"] as? [Any])
        self.input = data.map { ($0 as? NSNumber)?.floatValue ?? .nan }
        let expected = try Self.json(folder.appendingPathComponent(expectedFile))
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

    /// Records an issue unless `outputs` (from `backend`) are the expected ones: names in the
    /// backend's order, shapes and types exact, labels exact, values within 1e-6 relative (or
    /// 1e-6 absolute near zero).
    func check(_ outputs: [Tensor], from backend: any Backend) throws {
        let fixture = self
        #expect(outputs.map(\.name) == backend.outputs.map(\.name))
        #expect(Set(outputs.map(\.name)) == Set(fixture.outputs.keys))
        for output in outputs {
            let expected = try #require(fixture.outputs[output.name])
            #expect(output.shape == expected.shape, "\(output.name)")
            #expect(output.datatype.rawValue == expected.datatype, "\(output.name)")
            switch output.data {
            case .int64(let labels):
                #expect(labels == expected.data.map { Int64($0) }, "\(output.name)")
            case .fp32(let values):
                try #require(values.count == expected.data.count)
                var worst = 0.0
                for (got, want) in zip(values, expected.data) {
                    let error = abs(Double(got) - want)
                    worst = max(worst, error / max(abs(want), 1))
                    #expect(error <= 1e-6 * abs(want) || error <= 1e-6, "\(output.name): \(got) vs \(want)")
                }
                #expect(worst <= 1e-6)
            default:
                Issue.record("unexpected datatype \(output.datatype) for \(output.name)")
            }
        }
    }

    /// Records an issue unless `backend` answers the fixture's rows, three times over (so full
    /// blocks, lockstep lanes and leftover rows all occur), with the same bits as it answers
    /// each row alone.
    func expectRowsTogetherMatchRowsAlone(_ backend: any Backend) throws {
        let tiled = input + input + input
        let count = rows * 3
        let together = try backend.infer([Tensor(name: "input", shape: [count, cols], data: .fp32(tiled))])
        for row in 0..<count {
            let one = Array(tiled[row * cols..<(row + 1) * cols])
            let alone = try backend.infer([Tensor(name: "input", shape: [1, cols], data: .fp32(one))])
            for (all, single) in zip(together, alone) {
                let bits = Self.bits(single.data)
                let width = bits.count
                #expect(Array(Self.bits(all.data)[row * width..<(row + 1) * width]) == bits, "\(all.name), row \(row)")
            }
        }
    }

    private static func bits(_ data: TensorData) -> [UInt64] {
        switch data {
        case .fp32(let values): values.map { UInt64($0.bitPattern) }
        case .int64(let values): values.map { UInt64(bitPattern: $0) }
        default: []
        }
    }

    var inputTensor: Tensor {
        get throws { try Tensor(name: "input", shape: [rows, cols], data: .fp32(input)) }
    }

    private static func json(_ url: URL) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try #require(object as? [String: Any])
    }
}
