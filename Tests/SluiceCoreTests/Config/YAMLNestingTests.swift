import Foundation
import Testing
import Yams
@testable import SluiceCore

/// The depth the scan measures: the smallest limit `yaml` does not exceed.
private func scannedDepth(_ yaml: String) -> Int {
    var limit = 0
    while YAMLNesting.exceeds(limit, in: yaml) { limit += 1 }
    return limit
}

/// The depth of the tree Yams composes (only for shallow test documents: this recurses).
private func composedDepth(_ node: Node) -> Int {
    switch node {
    case .scalar: return 0
    case .sequence(let sequence): return 1 + (sequence.map(composedDepth).max() ?? 0)
    case .mapping(let mapping): return 1 + (mapping.map { max(composedDepth($0.key), composedDepth($0.value)) }.max() ?? 0)
    }
}

private let project = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Test(arguments: [
    (String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000), "flow sequences"),
    (String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000), "flow mappings"),
    (String(repeating: "{\"a\":", count: 20_000) + "1" + String(repeating: "}", count: 20_000), "JSON"),
    (String(repeating: "- ", count: 5_000) + "x", "block sequences on one line"),
    ((0..<5_000).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1", "block mappings"),
    ("a: [\n" + String(repeating: "[\n", count: 5_000), "flow spread over lines"),
    (String(repeating: "[", count: 5_000), "unclosed flow"),
])
func deepDocumentsExceedTheLimit(_ yaml: String, _ what: String) {
    #expect(YAMLNesting.exceeds(YAMLNesting.limit, in: yaml), "\(what)")
}

@Test func deepDocumentsAreAConfigErrorBeforeYamsSeesThem() {
    let deep = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
    #expect(throws: ConfigError(file: "f.yaml", keyPath: "", reason: "nested more than 64 levels deep")) {
        _ = try ConfigReader(file: "f.yaml").compose(deep)
    }
}

@Test(arguments: [
    "a: \"" + String(repeating: "[", count: 100) + "\"",
    "a: '" + String(repeating: "{", count: 100) + "'",
    "a: 'it''s " + String(repeating: "[", count: 100) + "'",
    "a: \"\\\" " + String(repeating: "[", count: 100) + "\"",
    "a: \"x\n  " + String(repeating: "[", count: 100) + "\"",
    "a: b " + String(repeating: "[", count: 100),
    "a: b\n  " + String(repeating: "[", count: 100),
    "# " + String(repeating: "[", count: 100) + "\na: 1",
    "a: |\n  " + String(repeating: "[", count: 100) + "\n  more\nb: 1",
    "a: >-\n    " + String(repeating: "{", count: 100) + "\n\n    x\nb: 1",
    "? k\n: |\n  " + String(repeating: "[", count: 100),
    "a: !tag " + String(repeating: "x", count: 10) + "\nb: [\"" + String(repeating: "[", count: 100) + "\"]",
])
func bracketsInScalarsAndCommentsAreNotNesting(_ yaml: String) throws {
    #expect(!YAMLNesting.exceeds(YAMLNesting.limit, in: yaml))
    _ = try ConfigReader(file: "f.yaml").compose(yaml)
}

/// Documents where a bracket looks quoted or commented but libyaml reads it as nesting: the scan
/// must count at least as deep as Yams builds, or a crafted file slips past it.
@Test(arguments: [
    "[a\n 'x, " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + " ]",
    "[a:'x, " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "]",
    "[&a 'x[', " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "]",
    "a: b\n'c: [ ': x\nd: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    "a: b#'\nc: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\nd: \"'\"",
    "a:\n  b: |\n      x\n  c: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    "- - - - " + String(repeating: "{a: ", count: 40) + "1" + String(repeating: "}", count: 40),
    "a:\n  b:\n    - c: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    "[ \"x\u{85}\" , " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "]",
    "# x\u{2028}a: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    "{&x : " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}: v",
])
func theScanCountsAtLeastWhatYamsBuilds(_ yaml: String) throws {
    let node = try #require(try Yams.compose(yaml: yaml))
    let built = composedDepth(node)
    #expect(built >= 40)
    #expect(scannedDepth(yaml) >= built, "built \(built)")
}

@Test func theBundledConfigsAndModelsAreFarBelowTheLimit() throws {
    let files = ["config/sluice.yaml", "config/routes.yaml", "models/churn-lgbm/model.yaml",
                 "models/digits-mlp/model.yaml", "models/fraud/model.yaml", "models/iris/model.yaml"]
    for file in files {
        let text = try String(contentsOf: project.appendingPathComponent(file), encoding: .utf8)
        #expect(scannedDepth(text) < 10, "\(file)")
    }
}

/// Random documents from YAML's awkward pieces (quotes, comments, block scalars, Unicode line
/// breaks, flow pairs, indentless sequences): wherever Yams composes one, the scan counts at least
/// the depth Yams built. The seed is fixed so a failure reproduces.
@Test func theScanNeverCountsLessThanYamsBuildsOnRandomDocuments() {
    var state: UInt64 = 0x5EED
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let pieces = ["[", "]", "{", "}", "'", "\"", "#", "\n", " ", "  ", "a", ":", ": ", "- ", ",", "|", ">", "&x ",
                  "!t ", "\\", "\n  ", "\n    ", "?", " #", "''", "b", "\u{85}", "\t", "\n---\n", "%", "*x", "|2",
                  ">-", "\r", "\r\n", "\n- ", ": [", "- [", "\n  - ", "\u{2028}"]
    var composed = 0
    for _ in 0..<30_000 {
        let document = (0..<(next() % 20 + 1)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
        guard let node = try? Yams.compose(yaml: document) else { continue }
        composed += 1
        let built = composedDepth(node)
        #expect(scannedDepth(document) >= built, "\(document.debugDescription) built \(built)")
    }
    #expect(composed > 1_000)
}
