import SluiceJSON
import Testing
@testable import SluiceServer

/// Few names are scanned, many go through a set: both report the first name that repeats.
@Test(arguments: [2, 15, 16, 17, 40])
func theFirstRepeatedNameIsReported(_ count: Int) {
    let names = (0..<count).map { "t\($0)" }
    #expect(throws: Never.self) { try V2Body.refuseDuplicates(names, role: "input") }
    #expect(throws: JSONError("input 't1' appears more than once")) {
        try V2Body.refuseDuplicates(names + ["t1", "t0"], role: "input")
    }
    #expect(throws: JSONError("output 't0' appears more than once")) {
        try V2Body.refuseDuplicates(["t0"] + names, role: "output")
    }
}
