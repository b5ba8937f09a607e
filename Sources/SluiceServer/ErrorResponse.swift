import Logging
import SluiceCore
import SluiceHTTP

/// The one error-to-status table (DESIGN §5, STYLE "Errors"): every `ServingError` the data
/// plane throws becomes its status and a `{"error": …}` body here, and nowhere else.
/// Exhaustive on purpose: a new case does not compile until it has a status.
enum ErrorResponse {
    /// `body`'s response, or the response for the error it threw: the one way handlers that
    /// answer synchronously turn a `ServingError` into HTTP.
    static func answering(_ body: () throws(ServingError) -> Response) -> Response {
        do { return try body() } catch { return response(for: error) }
    }

    static func status(of error: ServingError) -> Int {
        switch error {
        case .invalidInput: 400
        case .modelNotFound, .versionNotFound, .labelNotFound: 404
        case .unsupportedMediaType: 415
        case .unavailable: 503
        case .backendFailure, .loadFailure: 500
        }
    }

    /// The response for an error raised while serving `model` version `version`: as below, and
    /// our own faults (500) are logged with their details, which the client does not see.
    static func response(for error: ServingError, model: String, version: Int) -> Response {
        let response = response(for: error)
        if response.status == 500 {
            Logger(label: "sluice").error("inference failed on \(model) version \(version): \(error)")
        }
        return response
    }

    static func response(for error: ServingError) -> Response {
        let status = status(of: error)
        var headers = Headers()
        if status == 503 || status == 429 { headers.add("retry-after", "1") }
        // Our own faults answer a generic message; the details go to the log (see DataPlane).
        let message = status == 500 ? "internal error while serving the request" : error.description
        return .error(status, message, headers: headers)
    }
}
