import SluiceJSON

extension CanaryStateFile {
    /// One route's entry as found; a field of the wrong kind reads as missing, so the entry
    /// starts over instead of the whole file.
    struct Entry {
        var name: String?
        var candidate: Int?
        var steps: [Int]?
        var state: String?
        var step: Int?
        /// Those with a time, a decision and a reason; the others are dropped.
        var decisions: [CanaryController.Decision] = []
    }

    /// The entries of `{"routes": [{…}, …]}`; `nil` when the document has another shape.
    static func entries(_ r: inout JSONReader) throws(JSONError) -> [Entry]? {
        guard r.peek() == UInt8(ascii: "{") else { return nil }
        var entries: [Entry]?
        try r.beginObject()
        while let key = try r.nextKey() {
            guard key == "routes", r.peek() == UInt8(ascii: "[") else {
                try r.skipValue()
                continue
            }
            var list: [Entry] = []
            try r.beginArray()
            while try r.nextElement() {
                guard r.peek() == UInt8(ascii: "{") else { return nil }
                list.append(try entry(&r))
            }
            entries = list
        }
        try r.finish()
        return entries
    }

    private static func entry(_ r: inout JSONReader) throws(JSONError) -> Entry {
        var e = Entry()
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "name": e.name = try string(&r)
            case "candidate": e.candidate = try int(&r)
            case "steps": e.steps = try ints(&r)
            case "state": e.state = try string(&r)
            case "step": e.step = try int(&r)
            case "decisions": e.decisions = try decisions(&r)
            default: try r.skipValue()
            }
        }
        return e
    }

    /// The decisions that are complete; none when `decisions` is not an array of objects.
    private static func decisions(_ r: inout JSONReader) throws(JSONError) -> [CanaryController.Decision] {
        guard r.peek() == UInt8(ascii: "[") else {
            try r.skipValue()
            return []
        }
        var out: [CanaryController.Decision] = []
        var allObjects = true
        try r.beginArray()
        while try r.nextElement() {
            guard r.peek() == UInt8(ascii: "{") else {
                allObjects = false
                try r.skipValue()
                continue
            }
            var time: Double?, decision: String?, reason: String?
            try r.beginObject()
            while let key = try r.nextKey() {
                switch key {
                case "time": time = try double(&r)
                case "decision": decision = try string(&r)
                case "reason": reason = try string(&r)
                default: try r.skipValue()
                }
            }
            if let time, let decision, let reason {
                out.append(CanaryController.Decision(time: time, decision: decision, reason: reason))
            }
        }
        return allObjects ? out : []
    }

    /// A list of integers; `nil` (the whole value consumed) when any element is not one.
    private static func ints(_ r: inout JSONReader) throws(JSONError) -> [Int]? {
        guard r.peek() == UInt8(ascii: "[") else {
            try r.skipValue()
            return nil
        }
        var out: [Int] = []
        var complete = true
        try r.beginArray()
        while try r.nextElement() {
            if let i = try int(&r) { out.append(i) } else { complete = false }
        }
        return complete ? out : nil
    }

    private static func int(_ r: inout JSONReader) throws(JSONError) -> Int? {
        switch try number(&r) {
        case .integer(let i)?: Int(exactly: i)
        case .double(let d)?: Int(exactly: d)
        case nil: nil
        }
    }

    private static func double(_ r: inout JSONReader) throws(JSONError) -> Double? {
        switch try number(&r) {
        case .integer(let i)?: Double(i)
        case .double(let d)?: d
        case nil: nil
        }
    }

    /// The number that is next, or `nil` (the value skipped) when something else is.
    private static func number(_ r: inout JSONReader) throws(JSONError) -> JSONNumber? {
        let b = r.peek()
        guard b == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else {
            try r.skipValue()
            return nil
        }
        return try r.readNumber()
    }

    private static func string(_ r: inout JSONReader) throws(JSONError) -> String? {
        guard r.peek() == UInt8(ascii: "\"") else {
            try r.skipValue()
            return nil
        }
        return try r.readString()
    }
}
