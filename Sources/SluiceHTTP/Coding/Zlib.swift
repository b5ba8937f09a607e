import CZlib

/// zlib's one-shot inflate and deflate for content codings. Pure functions on byte arrays;
/// any thread.
enum Zlib {
    /// zlib's window-bits convention: which framing the stream has.
    enum Framing {
        /// RFC 1952 (`Content-Encoding: gzip`).
        case gzip
        /// RFC 1950, the zlib wrapper (`Content-Encoding: deflate` as RFC 9110 defines it).
        case zlib
        /// Bare RFC 1951 blocks, which some clients send as `deflate`.
        case raw

        var windowBits: Int32 {
            switch self {
            case .gzip: 31
            case .zlib: 15
            case .raw: -15
            }
        }
    }

    enum InflateError: Error, Equatable {
        /// The output grew past the limit; inflating stopped there.
        case tooLarge
        case corrupt(String)
    }

    /// Decompresses `input`, stopping with `.tooLarge` as soon as the output would pass `limit`
    /// bytes (a bomb costs at most `limit` plus one chunk of work). Concatenated gzip members
    /// are decoded in turn, as gzip(1) does.
    static func inflate(_ input: [UInt8], _ framing: Framing, limit: Int) -> Result<[UInt8], InflateError> {
        var stream = z_stream()
        guard sluice_inflateInit2(&stream, framing.windowBits) == Z_OK else { return .failure(.corrupt("zlib could not start")) }
        defer { inflateEnd(&stream) }
        let chunkSize = 64 * 1024
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(4096, input.count * 4)))
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        return input.withUnsafeBufferPointer { source -> Result<[UInt8], InflateError> in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkSize - Int(stream.avail_out)
                guard output.count + produced <= limit else { return .failure(.tooLarge) }
                output += chunk[0..<produced]
                switch rc {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return .success(output) }
                    guard case .gzip = framing, inflateReset(&stream) == Z_OK else {
                        return .failure(.corrupt("bytes after the end of the compressed stream"))
                    }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    return .failure(.corrupt("the compressed stream is truncated"))
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    return .failure(.corrupt(message))
                }
            }
        }
    }

    /// Compresses `input` in one call at `level` (1 fastest … 9 smallest). Nil only if zlib
    /// cannot allocate its state.
    static func deflate(_ input: [UInt8], _ framing: Framing, level: Int32) -> [UInt8]? {
        var stream = z_stream()
        guard sluice_deflateInit2(&stream, level, framing.windowBits) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var ok = false
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            input.withUnsafeBufferPointer { source in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(bound)
                ok = CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END
            }
            count = ok ? Int(stream.total_out) : 0
        }
        return ok ? output : nil
    }
}
