import SluiceJSON

/// The body of a Prometheus HTTP API instant query (`GET /api/v1/query`), read with the
/// project's `JSONReader`:
///
///     {"status":"success","data":{"resultType":"vector","result":[{"metric":{…},"value":[1765062000,"1.5"]}]}}
///     {"status":"error","errorType":"bad_data","error":"…"}
///
/// Pure; called by `PrometheusAnalyst` on the canary driver's thread.
package enum PrometheusAnswer {
    /// The one value of an instant vector (or of a scalar): nil for an empty vector; `NaN`,
    /// `+Inf` and `-Inf` as those values. Throws for `status: error` (with Prometheus' own
    /// message), for more than one series, and for anything that is not such a document.
    package static func value(_ body: [UInt8]) throws(AnalysisError) -> Double? {
        let parsed = body.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> Parsed in
                var r = JSONReader(raw)
                return try parse(&r)
            }
        }
        let answer: Parsed
        switch parsed {
        case .success(let p): answer = p
        case .failure(let error): throw AnalysisError("unreadable answer (\(error))")
        }
        guard answer.status == "success" else {
            guard let status = answer.status else { throw AnalysisError("unreadable answer (no status)") }
            let kind = answer.errorType.map { "\($0): " } ?? ""
            throw AnalysisError("Prometheus answered status \(status): \(kind)\(answer.error ?? "no message")")
        }
        guard answer.sawResult else { throw AnalysisError("unreadable answer (no data.result)") }
        guard answer.values.count <= 1 else {
            throw AnalysisError("the query returned \(answer.values.count) series where one was expected")
        }
        return answer.values.first
    }

    struct Parsed {
        var status: String?
        var errorType: String?
        var error: String?
        var sawResult = false
        var values: [Double] = []
    }

    static func parse(_ r: inout JSONReader) throws(JSONError) -> Parsed {
        var p = Parsed()
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "status": p.status = try string(&r)
            case "errorType": p.errorType = try string(&r)
            case "error": p.error = try string(&r)
            case "data" where r.peek() == UInt8(ascii: "{"):
                try r.beginObject()
                while let dataKey = try r.nextKey() {
                    guard dataKey == "result" else {
                        try r.skipValue()
                        continue
                    }
                    guard r.peek() == UInt8(ascii: "[") else { throw r.mismatch(expecting: "an array") }
                    p.sawResult = true
                    p.values = try result(&r)
                }
            default: try r.skipValue()
            }
        }
        try r.finish()
        return p
    }

    /// A vector's samples' values, or a scalar's `[time, "value"]` as one value.
    private static func result(_ r: inout JSONReader) throws(JSONError) -> [Double] {
        var values: [Double] = []
        var index = 0
        try r.beginArray()
        while try r.nextElement() {
            if r.peek() == UInt8(ascii: "{") {
                try r.beginObject()
                while let key = try r.nextKey() {
                    if key == "value" {
                        values.append(try pair(&r))
                    } else {
                        try r.skipValue()
                    }
                }
            } else if index == 1, r.peek() == UInt8(ascii: "\"") {
                values.append(try number(r.readString(), &r))
            } else {
                try r.skipValue()
            }
            index += 1
        }
        return values
    }

    /// `[time, "value"]`.
    private static func pair(_ r: inout JSONReader) throws(JSONError) -> Double {
        guard r.peek() == UInt8(ascii: "[") else { throw r.mismatch(expecting: "[time, value]") }
        try r.beginArray()
        guard try r.nextElement() else { throw r.mismatch(expecting: "[time, value]") }
        try r.skipValue()
        guard try r.nextElement(), r.peek() == UInt8(ascii: "\"") else { throw r.mismatch(expecting: "a value string") }
        let value = try number(r.readString(), &r)
        guard try !r.nextElement() else { throw r.mismatch(expecting: "]") }
        return value
    }

    /// Prometheus writes sample values as strings: a decimal, `NaN`, `+Inf` or `-Inf`.
    private static func number(_ text: String, _ r: inout JSONReader) throws(JSONError) -> Double {
        switch text {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default:
            guard let value = Double(text) else { throw r.mismatch(expecting: "a number string") }
            return value
        }
    }

    private static func string(_ r: inout JSONReader) throws(JSONError) -> String? {
        guard r.peek() == UInt8(ascii: "\"") else {
            try r.skipValue()
            return nil
        }
        return try r.readString()
    }
}
