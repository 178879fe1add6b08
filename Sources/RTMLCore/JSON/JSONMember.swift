/// The kind of a JSON value, read from its first byte.
public enum JSONValueKind: UInt8, Sendable {
    case object, array, string, number, bool, null
}

/// One member of a scanned object; offsets index the scanned buffer.
///
/// A member holds no pointer, only offsets, so it stays valid as long as the
/// caller keeps the bytes it was scanned from; ingest keeps the line buffer.
public struct JSONMember: Sendable, Equatable {
    /// First byte of the key's content (after the opening quote).
    public var keyStart: Int
    /// The closing quote's offset, so `keyEnd - keyStart` is the raw key length.
    public var keyEnd: Int
    /// The raw key contains a backslash escape and must be decoded to compare.
    public var keyHasEscapes: Bool
    /// First byte of the value (the opening quote for a string).
    public var valueStart: Int
    /// One past the value's last byte (past the closing quote for a string).
    public var valueEnd: Int
    public var kind: JSONValueKind
    /// For a string value: it contains a backslash escape, so its bytes
    /// between the quotes are not its text.
    public var stringHasEscapes: Bool

    public init(
        keyStart: Int, keyEnd: Int, keyHasEscapes: Bool,
        valueStart: Int, valueEnd: Int, kind: JSONValueKind, stringHasEscapes: Bool
    ) {
        self.keyStart = keyStart
        self.keyEnd = keyEnd
        self.keyHasEscapes = keyHasEscapes
        self.valueStart = valueStart
        self.valueEnd = valueEnd
        self.kind = kind
        self.stringHasEscapes = stringHasEscapes
    }

    /// The value's bytes as a half-open range of the scanned buffer.
    public var valueRange: Range<Int> { valueStart..<valueEnd }
}
