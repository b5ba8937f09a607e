import Testing
@testable import SluiceJSON

@Test func writerPlacesCommasAndEscapesStrings() {
    var w = JSONWriter()
    w.object { w in
        w.key("s")
        w.string("q\"\\\n\t\u{01}é/")
        w.key("ints")
        w.array { w in
            w.int(0)
            w.int(-12)
            w.int(Int64.min)
            w.int(UInt64.max)
        }
        w.key("floats")
        w.array { w in
            w.float(0.1)
            w.float(1)
            w.double(0.1)
            w.double(1e-5)
            w.float(.nan)
            w.double(.infinity)
            w.float(-.infinity)
        }
        w.key("misc")
        w.array { w in
            w.bool(true)
            w.bool(false)
            w.null()
            w.object { _ in }
            w.array { _ in }
        }
    }
    let text = String(decoding: w.bytes, as: UTF8.self)
    #expect(text == #"{"s":"q\"\\\n\t\u0001é/","ints":[0,-12,-9223372036854775808,18446744073709551615],"#
        + #""floats":[0.1,1.0,0.1,1e-05,NaN,Infinity,-Infinity],"misc":[true,false,null,{},[]]}"#)
}

@Test func everyControlCharacterSurvivesWritingAndReading() throws {
    let original = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "é😀"
    var w = JSONWriter()
    w.string(original)
    let back = w.bytes.withUnsafeBytes { raw in
        Result { () throws(JSONError) -> String in
            var r = JSONReader(raw)
            return try r.readString()
        }
    }
    #expect(try back.get() == original)
}

@Test func literalKeysAndIntegerStringsWriteAsTheirStringForms() {
    var literal = JSONWriter()
    literal.beginObject()
    literal.key(literal: "model_version")
    literal.string(integer: 2)
    literal.key(literal: "datatype")
    literal.string(literal: "FP32")
    literal.key(literal: "v")
    literal.string(integer: Int64.min)
    literal.endObject()

    var plain = JSONWriter()
    plain.object { w in
        w.key("model_version")
        w.string("2")
        w.key("datatype")
        w.string("FP32")
        w.key("v")
        w.string(String(Int64.min))
    }
    #expect(literal.bytes == plain.bytes)
    #expect(String(decoding: literal.bytes, as: UTF8.self) == #"{"model_version":"2","datatype":"FP32","v":"-9223372036854775808"}"#)
}

@Test func plainAndEscapedStringsTakeTheirOwnPaths() {
    // Plain text is copied in bulk; anything needing an escape goes byte by byte.
    for (value, json) in [("fraud", #""fraud""#), ("é😀", #""é😀""#), ("", #""""#), ("a\"b", #""a\"b""#),
                          (String(repeating: "x", count: 40) + "\n", "\"" + String(repeating: "x", count: 40) + "\\n\"")] {
        var w = JSONWriter()
        w.string(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == json)
    }
}

@Test func quotedIsTheWritersEscapingAndEscapesDelete() {
    // DEL is legal raw JSON but not raw YAML; `routes.yaml` quotes its strings with this.
    #expect(JSONWriter.quoted("a\"b\\c\n\u{7F}é") == #""a\"b\\c\n\u007fé""#)
    var w = JSONWriter()
    w.string("x\u{1}\u{7F}")
    #expect(JSONWriter.quoted("x\u{1}\u{7F}") == String(decoding: w.bytes, as: UTF8.self))
}

@Test func indentedTextIsLaidOutAsJSONSerializationPrettyPrintsIt() {
    var w = JSONWriter()
    w.object { w in
        w.key("a"); w.array { w in w.int(1); w.string("x,{\"]:") }
        w.key("e"); w.array { _ in }
        w.key("o"); w.object { w in w.key("k"); w.null() }
    }
    #expect(String(decoding: w.indentedBytes, as: UTF8.self) == """
        {
          "a" : [
            1,
            "x,{\\"]:"
          ],
          "e" : [],
          "o" : {
            "k" : null
          }
        }
        """)
}
