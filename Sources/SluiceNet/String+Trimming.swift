extension StringProtocol {
    /// Without leading and trailing spaces and tabs: HTTP's optional whitespace around a field
    /// value or a list element (RFC 9110 §5.6.3). The server's parser and the client share it.
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
