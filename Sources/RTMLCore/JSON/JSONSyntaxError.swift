/// Why a JSON text was rejected.
///
/// Each case reads as a short lowercase phrase (`description`), the form
/// ingest writes into its rejects next to the byte offset.
public enum JSONErrorReason: Sendable, Equatable, CustomStringConvertible {
    case emptyInput
    case unexpectedEnd
    case unexpectedCharacter
    case expectedValue
    case expectedKey
    case expectedColon
    case expectedCommaOrObjectEnd
    case expectedCommaOrArrayEnd
    case trailingComma
    case trailingCharacters
    /// Opening one more container would exceed the scanner's `maxDepth`.
    case tooDeep(maxDepth: Int)
    case invalidNumber
    case invalidLiteral
    case singleQuotedString
    case comment
    case unterminatedString
    case controlCharacter
    case invalidEscape
    /// `\u` not followed by four hexadecimal digits.
    case invalidUnicodeEscape
    /// A `\u` escape of a UTF-16 surrogate that is not the first half of a
    /// high-low pair; carries the escaped code unit.
    case loneSurrogate(UInt16)
    case invalidUTF8

    public var description: String {
        switch self {
        case .emptyInput: return "empty input"
        case .unexpectedEnd: return "unexpected end of input"
        case .unexpectedCharacter: return "unexpected character"
        case .expectedValue: return "expected a value"
        case .expectedKey: return "expected a string key"
        case .expectedColon: return "expected ':'"
        case .expectedCommaOrObjectEnd: return "expected ',' or '}'"
        case .expectedCommaOrArrayEnd: return "expected ',' or ']'"
        case .trailingComma: return "trailing comma"
        case .trailingCharacters: return "trailing characters after the value"
        case .tooDeep(let maxDepth): return "nesting deeper than \(maxDepth)"
        case .invalidNumber: return "invalid number"
        case .invalidLiteral: return "invalid literal"
        case .singleQuotedString: return "single-quoted string"
        case .comment: return "comment"
        case .unterminatedString: return "unterminated string"
        case .controlCharacter: return "control character in string"
        case .invalidEscape: return "invalid escape"
        case .invalidUnicodeEscape: return "invalid \\u escape"
        case .loneSurrogate(let unit): return "lone surrogate \\u" + hex4(unit)
        case .invalidUTF8: return "invalid utf-8"
        }
    }

    private func hex4(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// A JSON text that is not valid, with the byte where scanning stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the scanned buffer where it went wrong: the offending
    /// byte, the opening quote of an unterminated string, the backslash of a
    /// bad escape, the lead byte of ill-formed UTF-8, the comma of a trailing
    /// comma, or the buffer's length when the input ends too early.
    public var offset: Int
    public var reason: JSONErrorReason

    public init(offset: Int, reason: JSONErrorReason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "byte \(offset): \(reason)" }
}
