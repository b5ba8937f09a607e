import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Issue 14, defect 9: the workspace pool reuses what a stream of ordinary requests needs but
/// keeps no more than `limits.maxIdleWorkspaceBytes`, so one request that made a few hundred MB
/// of intermediates does not pin them after it answered. The plans here have a 4 MiB budget.
@Suite struct WorkspacePoolTests {
    static func plan() throws -> ExecutionPlan {
        let file = try ONNXFixtureTests.root().appendingPathComponent("hostile/expand.onnx").path
        let (name, model) = try ONNXBackend.parse(file)
        var limits = ModelLimits()
        limits.maxIdleWorkspaceBytes = budget
        return try GraphCompiler.compile(model, file: name, limits: limits)
    }

    static let budget = 4 << 20

    @Test func aWorkspaceOfOrdinarySizeIsReused() throws {
        let plan = try Self.plan(), pool = WorkspacePool()
        let ws = pool.take(plan)
        #expect(ws.write(plan.outputs[0].id, .float, [1000, 16]) != nil)
        pool.give(ws)
        #expect(pool.take(plan) === ws)
    }

    @Test func aWorkspaceThatGrewBeyondTheBudgetIsDropped() throws {
        let plan = try Self.plan(), pool = WorkspacePool()
        let small = pool.take(plan), large = pool.take(plan)
        #expect(small.write(plan.outputs[0].id, .float, [1000]) != nil)
        // One float more than the budget holds (reserved, never touched: no memory is used).
        #expect(large.write(plan.outputs[0].id, .float, [Self.budget / 4 + 1]) != nil)
        #expect(large.heldBytes > Self.budget)
        pool.give(small)
        pool.give(large)
        #expect(pool.take(plan) === small)
        let next = pool.take(plan)
        #expect(next !== large)
        #expect(next.heldBytes < 1 << 10)
    }

    /// Workspaces that each fit but together pass the budget: the ones past it are dropped.
    @Test func theIdleWorkspacesTogetherStayWithinTheBudget() throws {
        let plan = try Self.plan(), pool = WorkspacePool()
        // A quarter of the budget in floats, plus the few bytes of a workspace's other buffers:
        // three fit, a fourth does not.
        let taken = (0..<6).map { _ in pool.take(plan) }
        for ws in taken { #expect(ws.write(plan.outputs[0].id, .float, [Self.budget / 16]) != nil) }
        for ws in taken { pool.give(ws) }
        let kept = (0..<6).map { _ in pool.take(plan) }.filter { ws in taken.contains { $0 === ws } }
        #expect(kept.count == 3, "kept \(kept.count) of 6 workspaces of a quarter of the budget each")
    }

    @Test func theDefaultBudgetKeepsABatchOf32ImagesWorthOfIntermediates() {
        // A MobileNet block at batch 32 makes 77 MB of intermediates (bench/compute_models.py).
        #expect(ModelLimits().maxIdleWorkspaceBytes == 256 << 20)
    }

    @Test func aZeroBudgetKeepsNothing() throws {
        let file = try ONNXFixtureTests.root().appendingPathComponent("hostile/expand.onnx").path
        let (name, model) = try ONNXBackend.parse(file)
        var limits = ModelLimits()
        limits.maxIdleWorkspaceBytes = 0
        let plan = try GraphCompiler.compile(model, file: name, limits: limits), pool = WorkspacePool()
        let ws = pool.take(plan)
        #expect(ws.write(plan.outputs[0].id, .float, [4]) != nil)
        pool.give(ws)
        #expect(pool.take(plan) !== ws)
    }
}
