import Glibc
import SluiceNet

/// The pieces of a head the parser reads field by field: its lines, and the field names it
/// knows on sight.
extension HTTPParser {
    /// Field names the parser or the server looks at, recognised from raw bytes in any case.
    enum KnownName {
        case host, contentLength, contentType, transferEncoding, connection, expect, userAgent, accept, authorization
        case contentEncoding, acceptEncoding, upgrade, requestID, traceparent

        init?(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
            // The length and first byte narrow it to one candidate; then one comparison decides.
            let candidate: KnownName
            switch (bytes.count, bytes[bytes.startIndex] | 0x20) {
            case (4, UInt8(ascii: "h")): candidate = .host
            case (14, UInt8(ascii: "c")): candidate = .contentLength
            case (12, UInt8(ascii: "c")): candidate = .contentType
            case (17, UInt8(ascii: "t")): candidate = .transferEncoding
            case (10, UInt8(ascii: "c")): candidate = .connection
            case (6, UInt8(ascii: "e")): candidate = .expect
            case (10, UInt8(ascii: "u")): candidate = .userAgent
            case (6, UInt8(ascii: "a")): candidate = .accept
            case (13, UInt8(ascii: "a")): candidate = .authorization
            case (7, UInt8(ascii: "u")): candidate = .upgrade
            case (16, UInt8(ascii: "c")): candidate = .contentEncoding
            case (15, UInt8(ascii: "a")): candidate = .acceptEncoding
            case (12, UInt8(ascii: "x")): candidate = .requestID
            case (11, UInt8(ascii: "t")): candidate = .traceparent
            default: return nil
            }
            // `name` is a literal, whose UTF-8 is contiguous: compare through its pointer, as a
            // String's UTF-8 view costs several times more per byte, and this runs for most fields
            // of every request. (A non-contiguous name would only mean "not a known name".)
            // The caller checked that the name is token bytes, and among those setting bit 5 maps
            // only capitals onto the letters and '-' that known names are made of.
            guard let base = bytes.base.baseAddress else { return nil }
            let name = base + bytes.startIndex
            let matches = candidate.name.utf8.withContiguousStorageIfAvailable { expected -> Bool in
                // The switch above matched the length; checked again so a case added with the wrong
                // length cannot read past the name.
                guard expected.count == bytes.count else { return false }
                for k in 0..<expected.count where name[k] | 0x20 != expected[k] { return false }
                return true
            }
            guard matches == true else { return nil }
            self = candidate
        }

        /// The lower-case name, a literal (no allocation when stored).
        var name: String {
            switch self {
            case .host: "host"
            case .contentLength: "content-length"
            case .contentType: "content-type"
            case .transferEncoding: "transfer-encoding"
            case .connection: "connection"
            case .expect: "expect"
            case .userAgent: "user-agent"
            case .accept: "accept"
            case .authorization: "authorization"
            case .upgrade: "upgrade"
            case .contentEncoding: "content-encoding"
            case .acceptEncoding: "accept-encoding"
            case .requestID: "x-request-id"
            case .traceparent: "traceparent"
            }
        }
    }

    /// Splits a head into CRLF-terminated lines; a bare CR or LF is an error.
    struct HeadLines {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }

        /// Where `byte` first occurs in `line`, found with `memchr`.
        static func firstIndex(of byte: UInt8, in line: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
            guard !line.isEmpty, let base = line.base.baseAddress else { return nil }
            return offset(of: byte, from: base + line.startIndex, count: line.count).map { line.startIndex + $0 }
        }

        /// How far past `from` `byte` first occurs within `count` bytes (`memchr`, vectorised in
        /// glibc), or nil.
        private static func offset(of byte: UInt8, from: UnsafePointer<UInt8>, count: Int) -> Int? {
            memchr(from, Int32(byte), count).map { UnsafeRawPointer(from).distance(to: UnsafeRawPointer($0)) }
        }

        /// A line end of LF alone: an error wherever the parser meets it.
        static let bareLF = HTTPParseError.badHeader("bare LF")

        /// Whether an LF in `bytes[from...]` has no CR before it, the byte before
        /// `headStart` not counting. For a head whose end has not come: every LF is found with
        /// `memchr`, as the search for the end skips bytes.
        static func hasBareLF(in bytes: UnsafeBufferPointer<UInt8>, from: Int, headStart: Int) -> Bool {
            guard let base = bytes.baseAddress else { return false }
            var i = from
            while i < bytes.endIndex, let found = offset(of: 10, from: base + i, count: bytes.endIndex - i) {
                let lf = i + found
                if lf == headStart || base[lf - 1] != 13 { return true }
                i = lf + 1
            }
            return false
        }

        /// The next line without its CRLF; a CR not followed by LF, or an LF not preceded by CR,
        /// is an error. The line ends are found with `memchr` (vectorised in glibc): this runs for
        /// every line of every request.
        mutating func next() throws(HTTPParseError) -> Slice<UnsafeBufferPointer<UInt8>>? {
            guard index < bytes.endIndex, let base = bytes.baseAddress else { return nil }
            let count = bytes.endIndex - index
            let from = base + index
            let cr = Self.offset(of: 13, from: from, count: count)
            let lf = Self.offset(of: 10, from: from, count: cr ?? count)
            if lf != nil { throw Self.bareLF }
            let end: Int
            if let cr {
                guard cr + 1 < count, from[cr + 1] == 10 else { throw .badHeader("bare CR") }
                end = index + cr
            } else {
                end = bytes.endIndex
            }
            let line = bytes[index..<end]
            index = min(end + 2, bytes.endIndex)
            return line
        }
    }

    /// RFC 9110 `tchar`: digits, letters and ``!#$%&'*+-.^_`|~``, as one bit per byte value below
    /// 128 (a shift and a mask per byte, for every byte of every field name).
    static func isTokenByte(_ b: UInt8) -> Bool {
        let below64: UInt64 = 0x03FF_6CFA_0000_0000
        let from64: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        let word = b < 64 ? below64 : b < 128 ? from64 : 0
        return (word >> UInt64(b & 63)) & 1 == 1
    }

    /// The value of a plain decimal Content-Length (1 to 18 digits, nothing else), else nil.
    static func plainDecimal(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            n = n * 10 + Int(b - 48)
        }
        return n
    }
}
