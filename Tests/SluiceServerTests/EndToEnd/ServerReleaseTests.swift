import Foundation
import Glibc
import SluiceCore
import Testing
@testable import SluiceServer

/// A server is freed once released, with its manager, its routes, its worker pool's threads
/// and its connections: the test process starts hundreds of servers, and each one kept would
/// keep its models, loops, threads and descriptors (docs/sanitizers.md, "Leaks").
@Suite struct ServerReleaseTests {
    @Test func aStoppedServerIsFreedWithItsManagerAndConnections() throws {
        weak var weakServer: Server?
        weak var weakManager: AnyObject?
        weak var weakRoutes: AnyObject?
        let client: RawClient
        do {
            let server = try TestServer()
            weakServer = server.server
            weakManager = server.server.manager
            weakRoutes = server.server.routes
            client = try RawClient(port: server.port, timeoutSeconds: 2)
            #expect(try client.request("GET", "/v2/health/ready").status == 200)
        }
        #expect(weakServer == nil)
        // The loop threads let go of what they hold once they have seen the stop.
        #expect(eventually(within: 2) { weakManager == nil && weakRoutes == nil })
        // The keep-alive connection that was open when the server stopped is closed, not abandoned.
        #expect(client.isClosedByPeer())
    }

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

    @Test func aReleasedWorkerPoolEndsItsThreads() throws {
        let name = "pool-\(getpid() % 10_000)-\(Int.random(in: 0..<1000))"
        weak var weakPool: WorkerPool?
        do {
            let pool = WorkerPool(threads: 2, maxQueue: 4, name: name)
            weakPool = pool
            let ran = DispatchSemaphore(value: 0)
            #expect(pool.submit { ran.signal() })
            ran.wait()
        }
        #expect(eventually(within: 2) { weakPool == nil })
        #expect(eventually(within: 2) { Self.threadNames().allSatisfy { !$0.hasPrefix(name) } })
    }

    /// The names of this process's threads (`/proc/self/task/*/comm`, cut to 15 bytes).
    private static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
    }
}
