import Foundation

/// Instants of the config files: RFC 3339 (`2026-12-06T23:00:00Z`, `2026-12-07T00:00:00+01:00`,
/// fractions of a second allowed) or a bare number of Unix seconds. Read by `routes.yaml`'s
/// `canary.start`; pure, any thread.
package enum Timestamps {
    /// The instants accepted: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    package static let range: ClosedRange<Double> = 0...253_402_300_799

    /// Seconds since 1970-01-01T00:00:00Z, or nil when `text` is neither form or is outside
    /// `range`.
    package static func seconds(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let seconds: Double?
        if let n = Double(s), s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
            seconds = n
        } else {
            seconds = rfc3339(Array(s.utf8))
        }
        guard let seconds, range.contains(seconds) else { return nil }
        return seconds
    }

    /// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a space for `T` are accepted as
    /// RFC 3339 allows.
    static func rfc3339(_ b: [UInt8]) -> Double? {
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var n = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        func byte(_ i: Int, _ allowed: String) -> Bool { i < b.count && allowed.utf8.contains(b[i]) }
        guard let year = number(0..<4), byte(4, "-"), let month = number(5..<7), byte(7, "-"), let day = number(8..<10),
              byte(10, "Tt "), let hour = number(11..<13), byte(13, ":"), let minute = number(14..<16), byte(16, ":"),
              let second = number(17..<19)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if byte(i, ".") {
            i += 1
            var scale = 0.1
            let first = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > first else { return nil }
        }
        var offset = 0
        if byte(i, "Zz") {
            i += 1
        } else if byte(i, "+-"), let h = number((i + 1)..<(i + 3)), byte(i + 3, ":"), let m = number((i + 4)..<(i + 6)) {
            guard h <= 23, m <= 59 else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), (1...daysIn(month, year)).contains(day), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset) + fraction
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
