import RTMLCore
import Testing

@Suite struct JSONScannerTests {
    @Test(arguments: [
        "{}", "[]", "0", "-0", "1", "-1", "0.5", "-0.5", "1e5", "1E5", "1e+5", "1e-5", "1.5e-10",
        "123456789012345678901234567890", "\"\"", "\"a\"", "true", "false", "null",
        " \t\r\n{ \"a\" : [ 1 , 2 , { } ] }\r\n ", "[[[]]]", "{\"a\":{\"b\":{\"c\":null}}}",
        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", "\"\u{7F}\"", "\"é ストレス 😀\"",
        "{\"a\":1,\"a\":2}", "[1,\"x\",true,false,null,{},[]]",
    ])
    func acceptsValidJSON(_ text: String) {
        #expect(scanError(text) == nil, "\(text)")
    }

    @Test(arguments: [
        ("[1,]", JSONErrorReason.trailingComma), ("{\"a\":1,}", .trailingComma), ("[1,2,  ]", .trailingComma),
        ("{'a':1}", .singleQuotedString), ("['a']", .singleQuotedString),
        ("[1]//c", .trailingCharacters), ("/*c*/1", .comment), ("[1,/*c*/2]", .comment),
        ("NaN", .unexpectedCharacter), ("Infinity", .unexpectedCharacter), ("-Infinity", .invalidNumber),
        ("01", .invalidNumber), ("-01", .invalidNumber), ("+1", .unexpectedCharacter), (".5", .unexpectedCharacter),
        ("1.", .invalidNumber), ("1.e5", .invalidNumber), ("1e", .invalidNumber), ("1e+", .invalidNumber),
        ("-", .invalidNumber), ("[-]", .invalidNumber), ("0x10", .trailingCharacters), ("1 2", .trailingCharacters),
        ("tru", .invalidLiteral), ("nul", .invalidLiteral), ("falsy", .invalidLiteral), ("True", .unexpectedCharacter),
        ("truex", .trailingCharacters), ("[truex]", .expectedCommaOrArrayEnd),
        ("\"abc", .unterminatedString), ("\"abc\\", .unterminatedString), ("\"a\tb\"", .controlCharacter),
        ("\"a\nb\"", .controlCharacter), ("\"\\x\"", .invalidEscape), ("\"\\U0041\"", .invalidEscape), ("\"\\'\"", .invalidEscape),
        ("\"\\u12G4\"", .invalidUnicodeEscape), ("\"\\u12\"", .invalidUnicodeEscape),
        ("\"\\ud800\"", .loneSurrogate(0xD800)), ("\"\\udc00\"", .loneSurrogate(0xDC00)),
        ("\"\\ude00\\ud83d\"", .loneSurrogate(0xDE00)), ("\"\\ud83d\\u0041\"", .loneSurrogate(0xD83D)),
        ("\"\\ud83d\\ud83d\"", .loneSurrogate(0xD83D)), ("\"\\udbff x\"", .loneSurrogate(0xDBFF)),
        ("", .emptyInput), ("  \n", .emptyInput), ("{", .unexpectedEnd), ("[1", .unexpectedEnd), ("{\"a\"", .unexpectedEnd),
        ("{\"a\" 1}", .expectedColon), ("{\"a\":}", .expectedValue), ("{1:2}", .expectedKey), ("{,}", .expectedKey),
        ("[1 2]", .expectedCommaOrArrayEnd), ("{\"a\":1 \"b\":2}", .expectedCommaOrObjectEnd), ("[1}", .expectedCommaOrArrayEnd),
        ("{\"a\":1]", .expectedCommaOrObjectEnd), ("[]]", .trailingCharacters), ("[,1]", .expectedValue), ("[1,,2]", .expectedValue),
        ("\u{0B}1", .unexpectedCharacter), ("1\u{0C}", .trailingCharacters), ("\u{A0}1", .unexpectedCharacter),
        ("\u{FEFF}1", .unexpectedCharacter),
    ])
    func rejectsInvalidJSON(_ text: String, _ reason: JSONErrorReason) {
        #expect(scanError(text)?.reason == reason, "\(text.debugDescription)")
    }

