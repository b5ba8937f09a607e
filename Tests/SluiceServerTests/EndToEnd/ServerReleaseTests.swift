import Foundation
import Glibc
import SluiceCore
import Testing
@testable import SluiceServer

/// A server is freed once released, with its manager, its routes, its worker pool's threads
/// and its connections: the test process starts hundreds of servers, and each one kept would
/// keep its models, loops, threads and descriptors (docs/sanitizers.md, "Leaks").
@Suite struct ServerReleaseTests {
    /// The metrics collectors read the manager and the routes, which own the registry through
    /// their metrics: a server that never started is freed too.
    @Test func anUnstartedServerIsFreedWithItsManagerAndRoutes() throws {
        weak var weakManager: AnyObject?
        weak var weakRoutes: AnyObject?
        do {
            var config = ServerConfig()
            config.host = "127.0.0.1"
            config.port = 0
            config.models = TestServer.bundledModels
            let server = try Server(config: config)
            server.manager.loadAll()
            weakManager = server.manager
            weakRoutes = server.routes
        }
        #expect(weakManager == nil)
        #expect(weakRoutes == nil)
    }
}
