package import SluiceCore

/// A V2 (Open Inference Protocol) inference request as read off the wire: the protocol-free
/// `InferenceRequest` plus what only the V2 response encoder needs.
///
/// Made by `V2Request.decode(_:jsonLength:)` on the event loop that received the body (a worker for a large one); handed
/// to the data plane (`request`) and back to `V2ResponseEncoder` (the flags).
package struct V2Request: Sendable {
    /// What the data plane runs: id, input tensors, requested outputs with their `binary_data`.
    package var request: InferenceRequest
    /// Request-level `parameters.binary_data_output`: every output binary unless an output's own
    /// `binary_data` says otherwise.
    package var binaryDataOutput: Bool
    /// Request-level `parameters.timeout` (microseconds, Triton's meaning): the request's
    /// deadline, `RequestContext.applyTimeout`. Nil when absent.
    package var timeoutMicroseconds: UInt64?

    package init(request: InferenceRequest, binaryDataOutput: Bool = false, timeoutMicroseconds: UInt64? = nil) {
        self.request = request
        self.binaryDataOutput = binaryDataOutput
        self.timeoutMicroseconds = timeoutMicroseconds
    }
}

/// The binary tensor data extension's HTTP header, which splits a body into JSON and binary data.
package enum V2BinaryHeader {
    /// Header name (compare case-insensitively, as for any HTTP header).
    package static let name = "Inference-Header-Content-Length"

    /// Parses the header's value: decimal digits only (no sign, no spaces), at most `bodyCount`.
    /// Throws `invalidInput` otherwise. Called by the endpoint before `V2Request.decode`.
    package static func parseLength(_ value: some StringProtocol, bodyCount: Int) throws(ServingError) -> Int {
        var length = 0
        guard !value.isEmpty else { throw .invalidInput("\(name) is empty") }
        for b in value.utf8 {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else {
                throw .invalidInput("\(name) '\(value)' is not a non-negative integer")
            }
            let (m, o1) = length.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .invalidInput("\(name) '\(value)' is larger than the body") }
            length = s
        }
        guard length <= bodyCount else {
            throw .invalidInput("\(name) \(length) is larger than the body (\(bodyCount) bytes)")
        }
        return length
    }
}