    @Test func reportsWhereItWentWrong() {
        #expect(scanError("[1,2,]") == JSONSyntaxError(offset: 4, reason: .trailingComma))
        #expect(scanError("{\"a\":\"x") == JSONSyntaxError(offset: 5, reason: .unterminatedString))
        #expect(scanError("[\"ab\u{01}\"]") == JSONSyntaxError(offset: 4, reason: .controlCharacter))
        #expect(scanError("[\"ab\\q\"]") == JSONSyntaxError(offset: 4, reason: .invalidEscape))
        #expect(scanError("[\"a\\ud800\"]") == JSONSyntaxError(offset: 3, reason: .loneSurrogate(0xD800)))
        #expect(scanError("{\"a\":1} x") == JSONSyntaxError(offset: 8, reason: .trailingCharacters))
        #expect(scanError("[1.]") == JSONSyntaxError(offset: 3, reason: .invalidNumber))
        #expect(scanError("[01]") == JSONSyntaxError(offset: 2, reason: .invalidNumber))
        #expect(scanError("[1") == JSONSyntaxError(offset: 2, reason: .unexpectedEnd))
        #expect(scanError([0x5B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x5D]) == JSONSyntaxError(offset: 3, reason: .invalidUTF8))
        // Long strings take the eight-bytes-at-a-time path; the offset must stay exact.
        #expect(scanError("[\"0123456789abcdef0123\u{1F}\"]") == JSONSyntaxError(offset: 22, reason: .controlCharacter))
    }

    @Test func describesErrorsAsByteAndPhrase() {
        #expect(scanError("[1,]")?.description == "byte 2: trailing comma")
        #expect(scanError("\"\\ud800\"")?.description == "byte 1: lone surrogate \\ud800")
        #expect(scanError(String(repeating: "[", count: 65))?.description == "byte 64: nesting deeper than 64")
        #expect(JSONErrorReason.invalidUTF8.description == "invalid utf-8")
        #expect(JSONErrorReason.expectedColon.description == "expected ':'")
    }

    @Test(arguments: [
        [0xFF], [0xFE], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        [0xC3, 0xC3, 0xA9], [0xE2, 0x28, 0xA1],
    ] as [[UInt8]])
    func rejectsIllFormedUTF8InStrings(_ sequence: [UInt8]) {
        #expect(scanError([0x22] + sequence + [0x22])?.reason == .invalidUTF8, "\(sequence)")
        // And after eight ASCII bytes, so the wide path meets it too.
        let long = [0x22] + Array("abcdefghij".utf8) + sequence + Array("klmnopqrstuv".utf8) + [0x22]
        #expect(scanError(long) == JSONSyntaxError(offset: 11, reason: .invalidUTF8), "\(sequence)")
    }

    @Test func rejectsIllFormedUTF8OutsideStrings() {
        #expect(scanError([0x5B, 0x31, 0xFF, 0x5D])?.reason == .invalidUTF8)
        #expect(scanError([0x31, 0x20, 0xC3])?.reason == .invalidUTF8)
        #expect(scanError([0xED, 0xA0, 0x80])?.reason == .invalidUTF8)
        // Well-formed but not JSON: an unexpected character, not a UTF-8 error.
        #expect(scanError("[é]")?.reason == .unexpectedCharacter)
    }

    @Test(arguments: [
        [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
        [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF3, 0xBF, 0xBF, 0xBF],
    ] as [[UInt8]])
    func acceptsWellFormedUTF8Boundaries(_ sequence: [UInt8]) {
        #expect(accepts([0x22] + sequence + [0x22]), "\(sequence)")
        #expect(accepts([0x22] + Array("abcdefghij".utf8) + sequence + Array("klmnopqrstuv".utf8) + [0x22]), "\(sequence)")
    }

    @Test func nestingAtMaxDepthPassesAndOneMoreFails() {
        for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
            let ok = String(repeating: open, count: 64) + "1" + String(repeating: close, count: 64)
            let tooDeep = String(repeating: open, count: 65) + "1" + String(repeating: close, count: 65)
            #expect(accepts(ok))
            #expect(scanError(tooDeep)?.reason == .tooDeep(maxDepth: 64))
        }
        #expect(scanResult("[[[1]]]", maxDepth: 3).isSuccess)
        #expect(!scanResult("[[[[1]]]]", maxDepth: 3).isSuccess)
        #expect(!scanResult("[]", maxDepth: 0).isSuccess)
        #expect(scanResult("1", maxDepth: 0).isSuccess)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 200_000)
        #expect(scanError(deep)?.reason == .tooDeep(maxDepth: 64))
        // Beyond the 64 levels kept in a bit word, with mixed containers.
        let levels = 300
        var text = ""
        for i in 0..<levels { text += i % 3 == 0 ? "{\"k\":" : "[" }
        text += "0"
        for i in (0..<levels).reversed() { text += i % 3 == 0 ? "}" : "]" }
        #expect(scanResult(text, maxDepth: levels).isSuccess)
        #expect(!scanResult(text, maxDepth: levels - 1).isSuccess)
        #expect(!scanResult(String(text.dropLast()) + "]", maxDepth: levels).isSuccess)
    }

    @Test func reportsTheTopLevelKind() {
        #expect(scanResult(" {} ") == .success(.object))
        #expect(scanResult("[1]") == .success(.array))
        #expect(scanResult("\"s\"") == .success(.string))
        #expect(scanResult("-2.5e3") == .success(.number))
        #expect(scanResult("false") == .success(.bool))
        #expect(scanResult("null") == .success(.null))
    }

