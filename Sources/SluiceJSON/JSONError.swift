/// Why a body is not the JSON a decoder expected: bad syntax (with the byte offset where the
/// reader gave up), a value its target cannot hold (`300` for UINT8, also with an offset), or
/// well-formed JSON of the wrong shape (no offset).
///
/// Thrown by `JSONReader` and by the decoders built on it, always on the thread that decodes
/// the document; the protocol layer turns it into `ServingError.invalidInput` (a 400), the
/// model and state-file readers into their own errors.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Byte offset into the body for syntax errors; `nil` when the fault is in the meaning.
    public var offset: Int?
    /// The bytes are not JSON at all (as opposed to JSON the decoder cannot use).
    public var isSyntax: Bool

    /// A syntax error when `offset` is given, a fault in the meaning otherwise.
    public init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
        self.isSyntax = offset != nil
    }

    /// Valid JSON holding a value its target cannot take, at `offset`.
    public init(value message: String, at offset: Int) {
        self.message = message
        self.offset = offset
        self.isSyntax = false
    }

    public var description: String {
        guard let offset else { return message }
        return isSyntax ? "invalid JSON at byte \(offset): \(message)" : "\(message) (byte \(offset))"
    }

    /// The same fault, with a prefix naming where in the document it happened
    /// (for example `input 'x'`), keeping the offset. Called by decoders as an error passes
    /// out of the part of the document it concerns.
    public func prefixed(_ context: String) -> JSONError {
        var e = self
        e.message = "\(context): \(message)"
        return e
    }
}
