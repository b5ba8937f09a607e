import Foundation

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

    package static func write(_ controllers: [String: CanaryController], to path: String) throws(ConfigError) {
        let routes: [[String: Any]] = controllers.keys.sorted().compactMap { name in
            guard let c = controllers[name] else { return nil }
            return [
                "name": name, "candidate": c.spec.candidate, "steps": c.spec.steps, "state": c.state.rawValue, "step": c.step,
                "decisions": c.decisions.map { ["time": $0.time, "decision": $0.decision, "reason": $0.reason] as [String: Any] },
            ]
        }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: ["routes": routes], options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw ConfigError(file: path, keyPath: "", reason: "cannot encode: \(error)")
        }
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path)
    }

    /// The saved progress by route name; empty when the file is missing or unreadable.
    package static func read(_ path: String, log: (LogLevel, String) -> Void) -> [String: Saved] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let routes = root["routes"] as? [[String: Any]]
        else {
            log(.warning, "\(path): not a canary state file; every canary starts at its first step")
            return [:]
        }
        var saved: [String: Saved] = [:]
        for route in routes {
            guard let name = route["name"] as? String, let candidate = route["candidate"] as? Int,
                  let steps = route["steps"] as? [Int], let stateName = route["state"] as? String,
                  let state = CanaryController.State(rawValue: stateName), let step = route["step"] as? Int
            else {
                log(.warning, "\(path): a route entry is incomplete; it starts over")
                continue
            }
            let decisions = (route["decisions"] as? [[String: Any]] ?? []).compactMap { d -> CanaryController.Decision? in
                guard let time = (d["time"] as? NSNumber)?.doubleValue, let decision = d["decision"] as? String,
                      let reason = d["reason"] as? String else { return nil }
                return CanaryController.Decision(time: time, decision: decision, reason: reason)
            }
            saved[name] = Saved(spec: (candidate, steps), state: state, step: step, decisions: decisions)
        }
        return saved
    }
}
