import Testing
@testable import SluiceHTTP

@Test func lookUpsIgnoreCaseAndKeepOrder() {
    var headers = Headers()
    headers.add("X-Sluice-Model-Version", "3")
    headers.add("content-type", "application/json")
    headers.add("Accept", "a")
    headers.add("accept", "b")
    #expect(headers.map(\.name) == ["x-sluice-model-version", "content-type", "accept", "accept"])
    #expect(headers["X-SLUICE-MODEL-VERSION"] == "3")
    #expect(headers["Content-Type"] == "application/json")
    #expect(headers.values("ACCEPT") == ["a", "b"])
    #expect(headers["content-typf"] == nil)   // same length, last byte differs
    #expect(headers["content-typ"] == nil)
    #expect(headers["cONTENT_TYPE"] == nil)   // `_` is not `-` in any case
}

@Test func setReplacesEveryFieldOfTheName() {
    var headers = Headers([("Accept", "a"), ("x", "1"), ("ACCEPT", "b")])
    headers.set("Accept", "c")
    #expect(headers.map(\.name) == ["x", "accept"])
    #expect(headers.values("accept") == ["c"])
}

@Test func nonASCIINamesCompareByBytes() {
    var headers = Headers()
    headers.add("x-é", "1")
    #expect(headers["X-é"] == "1")
    #expect(headers["X-É"] == nil)   // only ASCII letters fold
}
