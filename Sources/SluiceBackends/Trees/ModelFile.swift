import Foundation
import SluiceCore

/// Reads a model file for a tree-format loader. Called on a loader thread; the name it returns
/// starts every load-failure message, so a user sees which file is at fault.
enum ModelFile {
    static func read(_ path: String) throws(ServingError) -> (name: String, bytes: [UInt8]) {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .loadFailure("\(name): cannot read \(path)")
        }
        return (name, [UInt8](data))
    }
}
