import Testing
import RTMLCore

/// The scanner takes a faster path for compact objects of plain ASCII (the
/// first byte `{`, the last `}`); a leading space sends the same text down
/// the careful path. Both must give the same answer, shifted by one byte.
@Suite struct JSONPlainPathTests {
    /// What a scan reports: the kind and members, or the error.
    struct Outcome: Equatable {
        var kind: JSONValueKind?
        var members: [JSONMember]
        var error: JSONSyntaxError?
    }

    static func outcome(_ bytes: [UInt8], scanner: inout JSONScanner) -> Outcome {
        bytes.withUnsafeBytes { buffer -> Outcome in
            do throws(JSONSyntaxError) {
                let kind = try scanner.scan(buffer)
                return Outcome(kind: kind, members: scanner.members, error: nil)
            } catch {
                return Outcome(kind: nil, members: scanner.members, error: error)
            }
        }
    }

    /// The careful path's outcome for `bytes`, in `bytes`' offsets.
    static func carefulOutcome(_ bytes: [UInt8], maxDepth: Int = 64) -> Outcome {
        var scanner = JSONScanner(maxDepth: maxDepth)
        var result = outcome([UInt8(ascii: " ")] + bytes, scanner: &scanner)
        result.members = result.members.map {
            JSONMember(keyStart: $0.keyStart - 1, keyEnd: $0.keyEnd - 1, keyHasEscapes: $0.keyHasEscapes,
                       valueStart: $0.valueStart - 1, valueEnd: $0.valueEnd - 1, kind: $0.kind,
                       stringHasEscapes: $0.stringHasEscapes)
        }
        result.error = result.error.map { JSONSyntaxError(offset: $0.offset - 1, reason: $0.reason) }
        return result
    }

    static func expectSame(_ bytes: [UInt8], maxDepth: Int = 64, scanner: inout JSONScanner,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = outcome(bytes, scanner: &scanner)
        let careful = carefulOutcome(bytes, maxDepth: maxDepth)
        #expect(fast == careful, "\(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static let lines = [
        #"{"messageId":"m-81f2a9","type":"track","event":"content.start","userId":"u42","timestamp":"2026-11-26T08:00:00.123Z","receivedAt":"2026-11-26T08:00:01.020Z","properties":{"contentId":"c17","category":"sleep","durationSec":600}}"#,
        #"{"messageId":"m-e1fde20f31ccb6b2","type":"track","event":"biometric","userId":"u2639","timestamp":"2026-11-25T23:48:29.391Z","receivedAt":"2026-11-25T23:48:29.472Z","properties":{"steps":12,"heartRate":68.5e-1}}"#,
        #"{"a":true,"b":false,"c":null,"d":-0.5E+3,"e":{},"f":"","g":{"h":null,"i":"x y"}}"#,
        #"{"query":"deep sleep","n":0}"#,
        #"{"k":"v"}"#,
        #"{"":""}"#,
        #"{"a":1}"#,
        "{}",
        "{ }",
    ]

    @Test func agreesWithTheCarefulPathOnMutatedLines() {
        var scanner = JSONScanner()
        let replacements: [UInt8] = Array("\"\\ ,:{}[]0-+.eE1tfn/'x".utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xE3, 0xFF]
        for line in Self.lines {
            let bytes = Array(line.utf8)
            Self.expectSame(bytes, scanner: &scanner)
            for i in bytes.indices {
                // Each byte replaced, removed, doubled; each prefix and suffix.
                for r in replacements where r != bytes[i] {
                    var mutated = bytes
                    mutated[i] = r
                    Self.expectSame(mutated, scanner: &scanner)
                }
                var removed = bytes
                removed.remove(at: i)
                Self.expectSame(removed, scanner: &scanner)
                var doubled = bytes
                doubled.insert(bytes[i], at: i)
                Self.expectSame(doubled, scanner: &scanner)
                Self.expectSame(Array(bytes[..<i]) + [UInt8(ascii: "}")], scanner: &scanner)
                Self.expectSame([UInt8(ascii: "{")] + Array(bytes[(i + 1)...]), scanner: &scanner)
            }
        }
    }

    @Test func agreesAtEveryLengthAcrossBlocks() {
        // Strings that end on, before and after each 8- and 64-byte boundary.
        var scanner = JSONScanner()
        for length in 0..<150 {
            let value = String(repeating: "v", count: length)
            Self.expectSame(Array(#"{"k":"\#(value)"}"#.utf8), scanner: &scanner)
            Self.expectSame(Array(#"{"k":"\#(value)","n":12345}"#.utf8), scanner: &scanner)
            Self.expectSame(Array(#"{"\#(value)":1}"#.utf8), scanner: &scanner)
            Self.expectSame(Array(#"{"k":"\#(value)\"}"#.utf8), scanner: &scanner)
            Self.expectSame(Array(#"{"k":"\#(value)é"}"#.utf8), scanner: &scanner)
            Self.expectSame(Array(#"{"k":"\#(value)","#.utf8) + [0x22, 0x7D], scanner: &scanner)
        }
    }

    @Test func recordsManyMembersAndReplacesTheLastLinesMembers() {
        var scanner = JSONScanner()
        // Member counts up and down across the staging size, so members are
        // overwritten in place, grown, shrunk, and flushed part way.
        for count in [7, 7, 1, 40, 16, 17, 33, 2, 0, 7, 15] {
            let body = (0..<count).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
            Self.expectSame(Array("{\(body)}".utf8), scanner: &scanner)
            #expect(scanner.members.count == count)
            // A rejected line leaves nothing behind, whatever came before.
            Self.expectSame(Array("{\(body),}".utf8), scanner: &scanner)
            #expect(scanner.members.isEmpty)
        }
    }

    @Test func keepsTheDepthLimit() {
        let nested = Array(#"{"a":"b","p":{"c":1}}"#.utf8)
        for maxDepth in 0...3 {
            var scanner = JSONScanner(maxDepth: maxDepth)
            Self.expectSame(nested, maxDepth: maxDepth, scanner: &scanner)
        }
        var scanner = JSONScanner(maxDepth: 1)
        #expect(Self.outcome(nested, scanner: &scanner).error == JSONSyntaxError(offset: 13, reason: .tooDeep(maxDepth: 1)))
    }
}
