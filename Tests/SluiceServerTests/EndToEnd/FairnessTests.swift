import Testing
@testable import SluiceServer

/// A connection takes a bounded number of requests per turn of its loop (issue #14, defect 1);
/// what is left of a pipelined burst is answered on the next turns.
@Suite struct FairnessTests {
    /// A burst of pipelined requests longer than one turn is answered in full and in order, in
    /// turns, with the next bytes read once the buffer is empty.
    @Test func aPipelinedBurstLongerThanATurnIsAnsweredInFullAndInOrder() throws {
        let server = try TestServer { $0.threads = 1 }
        let client = try server.client()
        var burst: [UInt8] = []
        for i in 0..<100 {
            burst += Array("GET /v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: r\(i)\r\n\r\n".utf8)
        }
        client.send(burst + burst)
        for i in 0..<200 {
            let answer = try client.readAnswer()
            #expect(answer.status == 200)
            #expect(answer.headers["x-request-id"] == "r\(i % 100)")
        }
    }
}
