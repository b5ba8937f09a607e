/// Kubernetes' service-link variables (README "Configuration"), which are not settings. For every
/// Service of its namespace the kubelet gives each container, with `<S>` the Service's name
/// upper-cased and `-` written `_` (`sluice-canary` → `SLUICE_CANARY`):
///
///     <S>_SERVICE_HOST=10.96.0.12            <S>_PORT=tcp://10.96.0.12:8080
///     <S>_SERVICE_PORT=8080                  <S>_PORT_8080_TCP=tcp://10.96.0.12:8080
///     <S>_SERVICE_PORT_<PORT NAME>=8080      <S>_PORT_8080_TCP_PROTO=tcp
///                                            <S>_PORT_8080_TCP_PORT=8080
///                                            <S>_PORT_8080_TCP_ADDR=10.96.0.12
///
/// A Service named `sluice` or `sluice-…` thus puts variables under the `SLUICE_` prefix, and
/// `SLUICE_PORT` (like `SLUICE_TLS_PORT` of a Service `sluice-tls`) collides with a real key.
/// `ConfigTable` passes over a variable only when its name *and* its value have one of these
/// shapes: a value no setting could take (`tcp://…` is no port number) or a name no key has
/// (no key path ends in `service_host`, `service_port…` or `port_<n>_tcp…`; a test holds every key
/// to that). Anything else is read as a setting, so a typo in a real key is still refused.
///
/// Pure; called by `ConfigTable.apply(environment:source:to:)` on the main thread at start-up.
package enum ServiceLink {
    /// Whether `name` (the variable's name after the prefix: `PORT_8080_TCP_ADDR`,
    /// `CANARY_SERVICE_HOST`) and `value` are a service link's. Kubernetes writes the names upper-case.
    package static func matches(_ name: Substring, value: String) -> Bool {
        let words = name.split(separator: "_", omittingEmptySubsequences: false)
        guard words.allSatisfy({ $0.utf8.allSatisfy(isUpperOrDigit) }) else { return false }
        // The Service's own name may have any number of words (`sluice` has none left after the
        // prefix), so every place the pattern could start is tried.
        for start in words.indices {
            if matches(pattern: words[start...], value: value) { return true }
        }
        return false
    }

    private static func matches(pattern words: ArraySlice<Substring>, value: String) -> Bool {
        let w = Array(words)
        switch w.count {
        case 1 where w[0] == "PORT":
            return url(value) != nil  // <S>_PORT=tcp://10.96.0.12:8080
        case 2 where w == ["SERVICE", "HOST"]:
            return isAddress(Substring(value))
        case 2... where w[0] == "SERVICE" && w[1] == "PORT" && w.dropFirst(2).allSatisfy({ !$0.isEmpty }):
            // <S>_SERVICE_PORT and <S>_SERVICE_PORT_<PORT NAME> (a name may hold `-`, so `_`s).
            return port(Substring(value)) != nil
        case 3, 4:
            guard w[0] == "PORT", let number = port(w[1]), protocols.contains(w[2]) else { return false }
            let proto = w[2].lowercased()
            if w.count == 3 {
                guard let link = url(value) else { return false }
                return link.proto == proto && link.port == number
            }
            switch w[3] {
            case "PROTO": return value == proto
            case "PORT": return port(Substring(value)) == number
            case "ADDR": return isAddress(Substring(value))
            default: return false
            }
        default:
            return false
        }
    }

    private static let protocols: Set<Substring> = ["TCP", "UDP", "SCTP"]

    /// `tcp://10.96.0.12:8080` or `udp://[fd00::12]:53`.
    private static func url(_ value: String) -> (proto: String, port: Int)? {
        guard let colon = value.firstIndex(of: ":"), value[colon...].hasPrefix("://") else { return nil }
        let proto = String(value[..<colon])
        guard protocols.contains(Substring(proto.uppercased())), proto == proto.lowercased() else { return nil }
        let authority = value[colon...].dropFirst(3)
        guard let last = authority.lastIndex(of: ":"), let number = port(authority[authority.index(after: last)...]) else {
            return nil
        }
        // IPv6 hosts in brackets, as Go's net.JoinHostPort writes them; IPv4 ones bare.
        var host = authority[..<last]
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = host.dropFirst().dropLast() }
        guard bracketed == host.contains(":"), isAddress(host) else { return nil }
        return (proto, number)
    }

    /// 1-65535 in decimal, as Kubernetes writes ports.
    private static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let n = Int(text), (1...65535).contains(n)
        else { return nil }
        return n
    }

    /// A cluster IP: dotted IPv4, or IPv6 (hex digits and colons, perhaps an IPv4 tail).
    private static func isAddress(_ text: Substring) -> Bool {
        if text.contains(":") {
            return text.utf8.count <= 45 && text.utf8.allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.utf8.count) && part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                && (Int(part) ?? 256) <= 255
        }
    }

    private static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
