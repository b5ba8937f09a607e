package import SluiceCore
package import SluiceHTTP

/// The serving core's errors under the one error contract (README "Try it" and "Errors", STYLE
/// "Errors"): Core knows no HTTP, so the statuses of its errors are decided here, each in one
/// exhaustive switch.
extension ServingError: HTTPResponseError {
    package var status: Int {
        switch self {
        case .invalidInput: 400
        case .modelNotFound, .versionNotFound, .labelNotFound: 404
        case .unsupportedMediaType: 415
        case .unavailable: 503
        case .deadlineExceeded: 504
        case .backendFailure, .loadFailure: 500
        }
    }

    /// Our own faults answer a generic message; the details go to the fault log with the
    /// request id (`Server`'s `faultLog`).
    package var message: String {
        status == 500 ? Response.internalErrorMessage : description
    }

    /// A version that cannot serve now may be able to soon.
    package var headers: Headers {
        status == 503 ? .retryAfterOneSecond : Headers()
    }
}

/// A refused route change of the admin API.
extension RouteChangeError: HTTPResponseError {
    package var status: Int {
        switch self {
        case .notFound: 404
        case .invalid: 400
        case .conflict: 409
        case .notPersisted: 500
        }
    }

    /// The admin (not an anonymous client) reads why, a failed write of the routes file included.
    package var message: String { description }
}
