/// Reading the fields of a scanned line the way the envelope code needs
/// them: raw byte views where possible, decoded Strings only on rare paths.
enum JSONAccess {
    @inline(__always)
    static func keyBytes(_ line: UnsafeRawBufferPointer, _ member: JSONMember) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[member.keyStart..<member.keyEnd])
    }

    static func decodedKey(_ line: UnsafeRawBufferPointer, _ member: JSONMember) -> String {
        JSONString.decodeKey(of: member, in: line)
    }

    /// The bytes between a string value's quotes (escapes not decoded).
    @inline(__always)
    static func stringContent(_ line: UnsafeRawBufferPointer, _ member: JSONMember) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[(member.valueStart + 1)..<(member.valueEnd - 1)])
    }

    static func decodedString(_ line: UnsafeRawBufferPointer, _ member: JSONMember) -> String {
        JSONString.decodeValue(of: member, in: line)
    }

    static func number(_ line: UnsafeRawBufferPointer, _ member: JSONMember) -> Double? {
        JSONNumber.double(of: member, in: line)
    }

    static func isUTF8Error(_ error: JSONSyntaxError) -> Bool {
        error.reason == .invalidUTF8
    }

    /// The value as it appears in the input, shortened for messages.
    static func quotedExcerpt(_ line: UnsafeRawBufferPointer, _ member: JSONMember, limit: Int = 48) -> String {
        let count = member.valueEnd - member.valueStart
        let shown = UnsafeRawBufferPointer(rebasing: line[member.valueStart..<(member.valueStart + min(count, limit))])
        let text = String(decoding: shown, as: UTF8.self)
        return count > limit ? text + "…" : text
    }

    static func kindName(_ kind: JSONValueKind) -> String {
        switch kind {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    static func article(_ kind: JSONValueKind) -> String {
        switch kind {
        case .object, .array: "an \(kindName(kind))"
        case .null: "null"
        default: "a \(kindName(kind))"
        }
    }

    /// True for a line of only spaces and tabs (CR was already stripped).
    @inline(__always)
    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte != 0x20 && byte != 0x09 && byte != 0x0D { return false }
        return true
    }

    /// The line without surrounding JSON whitespace.
    @inline(__always)
    static func trimmed(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = line.count
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while start < end && isSpace(line[start]) { start += 1 }
        while end > start && isSpace(line[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[start..<end])
    }
}
