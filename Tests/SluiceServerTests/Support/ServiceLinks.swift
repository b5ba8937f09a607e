import Foundation

/// The variables the kubelet gives every container for one Service of its namespace, as
/// Kubernetes' pkg/kubelet/envvars writes them: `<S>_SERVICE_HOST`, `<S>_SERVICE_PORT`,
/// `<S>_SERVICE_PORT_<NAME>` per named port, `<S>_PORT` (the first port's link) and per port
/// `<S>_PORT_<N>_TCP` with its `_PROTO`, `_PORT` and `_ADDR`. `<S>` is the Service's name
/// upper-cased with `-` as `_`.
func kubernetesServiceLinks(service: String, clusterIP: String, ports: [(name: String, port: Int)]) -> [String: String] {
    func envName(_ name: String) -> String { name.uppercased().replacingOccurrences(of: "-", with: "_") }
    let prefix = envName(service)
    let host = clusterIP.contains(":") ? "[\(clusterIP)]" : clusterIP
    var variables = ["\(prefix)_SERVICE_HOST": clusterIP]
    for (i, port) in ports.enumerated() {
        if i == 0 {
            variables["\(prefix)_SERVICE_PORT"] = String(port.port)
            variables["\(prefix)_PORT"] = "tcp://\(host):\(port.port)"
        }
        if !port.name.isEmpty { variables["\(prefix)_SERVICE_PORT_\(envName(port.name))"] = String(port.port) }
        let link = "\(prefix)_PORT_\(port.port)_TCP"
        variables[link] = "tcp://\(host):\(port.port)"
        variables[link + "_PROTO"] = "tcp"
        variables[link + "_PORT"] = String(port.port)
        variables[link + "_ADDR"] = clusterIP
    }
    return variables
}

/// A pod's view of the Services `sluice`, `sluice-canary` and `sluice-grpc` (issue #16).
let sluiceServiceLinks: [String: String] = kubernetesServiceLinks(
    service: "sluice", clusterIP: "10.96.0.12", ports: [("http", 8080), ("https", 8443)]
).merging(
    kubernetesServiceLinks(service: "sluice-canary", clusterIP: "10.96.0.13", ports: [("http", 8080)]), uniquingKeysWith: { a, _ in a }
).merging(
    kubernetesServiceLinks(service: "sluice-grpc", clusterIP: "fd00:10:96::14", ports: [("grpc-inference", 8081)]),
    uniquingKeysWith: { a, _ in a })
