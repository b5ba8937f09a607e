import Glibc
import SluiceNet

/// An incremental HTTP/1.1 request parser: feed it bytes, ask it for the next event.
///
/// A pure value (no I/O, no clock), owned by one connection on its loop; tested with byte
/// literals. It refuses what request smuggling feeds on: both Content-Length and
/// Transfer-Encoding, conflicting lengths, transfer codings other than `chunked`, bare CR or LF
/// line ends, whitespace before a colon, obsolete line folding.
package struct HTTPParser: Sendable {
    package struct Limits: Sendable {
        package var maxHeaderBytes: Int
        package var maxBodyBytes: Int

        package init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 64 * 1024 * 1024) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// What the parser is waiting for; the connection picks its timeout from it.
    package enum Phase: Sendable, Equatable {
        case idle, head, body
    }

    package enum Event: Sendable {
        /// More bytes are needed.
        case needMore
        /// A head with `Expect: 100-continue` arrived and its body has not: answer 100 first.
        case expectContinue
        case request(Request)
        case error(HTTPParseError)
    }

    private enum Framing: Sendable {
        case length(Int)
        case chunked
    }

    private enum State: Sendable {
        case head
        case body(Request, Framing, bodyStart: Int)
        case failed
    }

    package let limits: Limits
    /// The bytes read and not yet dropped (`start` says which are consumed); read-only outside
    /// for tests of what a connection holds.
    private(set) var buffer: [UInt8] = []
    private var start = 0          // first unconsumed byte
    private var scanFrom = 0       // where the search for the end of the head resumes
    private var state = State.head
    private var continueSent = false
    // chunked decoding progress, relative to `start`
    private var chunkCursor = 0
    private var chunkBody: [UInt8] = []

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Unconsumed bytes buffered.
    package var bufferedCount: Int { buffer.count - start }

    /// The unconsumed bytes (a connection sniffing for the HTTP/2 preface looks at them).
    var bufferedBytes: ArraySlice<UInt8> { buffer[start...] }

    /// Hands over the unconsumed bytes and empties the buffer: the connection is switching to
    /// another protocol, which parses them.
    mutating func takeBuffered() -> [UInt8] {
        let rest = Array(buffer[start...])
        buffer = []
        start = 0
        scanFrom = 0
        state = .head
        return rest
    }

    package var phase: Phase {
        switch state {
        case .head: bufferedCount == 0 ? .idle : .head
        case .body: .body
        case .failed: .idle
        }
    }

    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            scanFrom = 0
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next event from what is buffered. After `.error` the parser stays failed.
    package mutating func next() -> Event {
        switch state {
        case .failed:
            return .needMore
        case .head:
            return parseHead()
        case .body(let request, let framing, let bodyStart):
            return parseBody(request, framing, bodyStart)
        }
    }

    // MARK: head

    private mutating func parseHead() -> Event {
        // Tolerate empty lines before a request (RFC 9112 §2.2).
        while start + 1 < buffer.count && buffer[start] == 13 && buffer[start + 1] == 10 { start += 2 }
        let found: Int?
        do { found = try findHeadEnd() } catch { return fail(error) }
        guard let end = found else {
            if bufferedCount > limits.maxHeaderBytes { return fail(.headersTooLarge(limit: limits.maxHeaderBytes)) }
            return .needMore
        }
        if end - start > limits.maxHeaderBytes { return fail(.headersTooLarge(limit: limits.maxHeaderBytes)) }
        var head: Request
        let framing: Framing
        do {
            (head, framing) = try buffer.withUnsafeBufferPointer { all throws(HTTPParseError) in
                try Self.parseHeadLines(UnsafeBufferPointer(rebasing: all[start..<end]), limits: limits)
            }
        } catch {
            return fail(error)
        }
        let bodyStart = end + 4
        // The common case: the whole body came with the head. Hand the request over without
        // parking it in `state` (a copy in and a release out per request).
        if case .length(let n) = framing, buffer.count - bodyStart >= n {
            if n > 0 { head.body = Array(buffer[bodyStart..<(bodyStart + n)]) }
            return finish(head, consumedTo: bodyStart + n)
        }
        state = .body(head, framing, bodyStart: bodyStart)
        chunkCursor = bodyStart
        chunkBody = []
        continueSent = false
        return parseBody(head, framing, bodyStart)
    }

    /// Where the CRLFCRLF that ends the head starts, or nil while it has not come. Throws when a
    /// line of the head ended in a bare LF, as soon as that LF is buffered.
    private mutating func findHeadEnd() throws(HTTPParseError) -> Int? {
        let from = max(scanFrom, start)
        let n = buffer.count
        let headStart = start
        var bareLF = false
        // A plain closure, not a throwing one: the search runs once per request and a throwing
        // closure through `withUnsafeBufferPointer` costs more than the flag.
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            var i = from
            while i + 3 < n {
                if bytes[i + 3] != 10 {
                    // No LF at i + 3 rules out a CRLFCRLF starting at i; skip ahead by the
                    // distance to the next possible LF.
                    i += bytes[i + 3] == 13 ? 1 : 4
                    continue
                }
                if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 { return i }
                i += 1
            }
            // No end yet. A client that ends its lines with LF alone sends no CRLFCRLF and waits
            // for an answer: refuse it now rather than with a 408 at the header timeout. The
            // search above skips bytes, so this looks through the ones it covered; only here,
            // so a head that arrives whole (nearly every one) never pays for it.
            bareLF = HeadLines.hasBareLF(in: bytes, from: from, headStart: headStart)
            return nil
        }
        if bareLF { throw HeadLines.bareLF }
        if found == nil { scanFrom = max(start, n - 3) }
        return found
    }

    private static func parseHeadLines(_ bytes: UnsafeBufferPointer<UInt8>, limits: Limits) throws(HTTPParseError) -> (Request, Framing) {
        var lines = HeadLines(bytes)
        guard let requestLine = try lines.next() else { throw .badRequestLine("empty") }
        guard let firstSpace = HeadLines.firstIndex(of: 32, in: requestLine),
              let secondSpace = HeadLines.firstIndex(of: 32, in: requestLine[(firstSpace + 1)...])
        else { throw .badRequestLine("expected 'METHOD target HTTP/1.1'") }
        let method = requestLine[requestLine.startIndex..<firstSpace]
        let target = requestLine[(firstSpace + 1)..<secondSpace]
        let version = requestLine[(secondSpace + 1)...]
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { throw .badRequestLine("invalid method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .badRequestLine("invalid request target") }
        // "HTTP/" digit "." digit, compared in place: this runs once per request.
        let v = version.startIndex
        guard version.count == 8, version[v] == 72, version[v + 1] == 84, version[v + 2] == 84, version[v + 3] == 80,
              version[v + 4] == 47, version[v + 6] == 46,
              (48...57).contains(version[v + 5]), (48...57).contains(version[v + 7])
        else { throw .badRequestLine("invalid HTTP version") }
        guard version[v + 5] == 49, version[v + 7] <= 49 else {
            throw .unsupportedVersion(String(decoding: version, as: UTF8.self))
        }
        let minor = Int(version[v + 7] - 48)
        var headers = Headers(capacity: 8)
        // Framing and persistence are decided from the bytes as the fields go by; only unusual
        // framing (several lengths, any Transfer-Encoding) goes back to the stored strings.
        var hasHost = false, closeToken = false, keepAliveToken = false, mentionsCoding = false, upgradeH2c = false
        var mentionsRequestID = false
        var lengthCount = 0, codingCount = 0
        var plainLength: Int?
        while let line = try lines.next() {
            guard let colon = HeadLines.firstIndex(of: 58, in: line) else { throw .badHeader("no colon") }
            let name = line[line.startIndex..<colon]
            if let first = line.first, first == 32 || first == 9 { throw .badHeader("obsolete line folding") }
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw .badHeader("invalid field name") }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
            while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
            guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { throw .badHeader("control character in value") }
            // Well-known names reuse a literal: no decoding, no lower-casing, no allocation.
            let known = KnownName(name)
            // So does the usual Content-Type, one byte too long for an inline small string.
            let valueString = known == .contentType && Self.isJSONMediaType(value)
                ? "application/json" : String(decoding: value, as: UTF8.self)
            if let known {
                switch known {
                case .host: hasHost = true
                case .contentLength:
                    lengthCount += 1
                    if lengthCount == 1 { plainLength = plainDecimal(value) }
                case .transferEncoding: codingCount += 1
                case .connection:
                    for token in valueString.split(separator: ",") {
                        switch token.trimmingSpaces().lowercased() {
                        case "close": closeToken = true
                        case "keep-alive": keepAliveToken = true
                        default: break
                        }
                    }
                case .upgrade:
                    upgradeH2c = upgradeH2c || valueString.split(separator: ",").contains { $0.trimmingSpaces().lowercased() == "h2c" }
                case .contentEncoding, .acceptEncoding: mentionsCoding = true
                case .requestID, .traceparent: mentionsRequestID = true
                case .contentType, .expect, .userAgent, .accept, .authorization: break
                }
                headers.add(lowercased: known.name, valueString)
                continue
            }
            let lowerName = name.contains(where: { $0 >= 65 && $0 <= 90 })
                ? String(decoding: name.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
                : String(decoding: name, as: UTF8.self)
            headers.add(lowercased: lowerName, valueString)
        }
        if minor == 1 && !hasHost { throw .missingHost }
        let framing: Framing
        if codingCount == 0 && lengthCount <= 1 && (lengthCount == 0 || plainLength != nil) {
            let n = plainLength ?? 0
            if n > limits.maxBodyBytes { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
            framing = .length(n)
        } else {
            framing = try Self.framing(
                transferEncodings: headers.values("transfer-encoding"), contentLengths: headers.values("content-length"),
                minor: minor, limits: limits)
        }
        let keepAlive = minor == 1 ? !closeToken : keepAliveToken
        var request = Request(
            method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            headers: headers, minorVersion: minor, keepAlive: keepAlive, mentionsCoding: mentionsCoding,
            mentionsRequestID: mentionsRequestID)
        request.wantsH2c = upgradeH2c && minor == 1
        return (request, framing)
    }

    /// Whether a field value is exactly `application/json`, as nearly every inference request's
    /// Content-Type is.
    private static func isJSONMediaType(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let expected: StaticString = "application/json"
        guard value.count == expected.utf8CodeUnitCount, let base = value.base.baseAddress else { return false }
        return expected.withUTF8Buffer { literal in
            guard let start = literal.baseAddress else { return false }
            return memcmp(base + value.startIndex, start, value.count) == 0
        }
    }

    private static func framing(transferEncodings te: [String], contentLengths cl: [String], minor: Int, limits: Limits) throws(HTTPParseError) -> Framing {
        if !te.isEmpty {
            guard cl.isEmpty else { throw .ambiguousFraming("both Content-Length and Transfer-Encoding") }
            guard minor == 1 else { throw .ambiguousFraming("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = te.joined(separator: ",").split(separator: ",").map { $0.trimmingSpaces().lowercased() }
            guard codings == ["chunked"] else { throw .unsupportedTransferEncoding(te.joined(separator: ", ")) }
            return .chunked
        }
        var length: Int?
        for value in cl {
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = item.trimmingSpaces()
                guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(digits) else {
                    throw .badContentLength("'\(value)' is not a non-negative integer")
                }
                if let seen = length, seen != n { throw .ambiguousFraming("conflicting Content-Length values") }
                length = n
            }
        }
        let n = length ?? 0
        if n > limits.maxBodyBytes { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        return .length(n)
    }

    // MARK: body

    private mutating func parseBody(_ head: Request, _ framing: Framing, _ bodyStart: Int) -> Event {
        switch framing {
        case .length(let n):
            if buffer.count - bodyStart >= n {
                var request = head
                request.body = Array(buffer[bodyStart..<(bodyStart + n)])
                return finish(request, consumedTo: bodyStart + n)
            }
            return continueIfExpected(head)
        case .chunked:
            do {
                if let end = try decodeChunks() {
                    var request = head
                    request.body = chunkBody
                    chunkBody = []
                    return finish(request, consumedTo: end)
                }
            } catch {
                return fail(error)
            }
            return continueIfExpected(head)
        }
    }

    private mutating func continueIfExpected(_ head: Request) -> Event {
        if !continueSent, head.minorVersion == 1, head.headers["expect"]?.lowercased() == "100-continue" {
            continueSent = true
            return .expectContinue
        }
        return .needMore
    }

    /// Decodes whole chunks from `chunkCursor`; returns the index after the final CRLF when done.
    private mutating func decodeChunks() throws(HTTPParseError) -> Int? {
        while true {
            guard let lineEnd = findCRLF(from: chunkCursor) else {
                if buffer.count - chunkCursor > 1024 { throw .badChunk("chunk size line too long") }
                return nil
            }
            var sizeEnd = chunkCursor
            while sizeEnd < lineEnd, buffer[sizeEnd] != 59 /* ; */ { sizeEnd += 1 }
            var size = 0
            guard sizeEnd > chunkCursor, sizeEnd - chunkCursor <= 15 else { throw .badChunk("invalid chunk size") }
            for i in chunkCursor..<sizeEnd {
                guard let digit = hexValue(buffer[i]) else { throw .badChunk("invalid chunk size") }
                size = size * 16 + digit
            }
            if size == 0 {
                // Trailer section: skip fields until the empty line.
                var cursor = lineEnd + 2
                while true {
                    guard let end = findCRLF(from: cursor) else {
                        if buffer.count - cursor > limits.maxHeaderBytes { throw .headersTooLarge(limit: limits.maxHeaderBytes) }
                        return nil
                    }
                    if end == cursor { return end + 2 }
                    cursor = end + 2
                }
            }
            if chunkBody.count + size > limits.maxBodyBytes { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
            let dataStart = lineEnd + 2
            guard buffer.count >= dataStart + size + 2 else { return nil }
            guard buffer[dataStart + size] == 13, buffer[dataStart + size + 1] == 10 else { throw .badChunk("chunk data longer than its size") }
            chunkBody.append(contentsOf: buffer[dataStart..<(dataStart + size)])
            chunkCursor = dataStart + size + 2
        }
    }

    private func findCRLF(from index: Int) -> Int? {
        var i = index
        while i + 1 < buffer.count {
            if buffer[i] == 13 { return buffer[i + 1] == 10 ? i : nil }
            if buffer[i] == 10 { return nil }
            i += 1
        }
        return nil
    }

    private mutating func finish(_ request: Request, consumedTo end: Int) -> Event {
        start = end
        scanFrom = end
        state = .head
        if start > 64 * 1024 && start * 2 > buffer.count {
            // A large request is done: keep the bytes after it in a buffer of their own size, so
            // that a connection does not hold an upload's room (up to `maxBodyBytes`) for as long
            // as it stays open.
            buffer = Array(buffer[start...])
            scanFrom -= start
            start = 0
        }
        return .request(request)
    }

    private mutating func fail(_ error: HTTPParseError) -> Event {
        state = .failed
        return .error(error)
    }
}

private func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 48...57: Int(b - 48)
    case 65...70: Int(b - 55)
    case 97...102: Int(b - 87)
    default: nil
    }
}
