/// Splits free text into terms the way every search embedding reads it.
///
/// A term is a maximal run of letters and digits: Unicode scalars whose
/// general category is a letter (L*) or a number (N*). Everything else
/// (spaces, punctuation, symbols, marks) separates terms. Each scalar is
/// lowercased with its own full lowercase mapping, without context (so a
/// final capital sigma becomes σ, not ς). In Python:
/// `"".join(c.lower() if unicodedata.category(c)[0] in "LN" else " " for c in text).split()`.
public enum QueryTerms {
    /// Calls `body` with the lowercased UTF-8 bytes of each term, in order.
    public static func forEach(in text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var term: [UInt8] = []
        term.reserveCapacity(32)
        @inline(__always) func flush() {
            if !term.isEmpty {
                term.withUnsafeBytes(body)
                term.removeAll(keepingCapacity: true)
            }
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(v)
                switch b {
                case 0x61...0x7A, 0x30...0x39: term.append(b)
                case 0x41...0x5A: term.append(b | 0x20)
                default: flush()
                }
            } else if isTermScalar(scalar) {
                term.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
            } else {
                flush()
            }
        }
        flush()
    }

    /// The terms as strings (for tests and tools; the engine uses `forEach`).
    public static func split(_ text: String) -> [String] {
        var result: [String] = []
        forEach(in: text) { result.append(String(decoding: $0, as: UTF8.self)) }
        return result
    }

    static func isTermScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
