import Foundation
import SluiceCore

/// A node's attributes, read by its kernel factory at load. It remembers which names the
/// factory read, so an attribute the kernel does not understand fails the load (naming it)
/// instead of being silently ignored. Used on the loader thread only.
final class Attributes {
    private let byName: [String: Onnx_AttributeProto]
    private var read: Set<String> = []
    private let node: String

    init(_ protos: [Onnx_AttributeProto], node: String) throws(ServingError) {
        var byName: [String: Onnx_AttributeProto] = [:]
        for a in protos {
            guard !a.hasRefAttrName || a.refAttrName.isEmpty else {
                throw .loadFailure("\(node): attribute '\(a.name)' refers to a function attribute, which is not supported")
            }
            byName[a.name] = a
        }
        self.byName = byName
        self.node = node
    }

    private func get(_ name: String) -> Onnx_AttributeProto? {
        read.insert(name)
        return byName[name]
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    /// Marks attributes that do not change inference (BatchNormalization's momentum, say).
    func ignore(_ names: String...) { for n in names { read.insert(n) } }

    /// The attributes present that no one read.
    var unread: [String] { byName.keys.filter { !read.contains($0) }.sorted() }

    func int(_ name: String) -> Int? { get(name).map { Int($0.i) } }
    func int(_ name: String, default value: Int) -> Int { int(name) ?? value }
    func float(_ name: String) -> Float? { get(name).map(\.f) }
    func float(_ name: String, default value: Float) -> Float { float(name) ?? value }
    func ints(_ name: String) -> [Int]? { get(name).map { $0.ints.map { Int($0) } } }
    func floats(_ name: String) -> [Float]? { get(name).map(\.floats) }
    func string(_ name: String) -> String? { get(name).map { String(decoding: $0.s, as: UTF8.self) } }
    func strings(_ name: String) -> [String]? {
        get(name).map { $0.strings.map { String(decoding: $0.self, as: UTF8.self) } }
    }
    func tensor(_ name: String) -> Onnx_TensorProto? {
        guard let a = get(name), a.hasT else { return nil }
        return a.t
    }
    /// A graph attribute (Scan's body), or nil when absent or not a graph.
    func graph(_ name: String) -> Onnx_GraphProto? {
        guard let a = get(name), a.hasG else { return nil }
        return a.g
    }
    /// The raw attribute, for `Constant`'s value_* family.
    func proto(_ name: String) -> Onnx_AttributeProto? { get(name) }
}
