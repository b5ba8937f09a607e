import Foundation
import Logging
import SluiceHTTP
import SwiftProtobuf
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

/// A gRPC call's answer as the transport would receive it from the method: the message on
/// success, else the error whose `code` and `message` become `grpc-status` and `grpc-message`.
struct GRPCAnswer {
    let response: Response
    let context: RequestContext

    /// The error the method answered with, nil for a success.
    var error: (any HTTPResponseError)? { response.failure as? any HTTPResponseError }
    var code: ErrorCode? { error?.code }

    func message<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
        guard response.status == 200 else { throw Harness.NoAnswer(target: "\(M.self): \(response.text)") }
        return try M(serializedBytes: response.body)
    }
}

extension Harness {
    /// One unary gRPC call of `method` (`inference.GRPCInferenceService/ModelInfer`) with
    /// `message`, as the transport hands it over: unframed body, metadata as headers.
    func grpc(_ method: String, _ message: some SwiftProtobuf.Message, metadata: [(String, String)] = []) throws -> GRPCAnswer {
        try grpc(method, body: try message.serializedBytes(), metadata: metadata)
    }

    func grpc(_ method: String, body: [UInt8], metadata: [(String, String)] = []) throws -> GRPCAnswer {
        var fields = Headers(metadata)
        fields.add("content-type", "application/grpc")
        var request = Request(method: "POST", target: "/" + method, headers: fields, body: body)
        request.isGRPC = true
        let recorder = ResponseRecorder()
        server.respond(to: request, writer: ResponseWriter(recorder: recorder, context: RequestContext(request, now: 0)))
        guard let answer = recorder.answer() else { throw NoAnswer(target: method) }
        return GRPCAnswer(response: answer.response, context: answer.context)
    }
}
