import SluiceCore
import SluiceHTTP
import Testing
@testable import SluiceServer

/// Errors that share an HTTP status but not a meaning tell a gRPC front end apart.
@Test func anOverloadIsResourceExhaustedWhereAnUnreadyVersionIsUnavailable() {
    #expect(OverloadError.queueFull(waiting: 3).status == 503)
    #expect(OverloadError.queueFull(waiting: 3).code == .resourceExhausted)
    #expect(ServingError.unavailable("no ready version").status == 503)
    #expect(ServingError.unavailable("no ready version").code == .unavailable)
    #expect(ServingError.backendFailure("boom").code == .internal)
    #expect(AuthError.missingToken.code == .unauthenticated)
    // Issue #15: a wrong token is PERMISSION_DENIED to gRPC, though REST answers it 401.
    #expect(AuthError.wrongToken.code == .permissionDenied)
    #expect(RouteChangeError.conflict("x").code == .failedPrecondition)
    // Both 503s ask the client to come back.
    #expect(OverloadError.queueFull(waiting: 3).headers["retry-after"] == "1")
    #expect(ServingError.unavailable("x").headers["retry-after"] == "1")
}
