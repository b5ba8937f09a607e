import CLinux
import Glibc

extension HTTPClient {
    /// One exchange on a connected socket: sends the request, then reads the answer's head and
    /// body as they arrive, every wait bounded by `deadline`. Bytes are consumed from the front
    /// of `buffer`, which is compacted as it goes, so it holds little more than what a step of
    /// parsing needs (the body itself is bounded by the caller's `maxBody`).
    struct Reader {
        let fd: Int32
        let deadline: UInt64
        var buffer: [UInt8] = []
        var start = 0
        /// Head bytes read so far for the answer being parsed.
        var headBytes = 0

        init(fd: Int32, deadline: UInt64) {
            self.fd = fd
            self.deadline = deadline
        }

        mutating func send(_ bytes: [UInt8]) throws(HTTPClientError) {
            var sent = 0
            while sent < bytes.count {
                let result: IOResult<Int>
                do {
                    result = try syscall("send") {
                        bytes.withUnsafeBytes { raw in
                            Glibc.send(fd, raw.baseAddress.map { $0 + sent }, raw.count - sent, Int32(MSG_NOSIGNAL))
                        }
                    }
                } catch {
                    throw .io(error)
                }
                switch result {
                case .done(let n): sent += n
                case .wouldBlock:
                    guard try HTTPClient.wait(fd, for: Int16(POLLOUT), until: deadline) else { throw .timedOut("sending the request") }
                }
            }
        }

        /// Appends what the socket has (waiting for it until the deadline); false at the end of
        /// the stream.
        mutating func fill(_ what: String) throws(HTTPClientError) -> Bool {
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let result: IOResult<Int>
                do {
                    result = try syscall("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
                } catch {
                    throw .io(error)
                }
                switch result {
                case .done(0):
                    return false
                case .done(let n):
                    buffer.append(contentsOf: chunk[..<n])
                    return true
                case .wouldBlock:
                    guard try HTTPClient.wait(fd, for: Int16(POLLIN), until: deadline) else { throw .timedOut("reading \(what)") }
                }
            }
        }

        /// The next line without its CR LF (a bare LF ends one too), at most `limit` bytes with
        /// its line end.
        mutating func line(_ what: String, limit: Int) throws(HTTPClientError) -> ArraySlice<UInt8> {
            var scanned = 0
            while true {
                if let lf = buffer[(start + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                    guard lf + 1 - start <= limit else { throw .tooLarge(limit: limit) }
                    var end = lf
                    if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let line = buffer[start..<end]
                    start = lf + 1
                    return line
                }
                scanned = buffer.count - start
                guard scanned <= limit else { throw .tooLarge(limit: limit) }
                guard try fill(what) else { throw .truncated(what) }
            }
        }

        /// Exactly `count` bytes.
        mutating func take(_ count: Int, _ what: String) throws(HTTPClientError) -> ArraySlice<UInt8> {
            while buffer.count - start < count {
                guard try fill(what) else { throw .truncated(what) }
            }
            defer { start += count }
            return buffer[start..<(start + count)]
        }

        /// The answer: heads of `1xx` answers are skipped; the body is framed by
        /// `Transfer-Encoding: chunked`, `Content-Length`, or the end of the connection.
        mutating func response(maxBody: Int) throws(HTTPClientError) -> Response {
            while true {
                headBytes = 0
                let status = try statusLine()
                let headers = try fields()
                if (100..<200).contains(status) { continue }
                var response = Response(status: status, headers: headers, body: [])
                let coding = response.header("transfer-encoding")?.lowercased()
                if let coding, coding.split(separator: ",").last.map({ $0.trimmingSpaces() == "chunked" }) == true {
                    response.body = try chunked(maxBody: maxBody)
                } else if coding != nil {
                    throw .malformed("transfer-encoding '\(coding ?? "")' is not chunked")
                } else if let length = try contentLength(headers) {
                    guard length <= maxBody else { throw .tooLarge(limit: maxBody) }
                    response.body = Array(try take(length, "the body"))
                } else if status == 204 || status == 304 {
                    response.body = []
                } else {
                    response.body = try untilClosed(maxBody: maxBody)
                }
                return response
            }
        }

        private mutating func headLine(_ what: String) throws(HTTPClientError) -> ArraySlice<UInt8> {
            let line = try line(what, limit: HTTPClient.maxHeadBytes - headBytes)
            headBytes += line.count + 2
            return line
        }

        /// `HTTP/1.x NNN reason`.
        private mutating func statusLine() throws(HTTPClientError) -> Int {
            let line = try headLine("the status line")
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].count == 3,
                  parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let status = Int(parts[1])
            else {
                throw .malformed("status line '\(text.prefix(80))'")
            }
            return status
        }

        private mutating func fields() throws(HTTPClientError) -> [(name: String, value: String)] {
            var fields: [(name: String, value: String)] = []
            while true {
                let line = try headLine("the header fields")
                if line.isEmpty { return fields }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                      line.first != UInt8(ascii: " "), line.first != UInt8(ascii: "\t")
                else {
                    throw .malformed("header line '\(String(decoding: line.prefix(80), as: UTF8.self))'")
                }
                let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
                fields.append((name, value))
            }
        }

        /// The one `Content-Length` (repeated fields must agree), nil without one.
        private func contentLength(_ headers: [(name: String, value: String)]) throws(HTTPClientError) -> Int? {
            var length: Int?
            for field in headers where field.name == "content-length" {
                guard !field.value.isEmpty, field.value.utf8.count <= 18, field.value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let n = Int(field.value), length == nil || length == n
                else {
                    throw .malformed("content-length '\(field.value.prefix(40))'")
                }
                length = n
            }
            return length
        }

        private mutating func chunked(maxBody: Int) throws(HTTPClientError) -> [UInt8] {
            var body: [UInt8] = []
            while true {
                let sizeLine = try line("a chunk size", limit: 4096)
                let digits = sizeLine.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
                // Hex digits only: `Int(_:radix:)` alone would take "-5" (a negative size) or "+5".
                let isHex = digits.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
                guard !digits.isEmpty, digits.count <= 15, isHex, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16) else {
                    throw .malformed("chunk size '\(String(decoding: sizeLine.prefix(40), as: UTF8.self))'")
                }
                if size == 0 {
                    // Trailer fields, then the empty line.
                    while try !headLine("the trailer fields").isEmpty {}
                    return body
                }
                guard size <= maxBody - body.count else { throw .tooLarge(limit: maxBody) }
                body += try take(size, "a chunk")
                guard try line("a chunk", limit: 2).isEmpty else { throw .malformed("a chunk is longer than its size") }
            }
        }

        private mutating func untilClosed(maxBody: Int) throws(HTTPClientError) -> [UInt8] {
            while try fill("the body") {
                guard buffer.count - start <= maxBody else { throw .tooLarge(limit: maxBody) }
            }
            return Array(buffer[start...])
        }
    }
}
