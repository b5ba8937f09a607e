import Testing
@testable import SluiceHTTP

@Test func responseSerializationAddsLengthDateAndClose() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: false, keepAlive: false, date: Array("D".utf8))
    #expect(String(decoding: parts.joined(), as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\nconnection: close\r\n\r\n{}")
}

@Test func headResponsesKeepTheLengthAndDropTheBody() {
    let parts = HTTPConnection.serialize(.json(200, Array("{}".utf8)), omitBody: true, keepAlive: true, date: Array("D".utf8))
    #expect(String(decoding: parts.joined(), as: UTF8.self)
        == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: D\r\n\r\n")
}

@Test func errorBodiesEscapeTheirMessage() {
    #expect(String(decoding: Response.error(400, "bad \"x\"\n\u{1}").body, as: UTF8.self)
        == #"{"error":"bad \"x\"\n\u0001"}"#)
}
