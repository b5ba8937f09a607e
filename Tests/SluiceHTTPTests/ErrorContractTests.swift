import Testing
@testable import SluiceHTTP

/// The gRPC code every error carries follows from its HTTP status unless it says otherwise.
@Test(arguments: [
    (400, ErrorCode.invalidArgument), (401, .unauthenticated), (403, .permissionDenied), (404, .notFound),
    (405, .unimplemented), (408, .deadlineExceeded), (409, .failedPrecondition), (413, .resourceExhausted),
    (415, .invalidArgument), (429, .resourceExhausted), (431, .resourceExhausted), (500, .internal),
    (501, .unimplemented), (503, .unavailable), (504, .deadlineExceeded), (505, .unimplemented), (418, .invalidArgument),
])
func aStatusStandsForItsGRPCCode(_ status: Int, _ code: ErrorCode) {
    #expect(ErrorCode(status: status) == code)
}

@Test func theHTTPLayersOwnErrorsCarryTheirCodes() {
    // No endpoint at a path is, for a gRPC call, a method the server does not have.
    #expect(HTTPError.notFound(path: "/x").code == .unimplemented)
    #expect(HTTPError.methodNotAllowed(method: "GET", path: "/x", allowed: ["POST"]).code == .unimplemented)
    #expect(HTTPError.connectionBodiesTooLarge(limit: 1).code == .resourceExhausted)
    #expect(HTTPError.bodyTimeout.code == .deadlineExceeded)
    #expect(HTTPParseError.bodyTooLarge(limit: 1).code == .resourceExhausted)
    #expect(ContentCodingError.unsupported("br").code == .invalidArgument)
}
