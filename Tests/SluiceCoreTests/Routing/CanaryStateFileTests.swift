import Foundation
import Testing
@testable import SluiceCore

/// The state file is read back whatever wrote it: earlier releases wrote it pretty-printed
/// (with `\/` escapes), and entries that are damaged start over one by one.
@Suite struct CanaryStateFileTests {
    static func read(_ text: String) throws -> (saved: [String: CanaryStateFile.Saved], warnings: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/routes.state.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let saved = CanaryStateFile.read(path) { _, message in warnings.append(message) }
        return (saved, warnings)
    }

    @Test func aPrettyPrintedFileFromAnEarlierReleaseReads() throws {
        let (saved, warnings) = try Self.read(#"""
            {
              "routes" : [
                {
                  "candidate" : 4,
                  "decisions" : [
                    {
                      "decision" : "started",
                      "reason" : "step 1\/3",
                      "time" : 61
                    },
                    {
                      "decision" : "paused",
                      "reason" : "by the admin API",
                      "time" : 62.5
                    }
                  ],
                  "name" : "fraud",
                  "state" : "paused",
                  "step" : 1,
                  "steps" : [
                    5,
                    25,
                    100
                  ]
                }
              ]
            }
            """#)
        #expect(warnings.isEmpty)
        let fraud = try #require(saved["fraud"])
        #expect(fraud.spec.candidate == 4 && fraud.spec.steps == [5, 25, 100] && fraud.state == .paused && fraud.step == 1)
        #expect(fraud.decisions == [
            CanaryController.Decision(time: 61, decision: "started", reason: "step 1/3"),
            CanaryController.Decision(time: 62.5, decision: "paused", reason: "by the admin API"),
        ])
    }

    @Test func anIncompleteEntryStartsOverAndTheOthersResume() throws {
        let (saved, warnings) = try Self.read(#"""
            {"routes": [{"name": "a", "candidate": "4", "steps": [5], "state": "paused", "step": 0},
                        {"name": "b", "candidate": 2, "steps": [5, 100], "state": "progressing", "step": 1,
                         "decisions": [{"time": 1, "decision": "started"}]}]}
            """#)
        #expect(saved.keys.sorted() == ["b"])
        #expect(saved["b"]?.decisions == [])
        #expect(warnings.count == 1)
    }

    @Test(arguments: ["", "[]", #"{"routes": 3}"#, #"{"routes": [1]}"#, #"{"routes": [] "#])
    func anythingElseIsNotAStateFile(_ text: String) throws {
        let (saved, warnings) = try Self.read(text)
        #expect(saved.isEmpty)
        #expect(warnings.count == 1)
    }
}
