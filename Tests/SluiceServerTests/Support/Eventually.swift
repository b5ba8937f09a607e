import Foundation

/// Polls `condition` every 50 ms until it holds or `seconds` pass (a bounded wait, no fixed sleep).
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
