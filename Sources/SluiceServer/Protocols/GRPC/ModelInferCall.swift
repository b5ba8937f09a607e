import SluiceCore

/// What `ModelInfer` reads of a call's request message (`ModelInferRequestDecoder`): the model
/// and version it names, its `parameters` (for a route's rules), and the fields of its
/// `InferenceRequest` as they came, which `inferenceRequest()` checks against each other.
/// Raw input contents stay regions of the call's body until a tensor is made of them.
package struct ModelInferCall: Sendable {
    /// The call's body, which `rawInputContents` index into.
    let body: [UInt8]
    package var modelName = ""
    var modelVersion = ""
    var id = ""
    /// The `parameters` entries in the order given; a later entry of a key replaces an
    /// earlier one, as in protobuf's map.
    var parameters: [Parameter] = []
    var inputs: [Input] = []
    /// The requested outputs' names.
    var outputs: [String] = []
    var rawInputContents: [Range<Int>] = []

    init(body: [UInt8]) {
        self.body = body
    }

    struct Parameter: Sendable {
        let key: String
        /// The value when it is a `string_param`.
        let string: String?
        /// The value when it is an `int64_param`.
        let int64: Int64?
    }

    struct Input: Sendable {
        var name = ""
        /// Nil when `datatype` names none (`datatypeText`, for the error; proto3's default "").
        var datatype: DataType?
        var datatypeText = ""
        var shape: [Int] = []
        /// Nil when the tensor has no `contents` message.
        var contents: Contents?
    }

    /// `InferTensorContents`: one array per typed field.
    struct Contents: Sendable {
        var bool: [Bool] = []
        var int: [Int32] = []
        var int64: [Int64] = []
        var uint: [UInt32] = []
        var uint64: [UInt64] = []
        var fp32: [Float] = []
        var fp64: [Double] = []
        var bytes: [[UInt8]] = []
    }

    /// The string value of the request parameter `key` (the last entry of it), if it is one.
    package func stringParameter(_ key: String) -> String? {
        parameters.last { $0.key == key }?.string
    }

    /// The request's `timeout` parameter (Triton's: microseconds, an `int64_param` ≥ 0), for
    /// the request's deadline; nil when the call has none. Throws `.invalidInput` for another
    /// type or a negative value.
    func timeoutMicroseconds() throws(ServingError) -> UInt64? {
        guard let entry = parameters.last(where: { $0.key == "timeout" }) else { return nil }
        guard let value = entry.int64, value >= 0 else {
            throw .invalidInput("parameter 'timeout' must be an int64_param of at least 0 (microseconds)")
        }
        return UInt64(value)
    }
}
