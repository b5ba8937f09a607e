/// Why a body is not the JSON a decoder expected: either bad syntax (with the byte offset where
/// the reader gave up) or well-formed JSON of the wrong shape (no offset).
///
/// Thrown by `JSONReader` and by the protocol decoders built on it, always on the thread that
/// decodes the body; the protocol layer turns it into `ServingError.invalidInput` (a 400).
package struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    /// Byte offset into the body for syntax errors; `nil` when the fault is in the meaning.
    package var offset: Int?

    package init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    package var description: String {
        guard let offset else { return message }
        return "invalid JSON at byte \(offset): \(message)"
    }

    /// The same fault, with a prefix naming where in the document it happened
    /// (for example `input 'x'`), keeping the offset.
    func prefixed(_ context: String) -> JSONError {
        JSONError("\(context): \(message)", at: offset)
    }
}
