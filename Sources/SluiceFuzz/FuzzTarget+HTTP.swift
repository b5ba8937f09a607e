import SluiceHTTP

extension FuzzTarget {
    /// Limits small enough that short inputs reach the size checks.
    static let http1Limits = HTTPParser.Limits(maxHeaderBytes: 2048, maxBodyBytes: 2048)

    /// Parses `bytes` as a stream of HTTP/1.1 requests twice: whole, and in pieces of a few
    /// bytes, as a slow client or small TCP segments deliver them. How the bytes are cut must
    /// not change a single request: a parser that answers differently is one a smuggler can
    /// steer.
    static func parseHTTP1(_ bytes: [UInt8]) {
        let whole = events(of: [bytes])
        let piece = 1 + bytes.count % 7
        let pieces = stride(from: 0, to: bytes.count, by: piece).map { Array(bytes[$0..<min($0 + piece, bytes.count)]) }
        let cut = events(of: pieces)
        precondition(whole == cut, "whole: \(whole)\nin pieces of \(piece): \(cut)")
    }

    /// The requests the parser gives for `pieces`, appended one after the other, and whether it
    /// then refused the stream. Which fault it names may differ: a head cut short is refused at
    /// the first bare LF buffered, a whole one at its first bad line, so the same bytes can be a
    /// 505 whole and a 400 in pieces; either way the connection is answered and closed.
    /// `100 Continue` prompts are left out: they depend on whether the body came with the head.
    private static func events(of pieces: [[UInt8]]) -> [String] {
        var parser = HTTPParser(limits: http1Limits)
        var seen: [String] = []
        for piece in pieces {
            parser.append(piece)
            while true {
                switch parser.next() {
                case .needMore: break
                case .expectContinue: continue
                case .request(let r):
                    let fields = r.headers.map { "\($0.name): \($0.value)" }.joined(separator: "|")
                    seen.append("\(r.method) \(r.target) 1.\(r.minorVersion) keep=\(r.keepAlive) [\(fields)] body=\(r.body)")
                    continue
                case .error:
                    seen.append("refused")
                    return seen
                }
                break
            }
        }
        return seen
    }
}
