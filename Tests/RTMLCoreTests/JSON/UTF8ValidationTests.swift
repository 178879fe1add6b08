import RTMLCore
import Testing

@Suite struct UTF8ValidationTests {
    private func firstInvalid(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) }
    }

    @Test func acceptsWellFormedText() {
        #expect(firstInvalid([]) == nil)
        #expect(firstInvalid(Array("plain ascii that is longer than eight bytes".utf8)) == nil)
        #expect(firstInvalid(Array("é ストレス 😀 \u{10FFFF} \u{D7FF} \u{E000}".utf8)) == nil)
    }

    @Test func findsTheFirstIllFormedSequence() {
        let cases: [([UInt8], Int)] = [
            ([0x80], 0), ([0x61, 0xC0, 0xAF], 1), ([0xC1, 0xBF], 0), ([0xE0, 0x9F, 0x80], 0),
            ([0xED, 0xA0, 0x80], 0), ([0xF0, 0x8F, 0x80, 0x80], 0), ([0xF4, 0x90, 0x80, 0x80], 0),
            ([0xF5, 0x80, 0x80, 0x80], 0), ([0xFF], 0), ([0x61, 0x62, 0xE2, 0x82], 2),
            (Array("0123456789".utf8) + [0xC3], 10), (Array("01234567".utf8) + [0xC3, 0xA9, 0xA9], 10),
        ]
        for (bytes, offset) in cases {
            #expect(firstInvalid(bytes) == offset, "\(bytes)")
            #expect(!bytes.withUnsafeBytes { UTF8Validation.isValid($0) })
        }
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [[0x61], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xED, 0xA0], [0xF4, 0x90], [0xC0]]
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<12, using: &rng) { bytes += pieces.randomElement(using: &rng)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBytes { UTF8Validation.isValid($0) } == expected, "\(bytes)")
        }
    }
}
