import Synchronization
import Testing
@testable import SluiceCore

/// A backend's notes (how it serves the model, e.g. an ONNX ZipMap as its probabilities) reach
/// the version's ready log line and the servable that metadata reads.
@Suite struct BackendNotesTests {
    @Test func notesAreLoggedWhenTheVersionIsReadyAndKeptOnTheServable() throws {
        let repo = try TemporaryRepository()
        try repo.write("m/1/model.json", "noted")
        try repo.write("plain/1/model.json")
        let fake = FakeLoader(), logs = LogRecorder()
        let manager = ModelManager(
            source: RepositoryScanner(root: repo.root, backends: .likeStandard()), loader: fake.loader, log: logs.sink)
        manager.loadAll()
        let noted = try #require(manager.snapshot.model(named: "m"))
        #expect(try noted.servable(version: 1).notes == [FakeLoader.note])
        let plain = try #require(manager.snapshot.model(named: "plain"))
        #expect(try plain.servable(version: 1).notes.isEmpty)
        let ready = logs.lines.withLock { $0.filter { $0.contains("is ready (") } }
        #expect(ready.count == 2)
        #expect(ready.contains { $0.contains("model 'm' version 1 is ready (") && $0.hasSuffix("; \(FakeLoader.note)") }, "\(ready)")
        #expect(ready.contains { $0.contains("model 'plain' version 1 is ready (") && $0.hasSuffix(")") }, "\(ready)")
    }
}
