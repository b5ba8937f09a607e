import SluiceBackends
import SluiceCore

extension FuzzTarget {
    /// The text as a model's own `model.yaml` and as a version folder's.
    static func parseModelYAML(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? ModelConfig.parse(
            yaml: text, file: "model.yaml", backends: Backends.standard.names, options: Backends.standard.options)
        _ = try? SignatureOverride.parse(yaml: text, file: "1/model.yaml", backends: Backends.standard.names)
    }

    /// The text as a `routes.yaml` and as the body of `PUT /v2/routes/r`. The server writes the
    /// routes it accepted back to its file and reads them at the next start, so what parses must
    /// parse again, unchanged, from what `RouteConfig.yaml` writes.
    static func parseRoutesYAML(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let routes = try? RouteConfig.parseFile(yaml: text, file: "routes.yaml") { checkRoundTrip(routes) }
        if let route = try? RouteConfig.parseBody(text, name: "r") { checkRoundTrip([route]) }
    }

    private static func checkRoundTrip(_ routes: [RouteConfig]) {
        let written = RouteConfig.yaml(routes)
        let reread: [RouteConfig]
        do {
            reread = try RouteConfig.parseFile(yaml: written, file: "written")
        } catch {
            preconditionFailure("\(routes) written as\n\(written)\ndoes not parse again: \(error)")
        }
        precondition(reread == routes, "\(routes) written as\n\(written)\nreads back as \(reread)")
    }
}
