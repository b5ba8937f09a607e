import Foundation
import Testing

/// curl over HTTP/2 to a test server: `--http2-prior-knowledge`, or `--http2`, which on
/// cleartext asks for `Upgrade: h2c`.
enum Curl {
    enum Mode { case priorKnowledge, upgrade, http1, tlsALPN }

    struct Answer {
        var status: Int
        /// `%{http_version}`: "2" or "1.1".
        var version: String
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    static func request(_ mode: Mode, port: Int, _ method: String, _ path: String, body: [UInt8]? = nil,
                        headers: [String: String] = [:]) throws -> Answer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var arguments = ["-sS", "--max-time", "20", "-X", method, "-D", dir.appendingPathComponent("head").path,
                         "-o", dir.appendingPathComponent("body").path, "-w", "%{http_code} %{http_version}"]
        switch mode {
        case .priorKnowledge: arguments.append("--http2-prior-knowledge")
        case .upgrade: arguments.append("--http2")
        case .http1: arguments.append("--http1.1")
        case .tlsALPN: arguments += ["--http2", "-k"]
        }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            let file = dir.appendingPathComponent("request")
            try Data(body).write(to: file)
            arguments += ["--data-binary", "@\(file.path)"]
        }
        arguments.append("\(mode == .tlsALPN ? "https" : "http")://127.0.0.1:\(port)\(path)")
        let result = try Tool.run("curl", arguments, timeout: 30)
        try #require(result.status == 0, "curl failed: \(result.all)")
        let words = result.text.split(separator: " ")
        let head = (try? String(contentsOf: dir.appendingPathComponent("head"), encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("HTTP/") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bytes = (try? Data(contentsOf: dir.appendingPathComponent("body"))).map { Array($0) } ?? []
        return Answer(status: Int(words.first ?? "") ?? 0, version: String(words.last ?? ""), headers: fields, body: bytes)
    }
}
