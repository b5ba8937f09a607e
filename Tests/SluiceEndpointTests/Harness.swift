import Foundation
import Logging
import SluiceHTTP
@testable import SluiceServer

/// A Sluice server that never listens: the bundled repository and routes loaded, every
/// endpoint reached through `Server.respond` with a recording `ResponseWriter`, as a connection
/// would hand requests over — without sockets, event loops or a second process.
final class Harness {
    let server: Server

    static let project = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    init(configure: (inout ServerConfig) -> Void = { _ in }) throws {
        var config = ServerConfig()
        config.models = Self.project.appendingPathComponent("models").path
        config.routes = Self.project.appendingPathComponent("config/routes.yaml").path
        config.pollInterval = 0
        config.threads = 1
        config.scheduling.workers = 1
        configure(&config)
        var logger = Logger(label: "sluice-endpoint-test")
        logger.logLevel = .critical
        server = try Server(config: config, logger: logger)
        try server.start(listening: false)
    }

    deinit { server.stop() }

    /// One request's answer and its context, as the connection would receive them; waits for
    /// answers sent later (worker pool, admin queue).
    func call(
        _ method: String, _ target: String, json: String? = nil, headers: [(String, String)] = []
    ) throws -> (response: Response, context: RequestContext, json: [String: Any]?) {
        var fields = Headers(headers)
        if json != nil { fields.add("content-type", "application/json") }
        let request = Request(method: method, target: target, headers: fields, body: Array((json ?? "").utf8))
        let recorder = ResponseRecorder()
        server.respond(to: request, writer: ResponseWriter(recorder: recorder, context: RequestContext(request, now: 0)))
        guard let answer = recorder.answer() else { throw NoAnswer(target: target) }
        let object = try? JSONSerialization.jsonObject(with: Data(answer.response.body)) as? [String: Any]
        return (answer.response, answer.context, object)
    }

    struct NoAnswer: Error {
        let target: String
    }
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }
}
