import RTMLCore
import Testing

@Suite struct JSONStringTests {
    private func decoded(_ literal: String) -> String {
        let bytes = Array(literal.utf8)
        return bytes.withUnsafeBytes { JSONString.decode($0, from: 0, to: bytes.count) }
    }

    @Test func decodesEscapes() {
        #expect(decoded(#""plain""#) == "plain")
        #expect(decoded(#""""#) == "")
        #expect(decoded(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == "a\"b\\c/d\u{8}e\u{C}f\ng\rh\ti")
        #expect(decoded(#""\u0041\u00e9\u20AC\u0000""#) == "Aé€\u{0}")
        #expect(decoded(#""\ud83d\ude00""#) == "😀")
        #expect(decoded(#""x\uD834\uDD1Ey""#) == "x𝄞y")
        #expect(decoded("\"é ストレス 😀\"") == "é ストレス 😀")
    }

    @Test func decodesWhatWasNotValidatedWithoutTrapping() {
        #expect(decoded(#""\ud800""#) == "\u{FFFD}")
        #expect(decoded(#""\udc00\ud800x""#) == "\u{FFFD}\u{FFFD}x")
        #expect(decoded(#""\u12""#) == "\u{FFFD}12")
        #expect(decoded(#""\"#) == "")
        #expect(decoded("\"") == "")
        #expect(Array([0x22, 0xFF, 0x5C, 0x6E, 0x22] as [UInt8]).withUnsafeBytes { JSONString.decode($0, from: 0, to: 5) } == "\u{FFFD}\n")
        #expect([UInt8]().withUnsafeBytes { JSONString.decode($0, from: 0, to: 9) } == "")
    }

    private func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        JSONString.appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func quoted(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { JSONString.appendQuoted($0, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func quotesStrings() {
        #expect(quoted("") == #""""#)
        #expect(quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(quoted("\n\t\r\u{8}\u{C}\u{0}\u{1F}\u{7F}") == #""\n\t\r\b\f\u0000\u001f"# + "\u{7F}\"")
        #expect(quoted("é😀/") == "\"é😀/\"")
    }

    @Test func quotesArbitraryBytesReplacingIllFormedUTF8() {
        #expect(quoted([0x61, 0xFF, 0x62]) == "\"a\u{FFFD}b\"")
        // One U+FFFD per maximal subpart (Unicode's recommended practice).
        #expect(quoted([0xE2, 0x82, 0x41]) == "\"\u{FFFD}A\"")
        #expect(quoted([0xF0, 0x9F, 0x98]) == "\"\u{FFFD}\"")
        #expect(quoted([0xED, 0xA0, 0x80]) == "\"\u{FFFD}\u{FFFD}\u{FFFD}\"")
        #expect(quoted([0xC3, 0xA9, 0x0A]) == "\"é\\n\"")
    }

    @Test func quotedOutputRoundTripsThroughTheScanner() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let raw = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var out: [UInt8] = []
            raw.withUnsafeBytes { JSONString.appendQuoted($0, to: &out) }
            #expect(scanResult(out) == .success(.string), "\(raw)")
            let back = out.withUnsafeBytes { JSONString.decode($0, from: 0, to: out.count) }
            #expect(back == String(decoding: raw, as: UTF8.self), "\(raw)")
        }
    }
}