    @Test func recordsTopLevelMembersWithExactRanges() throws {
        let text = #"{ "a" : "x\"y" , "b\n":[1,{"z":2}],"c":{},"d":-1.5e2,"e":true,"f":null }"#
        let bytes = Array(text.utf8)
        var scanner = JSONScanner()
        try bytes.withUnsafeBytes { buffer in
            let kind = try scanner.scan(buffer)
            #expect(kind == .object)
            let m = scanner.members
            #expect(m.count == 6)
            func slice(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
            #expect(m.map { slice($0.keyStart..<$0.keyEnd) } == ["a", "b\\n", "c", "d", "e", "f"])
            #expect(m.map { slice($0.valueRange) } == [#""x\"y""#, #"[1,{"z":2}]"#, "{}", "-1.5e2", "true", "null"])
            #expect(m.map(\.kind) == [.string, .array, .object, .number, .bool, .null])
            #expect(m.map(\.keyHasEscapes) == [false, true, false, false, false, false])
            #expect(m[0].stringHasEscapes)
        }
        // A text that is not an object, or is rejected, leaves no members.
        try bytes.withUnsafeBytes { _ = try scanner.scan($0) }
        #expect(!scanner.members.isEmpty)
        _ = Array("[1]".utf8).withUnsafeBytes { try? scanner.scan($0) }
        #expect(scanner.members.isEmpty)
        _ = Array("{\"a\":1,}".utf8).withUnsafeBytes { try? scanner.scan($0) }
        #expect(scanner.members.isEmpty)
    }

    @Test func findsMembersByDecodedKeyFirstDuplicateWins() throws {
        let text = #"{"\u0065vent":"a","userId":"u1","ev\u0065nt":"b","event":"c","\ud83d\ude00":1,"userI":2,"userIdx":3}"#
        let bytes = Array(text.utf8)
        var scanner = JSONScanner()
        try bytes.withUnsafeBytes { buffer in
            _ = try scanner.scan(buffer)
            #expect(scanner.member("event", in: buffer) == 0)
            #expect(scanner.count(of: "event", in: buffer) == 3)
            #expect(scanner.member("userId", in: buffer) == 1)
            #expect(scanner.member("missing", in: buffer) == nil)
            #expect(scanner.member("even", in: buffer) == nil)
            #expect(scanner.member("", in: buffer) == nil)
            #expect(JSONString.decodeValue(of: scanner.members[0], in: buffer) == "a")
            #expect(JSONString.decodeKey(of: scanner.members[4], in: buffer) == "😀")
        }
    }

    @Test func listsNestedPropertiesMembers() throws {
        let text = #"{"event":"content.start","properties":{"contentId":"c17","cat\"egory":"sl\"eep","nested":{"a":[1,"]}"]},"durationSec":600, "ok" : false }}"#
        let bytes = Array(text.utf8)
        var scanner = JSONScanner()
        try bytes.withUnsafeBytes { buffer in
            _ = try scanner.scan(buffer)
            let p = try #require(scanner.member("properties", in: buffer))
            let props = JSONScanner.members(ofObjectIn: buffer, from: scanner.members[p].valueStart, to: scanner.members[p].valueEnd)
            #expect(props.map { JSONString.decodeKey(of: $0, in: buffer) } == ["contentId", "cat\"egory", "nested", "durationSec", "ok"])
            #expect(props.map(\.kind) == [.string, .string, .object, .number, .bool])
            #expect(JSONString.decodeValue(of: props[1], in: buffer) == "sl\"eep")
            #expect(props[1].stringHasEscapes && props[1].keyHasEscapes && !props[0].stringHasEscapes)
            #expect(String(decoding: bytes[props[2].valueRange], as: UTF8.self) == #"{"a":[1,"]}"]}"#)
            #expect(JSONNumber.int64(of: props[3], in: buffer) == 600)
            #expect(JSONScanner.firstIndex(of: "durationSec", in: props, bytes: buffer) == 3)
            // Not an object: nothing.
            let e = try #require(scanner.member("event", in: buffer))
            #expect(JSONScanner.members(ofObjectIn: buffer, from: scanner.members[e].valueStart, to: scanner.members[e].valueEnd).isEmpty)
            #expect(JSONScanner.members(ofObjectIn: buffer, from: 0, to: 2).isEmpty)
        }
    }

    @Test func scannerIsReusableAcrossLines() throws {
        var scanner = JSONScanner()
        for i in 0..<100 {
            let bytes = Array("{\"i\":\(i),\"s\":\"v\(i)\"}".utf8)
            try bytes.withUnsafeBytes { buffer in
                _ = try scanner.scan(buffer)
                #expect(scanner.members.count == 2)
                #expect(JSONNumber.int64(of: scanner.members[0], in: buffer) == Int64(i))
            }
        }
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
