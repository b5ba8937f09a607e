import Foundation
@testable import SluiceServer

/// A repository for routing tests: model `m` with version 1 (the bundled fraud v1), version 2
/// (fraud v2: same signature, other trees) and version 3 (iris: 4 features, so it refuses the
/// 20-feature requests clients send), labels `stable: 1` and `canary: 2`; an admin token; and a
/// routes file the test writes.
final class RoutingFixture {
    let repository: TemporaryRepository
    /// Beside the repository (not in it: every folder in a repository is a model).
    let files: TemporaryRepository
    let routesFile: String
    let tokenFile: String
    static let token = "routing-test-token"
    static let row = (0..<20).map { i in String(Double(i) / 10) }.joined(separator: ",")
    static let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(row)]}]}"#
    static var auth: [String: String] { ["Authorization": "Bearer \(token)"] }

    init(routes: String) throws {
        repository = try TemporaryRepository()
        try repository.write("version_policy: {all: true}\nlabels: {stable: 1, canary: 2}\n", to: "m/model.yaml")
        try repository.add(model: "m", version: 1, file: "\(TestServer.bundledModels)/fraud/1/model.json", as: "model.json")
        try repository.add(model: "m", version: 2, file: "\(TestServer.bundledModels)/fraud/2/model.json", as: "model.json")
        try repository.add(model: "m", version: 3, file: "\(TestServer.bundledModels)/iris/1/model.json", as: "model.json")
        files = try TemporaryRepository()
        try files.write(Self.token + "\n", to: "admin/token")
        routesFile = files.path + "/config/routes.yaml"
        tokenFile = files.path + "/admin/token"
        try files.write(routes, to: "config/routes.yaml")
    }

    /// A server over the repository with the routes file and the admin token.
    func server() throws -> TestServer {
        try TestServer(models: repository.path) { config in
            config.routes = routesFile
            config.adminTokenFile = tokenFile
        }
    }

    var stateFile: String { files.path + "/config/routes.state.json" }
}
