/// What an access log line needs of a request once its body is gone.
package struct RequestSummary: Sendable {
    package var method: String
    package var target: String

    static let none = RequestSummary(method: "", target: "")
}
