import Foundation
import RTMLCore
import Testing

/// Compares accept/reject with Foundation's JSONSerialization on generated
/// texts and their mutations.
///
/// JSONSerialization is a parser, not a validator, and differs from RFC 8259
/// in known ways; inputs that touch those are left out of the comparison
/// (`knownDifference`), so every remaining disagreement is a real bug on one
/// side. Seeded, so a failure reproduces.
@Suite struct JSONDifferentialTests {
    struct Generator {
        var mixer: SplitMix64
        init(state: UInt64) { mixer = SplitMix64(state: state) }
        mutating func next() -> UInt64 { mixer.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

        mutating func whitespace() -> String {
            below(4) == 0 ? pick([" ", "\n", "\t", "\r\n", "  "]) : ""
        }

        mutating func string() -> String {
            let pieces = ["a", "Z", "0", " ", "é", "ストレス", "😀", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u0000",
                          "\\uD83D\\uDE00", "\\ud834\\udd1e", "\u{7F}", "abcdefghijkl", "\\t"]
            var s = "\""
            for _ in 0..<below(6) { s += pick(pieces) }
            return s + "\""
        }

        mutating func number() -> String {
            var s = below(3) == 0 ? "-" : ""
            s += below(4) == 0 ? "0" : String(1 + below(9)) + String(repeating: "7", count: below(8))
            if below(3) == 0 { s += "." + String(below(1000)) }
            if below(4) == 0 { s += pick(["e", "E"]) + pick(["", "+", "-"]) + String(below(60)) }
            return s
        }

        mutating func value(depth: Int) -> String {
            let choice = depth > 4 ? below(5) : below(7)
            switch choice {
            case 0: return string()
            case 1: return number()
            case 2: return pick(["true", "false", "null"])
            case 3, 4: return below(2) == 0 ? number() : string()
            case 5:
                var parts: [String] = []
                for _ in 0..<below(4) { parts.append(whitespace() + value(depth: depth + 1) + whitespace()) }
                return "[" + parts.joined(separator: ",") + whitespace() + "]"
            default:
                var parts: [String] = []
                for _ in 0..<below(4) {
                    parts.append(whitespace() + string() + whitespace() + ":" + whitespace() + value(depth: depth + 1) + whitespace())
                }
                return "{" + parts.joined(separator: ",") + whitespace() + "}"
            }
        }

        /// One random edit: the kinds of damage real logs and fuzzers produce.
        mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var b = bytes
            let alphabet: [UInt8] = Array("{}[]\",:\\/ u0123456789eE.+-tfnlrsa'".utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF]
            let at = b.isEmpty ? 0 : below(b.count)
            switch below(5) {
            case 0 where !b.isEmpty: b.remove(at: at)
            case 1: b.insert(pick(alphabet), at: b.isEmpty ? 0 : below(b.count + 1))
            case 2 where !b.isEmpty: b[at] = pick(alphabet)
            case 3 where !b.isEmpty: b = Array(b[..<at])
            default:
                if !b.isEmpty {
                    let length = min(1 + below(6), b.count - at)
                    b.insert(contentsOf: b[at..<(at + length)], at: at)
                }
            }
            return b
        }
    }

    /// Inputs where JSONSerialization is known to answer differently from
    /// RFC 8259, so agreement there proves nothing:
    /// - trailing commas (`[1,]`, `{"a":1,}`): it accepts them;
    /// - a leading byte order mark, and any NUL or 0xFE/0xFF among the first
    ///   bytes: it accepts the BOM and guesses UTF-16/UTF-32 from those bytes,
    ///   where RFC 8259 says UTF-8 only;
    /// - numbers beyond a Double's range (`1e400`): it rejects them, but they
    ///   are valid JSON text;
    /// - `\u` surrogate escapes: it rejects lone ones too, but its handling of
    ///   mis-ordered pairs has varied between Foundation versions, and the
    ///   scanner's own tests cover them exactly;
    /// - nesting deeper than 64, where the limits differ by design.
    /// Duplicate keys are not excluded: both accept them.
    static func knownDifference(_ bytes: [UInt8], _ ours: JSONSyntaxError?) -> Bool {
        if ours?.reason == .trailingComma { return true }
        if case .tooDeep = ours?.reason { return true }
        if bytes.prefix(4).contains(where: { $0 == 0x00 || $0 == 0xFE || $0 == 0xFF }) { return true }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return true }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        if text.contains("\\ud") { return true }
        // An exponent of three or more digits may overflow a Double.
        var digitsAfterE = -1
        for c in text.utf8 {
            if c == UInt8(ascii: "e") { digitsAfterE = 0; continue }
            if digitsAfterE >= 0 {
                if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { continue }
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                    digitsAfterE += 1
                    if digitsAfterE >= 3 { return true }
                    continue
                }
                digitsAfterE = -1
            }
        }
        // Integer parts long enough to overflow too (more than 300 digits).
        return bytes.count > 300 && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 || $0 == 0x2D }
    }

    @Test func agreesWithJSONSerializationOnGeneratedTexts() {
        var gen = Generator(state: 20_261_126)
        var compared = 0
        var accepted = 0
        var disagreements: [String] = []
        for i in 0..<3000 {
            var bytes = Array((gen.whitespace() + gen.value(depth: 0) + gen.whitespace()).utf8)
            if i % 3 != 0 {
                for _ in 0..<(1 + gen.below(3)) { bytes = gen.mutate(bytes) }
            }
            let ours = scanError(bytes)
            if Self.knownDifference(bytes, ours) { continue }
            let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil
            compared += 1
            if ours == nil { accepted += 1 }
            if (ours == nil) != theirs {
                disagreements.append("\(String(decoding: bytes, as: UTF8.self).debugDescription) \(bytes): ours \(ours.map(\.description) ?? "accept"), JSONSerialization \(theirs ? "accept" : "reject")")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10).joined(separator: "\n"))")
        // The comparison must have meant something on both sides.
        #expect(compared > 2000)
        #expect(accepted > 800 && compared - accepted > 800)
    }
}
