import SluiceCore
import SluiceJSON
@testable import SluiceServer

extension V2Request {
    /// The request as a V2 client sends it, for the tests (the server itself only decodes
    /// requests). With `binaryInputs`, every input travels in the binary
    /// section and `jsonLength` is the `Inference-Header-Content-Length` to send.
    func encode(binaryInputs: Bool = false) -> V2EncodedBody {
        var w = JSONWriter(capacity: 256 + request.inputs.reduce(0) { $0 + 12 * $1.data.count })
        w.object { w in
            if let id = request.id {
                w.key("id")
                w.string(id)
            }
            if binaryDataOutput {
                w.key("parameters")
                w.object { w in
                    w.key("binary_data_output")
                    w.bool(true)
                }
            }
            w.key("inputs")
            w.array { w in
                for input in request.inputs { V2ResponseEncoder.writeTensor(input, binary: binaryInputs, to: &w) }
            }
            if !request.outputs.isEmpty {
                w.key("outputs")
                w.array { w in
                    for output in request.outputs {
                        w.object { w in
                            w.key("name")
                            w.string(output.name)
                            if let binary = output.binary {
                                w.key("parameters")
                                w.object { w in
                                    w.key("binary_data")
                                    w.bool(binary)
                                }
                            }
                        }
                    }
                }
            }
        }
        return V2ResponseEncoder.appendBinarySection(json: w.bytes, request.inputs.map { ($0, binaryInputs) })
    }
}
