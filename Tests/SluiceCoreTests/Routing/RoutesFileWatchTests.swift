import Foundation
import Testing
@testable import SluiceCore

/// The routes file watch as a pure state machine fed observations, and `RoutesFile` on real
/// files (a `TemporaryRepository` folder): the kubelet's symlink layout and what may be written.
@Suite struct RoutesFileWatchTests {
    static let a = Array("routes: []\n".utf8)
    static let b = Array("routes:\n  - {name: r, model: m, split: [{version: 1, weight: 100}]}\n".utf8)

    @Test func newBytesApplyOnceTwoLooksInARowReadThemAndOnlyOnce() {
        var watch = RoutesFileWatch()
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.a)) == .changed(Self.a, first: true))
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.b)) == .none)
        #expect(watch.on(.content(Self.b)) == .changed(Self.b, first: false))
        #expect(watch.on(.content(Self.b)) == .none)
        // Back to earlier bytes is a change too.
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.a)) == .changed(Self.a, first: false))
    }

    @Test func aFileCaughtHalfWrittenIsNeverApplied() {
        var watch = RoutesFileWatch()
        _ = watch.on(.content(Self.a))
        _ = watch.on(.content(Self.a))
        // Truncated (an empty file is valid YAML without routes), then whole: only whole applies.
        #expect(watch.on(.content([])) == .none)
        #expect(watch.on(.content(Self.b)) == .none)
        #expect(watch.on(.content(Self.b)) == .changed(Self.b, first: false))
        // Truncated and rewritten with the same bytes between two looks: nothing happened.
        #expect(watch.on(.content([])) == .none)
        #expect(watch.on(.content(Self.b)) == .none)
        #expect(watch.on(.content(Self.b)) == .none)
        // Renamed away and back (an editor's save) between two looks: nothing either.
        #expect(watch.on(.unreadable("is gone")) == .vanished("is gone"))
        #expect(watch.on(.content(Self.b)) == .none)
        #expect(watch.on(.content(Self.b)) == .changed(Self.b, first: false))
    }

    @Test func aFileThatVanishesIsReportedOnceAndReadAgainWhenItIsBack() {
        var watch = RoutesFileWatch()
        _ = watch.on(.content(Self.a))
        _ = watch.on(.content(Self.a))
        #expect(watch.on(.unreadable("is gone")) == .vanished("is gone"))
        #expect(watch.on(.unreadable("is gone")) == .none)
        #expect(watch.on(.unreadable("cannot be read")) == .none)
        // Back with the same bytes: read again once settled (the routes in force are checked
        // and the gauge turns back to 1), then quiet.
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.a)) == .changed(Self.a, first: false))
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.unreadable("is gone")) == .vanished("is gone"))
    }

    @Test func aFileMissingAtTheFirstLookIsNotAFirstLookWhenItAppears() {
        var watch = RoutesFileWatch()
        #expect(watch.on(.unreadable("is gone")) == .vanished("is gone"))
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.a)) == .changed(Self.a, first: false))
    }

    @Test func afterTheServersOwnWriteNoChangeIsAFirstOne() {
        var watch = RoutesFileWatch()
        watch.wrote("routes: []\n")
        #expect(watch.on(.content(Self.b)) == .none)
        #expect(watch.on(.content(Self.b)) == .changed(Self.b, first: false))
    }

    @Test func theServersOwnWriteIsNotSeenAsAChange() {
        var watch = RoutesFileWatch()
        _ = watch.on(.content(Self.a))
        _ = watch.on(.content(Self.a))
        // Even with someone else's bytes waiting to settle when it writes.
        #expect(watch.on(.content(Self.b)) == .none)
        watch.wrote("routes: [] # written\n")
        #expect(watch.on(.content(Array("routes: [] # written\n".utf8))) == .none)
        #expect(watch.on(.content(Array("routes: [] # written\n".utf8))) == .none)
        // Someone else's edit after it still is one.
        #expect(watch.on(.content(Self.a)) == .none)
        #expect(watch.on(.content(Self.a)) == .changed(Self.a, first: false))
    }

    @Test func aLookReadsThroughTheKubeletsSymlinksAndSeesTheSwap() throws {
        let dir = try TemporaryRepository()
        try dir.write("..2026_01/routes.yaml", "routes: []\n")
        try dir.write("..2026_02/routes.yaml", "routes: [] # v2\n")
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/..data", withDestinationPath: "..2026_01")
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/routes.yaml", withDestinationPath: "..data/routes.yaml")
        let file = dir.root + "/routes.yaml"
        #expect(RoutesFile.look(file) == .content(Array("routes: []\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/..data_tmp", withDestinationPath: "..2026_02")
        #expect(rename(dir.root + "/..data_tmp", dir.root + "/..data") == 0)
        #expect(RoutesFile.look(file) == .content(Array("routes: [] # v2\n".utf8)))
        try FileManager.default.removeItem(atPath: dir.root + "/..2026_02")
        guard case .unreadable(let reason) = RoutesFile.look(file) else {
            Issue.record("a dangling link must be unreadable")
            return
        }
        #expect(reason.hasPrefix("is gone"), "\(reason)")
    }

    @Test func aKubeletProjectionIsReadOnlyAndAPlainFileIsNot() throws {
        let dir = try TemporaryRepository()
        try dir.write("..2026_01/routes.yaml", "routes: []\n")
        try dir.write("plain/routes.yaml", "routes: []\n")
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/..data", withDestinationPath: "..2026_01")
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/routes.yaml", withDestinationPath: "..data/routes.yaml")
        // Another symlink is followed and written through as any file.
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/linked.yaml", withDestinationPath: "plain/routes.yaml")
        #expect(RoutesFile.isKubeletProjection(dir.root + "/routes.yaml"))
        let reason = try #require(RoutesFile.readOnlyReason(dir.root + "/routes.yaml"))
        #expect(reason.contains("is read-only (a ConfigMap?): edit the ConfigMap"), "\(reason)")
        #expect(!RoutesFile.isKubeletProjection(dir.root + "/linked.yaml"))
        #expect(RoutesFile.readOnlyReason(dir.root + "/linked.yaml") == nil)
        #expect(RoutesFile.readOnlyReason(dir.root + "/plain/routes.yaml") == nil)
        // A file not written yet is judged by its folder.
        #expect(RoutesFile.readOnlyReason(dir.root + "/plain/new.yaml") == nil)
    }
}
