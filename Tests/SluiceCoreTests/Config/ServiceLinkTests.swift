import Testing
@testable import SluiceCore

/// The variables the kubelet writes for Services named `sluice`, `sluice-canary` and `sluice-grpc`
/// (names after the `SLUICE_` prefix), as issue #16 lists them, and look-alikes that are settings
/// or typos of settings.
@Suite struct ServiceLinkTests {
    @Test(arguments: [
        // Service `sluice`, port 8080 named `http`.
        ("PORT", "tcp://10.96.0.12:8080"),
        ("SERVICE_HOST", "10.96.0.12"),
        ("SERVICE_PORT", "8080"),
        ("SERVICE_PORT_HTTP", "8080"),
        ("PORT_8080_TCP", "tcp://10.96.0.12:8080"),
        ("PORT_8080_TCP_PROTO", "tcp"),
        ("PORT_8080_TCP_PORT", "8080"),
        ("PORT_8080_TCP_ADDR", "10.96.0.12"),
        // Service `sluice-canary`.
        ("CANARY_PORT", "tcp://10.96.0.13:8080"),
        ("CANARY_SERVICE_HOST", "10.96.0.13"),
        ("CANARY_SERVICE_PORT", "8080"),
        ("CANARY_PORT_8080_TCP_ADDR", "10.96.0.13"),
        // Service `sluice-grpc`, port named `grpc-inference` (a `-` becomes `_`).
        ("GRPC_PORT", "tcp://10.96.0.14:8081"),
        ("GRPC_SERVICE_PORT_GRPC_INFERENCE", "8081"),
        ("GRPC_PORT_8081_TCP", "tcp://10.96.0.14:8081"),
        ("GRPC_PORT_8081_TCP_PORT", "8081"),
        // A Service `sluice-tls` collides with the real key tls.port; its value cannot be a port.
        ("TLS_PORT", "tcp://10.96.0.15:8443"),
        // UDP, SCTP and an IPv6 cluster (Go's JoinHostPort brackets the address).
        ("DNS_PORT_53_UDP", "udp://10.96.0.10:53"),
        ("PORT_9000_SCTP_PROTO", "sctp"),
        ("PORT", "tcp://[fd00:10:96::12]:8080"),
        ("SERVICE_HOST", "fd00:10:96::12"),
        ("PORT_8080_TCP_ADDR", "fd00:10:96::12"),
    ])
    func kubernetesServiceLinksAreRecognised(_ name: String, _ value: String) {
        #expect(ServiceLink.matches(Substring(name), value: value))
    }

    @Test(arguments: [
        // Settings, and typos of settings: read (and refused) as such.
        ("PORT", "9000"),
        ("PORT", "eighty"),
        ("TLS_PORT", "8443"),
        ("LIMTS_MAX_BODY_BYTES", "1MiB"),
        ("LIMITS_MAX_BODY_BYTES", "1MiB"),
        ("PROT", "tcp://10.96.0.12:8080"),
        // A link's name with a value Kubernetes would not write.
        ("PORT", "http://10.96.0.12:8080"),
        ("PORT", "TCP://10.96.0.12:8080"),
        ("PORT", "tcp://10.96.0.12"),
        ("PORT", "tcp://10.96.0.12:0"),
        ("PORT", "tcp://10.96.0.12:70000"),
        ("PORT", "tcp://fd00::12:8080"),
        ("PORT", "tcp://sluice.default.svc:8080"),
        ("SERVICE_HOST", ""),
        ("SERVICE_HOST", "sluice.default.svc"),
        ("SERVICE_HOST", "10.96.0.256"),
        ("SERVICE_PORT", "http"),
        ("SERVICE_PORT_", "8080"),
        ("PORT_8080_TCP", "tcp://10.96.0.12:8081"),
        ("PORT_8080_TCP", "udp://10.96.0.12:8080"),
        ("PORT_8080_TCP_PORT", "8081"),
        ("PORT_8080_TCP_PROTO", "TCP"),
        ("PORT_8080_HTTP_PROTO", "http"),
        ("PORT_8080_TCP_HOST", "10.96.0.12"),
        // Kubernetes writes the names upper-case.
        ("port", "tcp://10.96.0.12:8080"),
        ("Service_Host", "10.96.0.12"),
    ])
    func settingsAndLookAlikesAreNotServiceLinks(_ name: String, _ value: String) {
        #expect(!ServiceLink.matches(Substring(name), value: value))
    }
}
