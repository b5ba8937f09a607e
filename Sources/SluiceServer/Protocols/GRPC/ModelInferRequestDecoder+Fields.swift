extension ModelInferRequestDecoder {
    /// `InferTensorContents`, merged into what earlier occurrences gave (a singular message field
    /// seen twice merges; its fields are all repeated, so they append): 1 bool, 2 int (int32),
    /// 3 int64, 4 uint (uint32), 5 uint64, 6 fp32, 7 fp64, 8 bytes. Int32 and uint32 values
    /// keep their low 32 bits, as protobuf reads them.
    static func contents(_ r: inout ProtobufReader, into existing: inout ModelInferCall.Contents?) throws(ProtobufReader.Failure) {
        var c = existing ?? ModelInferCall.Contents()
        existing = nil  // `c` alone holds the arrays while they grow
        while !r.isAtEnd {
            let (field, wireType) = try r.tag()
            let read: Bool
            switch field {
            case 1: read = try r.varints(wireType, into: &c.bool) { $0 != 0 }
            case 2: read = try r.varints(wireType, into: &c.int) { Int32(truncatingIfNeeded: $0) }
            case 3: read = try r.varints(wireType, into: &c.int64) { Int64(bitPattern: $0) }
            case 4: read = try r.varints(wireType, into: &c.uint) { UInt32(truncatingIfNeeded: $0) }
            case 5: read = try r.varints(wireType, into: &c.uint64) { $0 }
            case 6: read = try r.fixedValues(wireType, into: &c.fp32) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            case 7: read = try r.fixedValues(wireType, into: &c.fp64) { Double(bitPattern: $0) }
            case 8 where wireType == ProtobufReader.lengthDelimited:
                let range = try r.lengthDelimited()
                c.bytes.append(Array(UnsafeRawBufferPointer(rebasing: r.bytes[range])))
                read = true
            default: read = false
            }
            if !read { try r.skip(wireType) }
        }
        existing = c
    }

    /// One entry of a `map<string, InferParameter>`: key 1, value 2 (`InferParameter`, whose
    /// oneof is 1 bool, 2 int64, 3 string, 4 double, 5 uint64; the last one given wins, also
    /// across a value given twice, which merges). The key and its string value, if the value is
    /// a string. A key or value with another wire type is refused: swift-protobuf reads such an
    /// entry's next bytes as tags, which no encoder writes and no answer should depend on.
    static func parameter(_ r: inout ProtobufReader) throws(ProtobufReader.Failure) -> ModelInferCall.Parameter {
        var key = ""
        var string: String?
        var int64: Int64?
        while !r.isAtEnd {
            let (field, wireType) = try r.tag()
            switch field {
            case 1, 2:
                guard wireType == ProtobufReader.lengthDelimited else { throw .malformedProtobuf }
                if field == 1 {
                    key = try r.string()
                    continue
                }
                var value = try r.message()
                while !value.isAtEnd {
                    let (choice, choiceWireType) = try value.tag()
                    // A oneof: the last choice given is the value.
                    switch (choice, choiceWireType) {
                    case (2, ProtobufReader.varint):
                        int64 = Int64(truncatingIfNeeded: try value.varint())
                        string = nil
                    case (1, ProtobufReader.varint), (5, ProtobufReader.varint):
                        _ = try value.varint()
                        (string, int64) = (nil, nil)
                    case (3, ProtobufReader.lengthDelimited):
                        string = try value.string()
                        int64 = nil
                    case (4, ProtobufReader.fixed64):
                        _ = try value.fixed(8)
                        (string, int64) = (nil, nil)
                    default: try value.skip(choiceWireType)
                    }
                }
            default: try r.skip(wireType)
            }
        }
        return ModelInferCall.Parameter(key: key, string: string, int64: int64)
    }
}
