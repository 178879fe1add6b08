import Foundation
import RTMLCore
import Testing

@Suite struct BundleYAMLTests {
    static let awkwardStrings = [
        "", " leading", "trailing ", "true", "False", "yes", "no", "null", "~", "3", "-4.5", "1e3", ".inf", "0x1F",
        "2026-11-26", "a: b", "#not a comment", "x #y", "it's", "\"dq\"", "- item", "[1]", "{a}", "&anchor", "*alias",
        "!tag", "|", ">", "%", "@", "line\nbreak", "tab\there", "\u{7}bell", "naïve café", "日本", "emoji 🙂",
        "back\\slash", "e\u{301}", "'\u{301}", "a'\u{301}b", "crlf\r\nline", "zwj\u{200D}", "plain words", "snake_case", "path/to/file.bin", "-", "?", ":",
    ]

    @Test func everyValueReadsBackAsItWasWritten() throws {
        let doc = JSONValue.object([
            ("strings", .array(Self.awkwardStrings.map { .string($0) })),
            ("numbers", .object([
                ("zero", .int(0)), ("negative", .int(-42)), ("big", .uint(UInt64.max)),
                ("tenth", .double(0.1)), ("tiny", .double(1e-5)), ("whole", .double(1.0)), ("huge", .double(1e300)),
                ("neg", .double(-2.5)), ("inf", .double(.infinity)), ("ninf", .double(-.infinity)),
            ])),
            ("flags", .array([.bool(true), .bool(false), .null])),
            ("empty map", .object([])),
            ("empty list", .array([])),
            ("list of maps", .array([
                .object([("name", .string("weights.bin")), ("shape", .array([.int(3), .int(4)])), ("nested", .object([("k", .string("v"))]))]),
                .object([("only", .int(1))]),
            ])),
            ("list of lists", .array([.array([.int(1), .int(2)]), .array([]), .array([.array([.string("deep")])])])),
            ("true", .string("a key that is a YAML word")),
            ("key: with colon", .int(1)),
            ("", .string("empty key")),
        ])
        let text = BundleYAML.emit(doc)
        let back = try BundleYAML.parse(text, source: "t.yaml")
        #expect(back == doc, "\(text)")
        // `==` compares rendered JSON, where 1.0 and 1 look alike; types must survive too.
        if case .double(let whole) = back["numbers"]?["whole"] { #expect(whole == 1.0) } else { Issue.record("1.0 did not stay a double") }
        if case .int = back["numbers"]?["zero"] {} else { Issue.record("0 did not stay an integer") }
        #expect(back["strings"]?.arrayItems?.compactMap(\.stringValue) == Self.awkwardStrings)
        // NaN is not equal to itself; check it separately.
        let nan = try BundleYAML.parse(BundleYAML.emit(.object([("x", .double(.nan))])), source: "t")
        #expect(nan["x"]?.doubleValue?.isNaN == true)
    }

    /// The style MLflow's MLmodel files have (PyYAML block style): two-space
    /// maps, list dashes at the key's indent, JSON in single quotes.
    @Test func emitsPyYAMLBlockStyle() {
        let doc = JSONValue.object([
            ("artifact_path", .string("recs")),
            ("flavors", .object([("rtml", .object([
                ("format_version", .int(1)),
                ("files", .object([("w.bin", .object([("shape", .array([.int(2), .int(3)])), ("size", .int(24))]))])),
            ]))])),
            ("signature", .object([("inputs", .string("[{\"name\": \"x\", \"type\": \"double\"}]"))])),
            ("items", .array([.object([("a", .int(1)), ("b", .string("it's"))])])),
            ("empty", .object([])),
        ])
        #expect(BundleYAML.emit(doc) == """
            artifact_path: recs
            flavors:
              rtml:
                format_version: 1
                files:
                  w.bin:
                    shape:
                    - 2
                    - 3
                    size: 24
            signature:
              inputs: '[{"name": "x", "type": "double"}]'
            items:
            - a: 1
              b: 'it''s'
            empty: {}

            """)
    }

    @Test func readsHandWrittenYAMLOfTheSubset() throws {
        let text = """
            --- # a document start with a comment
            # a full-line comment
            name: recs   # trailing comment
            quoted: "tab\\tand \\u00e9 \\x41"
            single: 'a #b'
            list:
              - 1
              - two
              -
                nested: true
            map:
                deep:
                    deeper: ~
            empty:
            hex: 0x10
            octal: 0o17
            float: 1.
            exp: 2E+3
            version: 1.2.3
            """
        let doc = try BundleYAML.parse(text, source: "h.yaml")
        #expect(doc["name"] == .string("recs"))
        #expect(doc["quoted"] == .string("tab\tand é A"))
        #expect(doc["single"] == .string("a #b"))
        #expect(doc["list"] == .array([.int(1), .string("two"), .object([("nested", .bool(true))])]))
        #expect(doc["map"]?["deep"]?["deeper"] == .null)
        #expect(doc["empty"] == .null)
        #expect(doc["hex"] == .int(16))
        #expect(doc["octal"] == .int(15))
        #expect(doc["float"] == .double(1.0))
        #expect(doc["exp"] == .double(2000))
        #expect(doc["version"] == .string("1.2.3"))
    }

    @Test(arguments: [
        ("a: 1\n\tb: 2\n", 2, "tab in indentation"),
        ("a: !!python/object/apply:os.system ['echo hi']\n", 1, "tags are not supported"),
        ("a: &x 1\nb: *x\n", 1, "anchors and aliases are not supported"),
        ("a:\n  b: 1\n c: 2\n", 3, "unexpected indentation"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a: 'open\n", 1, "unterminated single-quoted scalar"),
        ("a: \"bad \\q\"\n", 1, "unknown escape"),
        ("a: [1, 2]\n", 1, "flow collections are not supported"),
        ("a: |\n  text\n", 1, "block scalars"),
        ("a: 1\n  b: 2\n", 2, "unexpected indentation"),
        ("just a line\n", 1, "expected 'key: value'"),
        ("a: 1\n- b\n", 2, "a list item cannot follow"),
        ("a: 'x' y\n", 1, "unexpected text after a quoted scalar"),
        ("a: b: c\n", 1, "cannot contain ': '"),
        ("? complex\n", 1, "complex keys"),
        ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
        ("a: - b\n", 1, "a list item cannot start"),
    ] as [(String, Int, String)])
    func malformedInputNamesFileAndLine(text: String, line: Int, reason: String) {
        let error = rtmlError { _ = try BundleYAML.parse(text, source: "models/x/MLmodel") }
        #expect(error?.message.hasPrefix("models/x/MLmodel:\(line): ") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
        #expect(error?.status == .error)
    }

    /// PyYAML's YAML 1.1 float pattern needs a '.' and a signed exponent; without them
    /// it reads "1e-05" as a string.
    @Test func floatsAreWrittenSoYAML11ReadersSeeFloats() throws {
        let text = BundleYAML.emit(.object([("a", .double(1e-5)), ("b", .double(1e300)), ("c", .double(-2.5e-10)), ("d", .double(3))]))
        #expect(text == "a: 1.0e-05\nb: 1.0e+300\nc: -2.5e-10\nd: 3.0\n")
        #expect(try BundleYAML.parse(text, source: "t")["a"]?.doubleValue == 1e-5)
    }

    @Test func deepNestingIsRefusedNotAStackOverflow() throws {
        let deep = (0..<200).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        #expect(rtmlError { _ = try BundleYAML.parse(deep, source: "d") }?.message == "d:65: nested deeper than 64 levels")
        let fine = (0..<30).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        #expect(try BundleYAML.parse(fine, source: "d")["k"]?["k"] != nil)
    }

    @Test func crlfLineEndingsAndEmptyDocuments() throws {
        #expect(try BundleYAML.parse("\u{FEFF}a: 1\n", source: "t") == .object([("a", .int(1))]))
        #expect(try BundleYAML.parse("a: 1\r\nb:\r\n- x\r\n", source: "t") == .object([("a", .int(1)), ("b", .array([.string("x")]))]))
        #expect(try BundleYAML.parse("", source: "t") == .object([]))
        #expect(try BundleYAML.parse("# only a comment\n", source: "t") == .object([]))
    }
}

@Suite struct JSONValueParseTests {
    @Test func keepsMemberOrderAndTypes() throws {
        let v = try JSONValue.parse(#" {"z": 1, "a": [true, null, -2.5e-3, "\u00e9\n"], "m": {}, "u": 18446744073709551615, "f": 1.0} "#, source: "t")
        #expect(v.objectMembers?.map(\.0) == ["z", "a", "m", "u", "f"])
        #expect(v["z"] == .int(1))
        #expect(v["a"] == .array([.bool(true), .null, .double(-0.0025), .string("é\n")]))
        #expect(v["u"] == .uint(UInt64.max))
        #expect(v["f"]?.doubleValue == 1.0)
        let roundTrip = try JSONValue.parse(v.rendered(pretty: true), source: "t")
        #expect(roundTrip == v)
    }

    @Test(arguments: [
        ("{\"a\":1,}", "expected a quoted object key"),
        ("[1 2]", "expected ',' or ']'"),
        ("{\"a\" 1}", "expected ':'"),
        ("\"abc", "unterminated string"),
        ("\"\\x\"", "unknown escape"),
        ("01", "not a valid JSON number"),
        ("NaN", "unexpected character"),
        ("{} {}", "unexpected text after"),
        ("", "unexpected end"),
        (String(repeating: "[", count: 300), "nested deeper"),
    ] as [(String, String)])
    func rejectsMalformedJSON(text: String, reason: String) {
        let error = rtmlError { _ = try JSONValue.parse(text, source: "m.json") }
        #expect(error?.message.hasPrefix("m.json: byte ") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }
}
