import Foundation
import SluiceJSON

/// The canary controllers' progress, kept beside the routes file (`routes.state.json`) so a
/// restart resumes each rollout where it was: state, step and decisions. The step's window
/// starts over after a restart (its figures were in memory).
///
/// Written atomically by `Routes` after every decision; read once at start-up. A missing file
/// means no progress yet; an unreadable one is logged and ignored (every canary starts over).
package enum CanaryStateFile {
    package struct Saved: Sendable, Equatable {
        package var spec: (candidate: Int, steps: [Int])
        package var state: CanaryController.State
        package var step: Int
        package var decisions: [CanaryController.Decision]

        package static func == (a: Saved, b: Saved) -> Bool {
            a.spec == b.spec && a.state == b.state && a.step == b.step && a.decisions == b.decisions
        }
    }

    /// Writes every controller's progress as one JSON document, keys sorted and pretty-printed
    /// as before, atomically; fleet canaries are left out (derived from `routes.yaml` and
    /// Prometheus, never saved). Called by `Routes` after each decision; throws when the file
    /// cannot be written.
    package static func write(_ controllers: [String: CanaryController], to path: String) throws(ConfigError) {
        var w = JSONWriter()
        w.object { w in
            w.key(literal: "routes")
            w.array { w in
                for name in controllers.keys.sorted() {
                    guard let c = controllers[name], c.spec.analysis == nil else { continue }
                    w.object { w in
                        w.key(literal: "candidate"); w.int(c.spec.candidate)
                        w.key(literal: "decisions")
                        w.array { w in
                            for d in c.decisions {
                                w.object { w in
                                    w.key(literal: "decision"); w.string(d.decision)
                                    w.key(literal: "reason"); w.string(d.reason)
                                    w.key(literal: "time"); w.double(d.time)
                                }
                            }
                        }
                        w.key(literal: "name"); w.string(name)
                        w.key(literal: "state"); w.string(c.state.rawValue)
                        w.key(literal: "step"); w.int(c.step)
                        w.key(literal: "steps"); w.array { w in for s in c.spec.steps { w.int(s) } }
                    }
                }
            }
        }
        try AtomicFile.write(String(decoding: w.indentedBytes, as: UTF8.self) + "\n", to: path)
    }

    /// The saved progress by route name; empty when the file is missing or unreadable.
    package static func read(_ path: String, log: (LogLevel, String) -> Void) -> [String: Saved] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let parsed = Array(data).withUnsafeBytes { raw in
            Result { () throws(JSONError) -> [Entry]? in
                var r = JSONReader(raw)
                return try entries(&r)
            }
        }
        guard case .success(let entries?) = parsed else {
            log(.warning, "\(path): not a canary state file; every canary starts at its first step")
            return [:]
        }
        var saved: [String: Saved] = [:]
        for entry in entries {
            guard let name = entry.name, let candidate = entry.candidate, let steps = entry.steps,
                  let stateName = entry.state, let state = CanaryController.State(rawValue: stateName),
                  let step = entry.step
            else {
                log(.warning, "\(path): a route entry is incomplete; it starts over")
                continue
            }
            saved[name] = Saved(spec: (candidate, steps), state: state, step: step, decisions: entry.decisions)
        }
        return saved
    }
}
