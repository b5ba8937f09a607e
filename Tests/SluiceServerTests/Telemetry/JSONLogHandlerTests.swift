import Foundation
import Logging
import Synchronization
import Testing
@testable import SluiceServer

private final class Lines: Sendable {
    let all = Mutex<[String]>([])
}

@Test func jsonLogLinesCarryTimeLevelMessageAndMetadataAsFields() throws {
    let lines = Lines()
    var logger = Logger(label: "sluice") { label in
        JSONLogHandler(label: label) { bytes in lines.all.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }
    logger[metadataKey: "replica"] = "a"
    logger.info("request", metadata: ["request_id": "r-1", "status": .stringConvertible(200), "message": "dropped"])
    let line = try #require(lines.all.withLock { $0.first })
    #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["level"] as? String == "info")
    #expect(object["label"] as? String == "sluice")
    // The line's own field wins over metadata of the same name.
    #expect(object["message"] as? String == "request")
    #expect(object["request_id"] as? String == "r-1")
    #expect(object["status"] as? Int == 200)
    #expect(object["replica"] as? String == "a")
    let time = try #require(object["time"] as? String)
    #expect(time.utf8.count == 24 && time.hasSuffix("Z"))
    #expect(ISO8601DateFormatter.withMilliseconds.date(from: time) != nil)
}

extension ISO8601DateFormatter {
    fileprivate static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}

@Test(arguments: [0, 1_765_033_445_123, 951_782_400_007])  // the epoch, a December afternoon, 29 Feb 2000
func timesAreWrittenAsFoundationWritesRFC3339(_ millis: Int) {
    let expected = ISO8601DateFormatter.withMilliseconds.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    #expect(WallClock.rfc3339(millisecondsSince1970: millis) == expected)
}
