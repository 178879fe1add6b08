/// Reading a whole JSON document into a `JSONValue`, keeping member order.
///
/// Bundles hold small JSON documents (model.json, metrics.json, aliases.json
/// and the signature columns inside MLmodel); they are read back into the
/// same ordered tree they were written from, so a round trip keeps the order
/// a person sees. Strict RFC 8259: no comments, no trailing commas, no NaN.
extension JSONValue {
    /// Parses `bytes` as one JSON value; `source` names the document in errors
    /// (`models/recs/3/model.json: byte 17: expected ':' after an object key`).
    public static func parse(_ bytes: [UInt8], source: String) throws -> JSONValue {
        var parser = TreeParser(bytes: bytes, source: source)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        if parser.p < bytes.count { throw parser.fail("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ text: String, source: String) throws -> JSONValue {
        try parse(Array(text.utf8), source: source)
    }

    /// The value of the first member named `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// A number as a Double (ints and doubles alike), else nil.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    /// An integral number as an Int, else nil.
    public var intValue: Int? {
        switch self {
        case .int(let v): v
        case .uint(let v): Int(exactly: v)
        case .double(let v): Int(exactly: v)
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectMembers: [(String, JSONValue)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    public var arrayItems: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

private struct TreeParser {
    let bytes: [UInt8]
    let source: String
    var p = 0
    static let maxDepth = 256

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func fail(_ reason: String) -> RTMLError {
        RTMLError("\(source): byte \(p): \(reason)")
    }

    mutating func skipSpace() {
        while p < bytes.count, bytes[p] == 0x20 || bytes[p] == 0x0A || bytes[p] == 0x0D || bytes[p] == 0x09 { p += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < TreeParser.maxDepth else { throw fail("nested deeper than \(TreeParser.maxDepth) levels") }
        guard p < bytes.count else { throw fail("unexpected end of the document") }
        switch bytes[p] {
        case UInt8(ascii: "{"):
            p += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if p < bytes.count, bytes[p] == UInt8(ascii: "}") { p += 1; return .object(members) }
            while true {
                skipSpace()
                guard p < bytes.count, bytes[p] == UInt8(ascii: "\"") else { throw fail("expected a quoted object key") }
                let key = try string()
                skipSpace()
                guard p < bytes.count, bytes[p] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
                p += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard p < bytes.count else { throw fail("unexpected end inside an object") }
                if bytes[p] == UInt8(ascii: ",") { p += 1; continue }
                if bytes[p] == UInt8(ascii: "}") { p += 1; return .object(members) }
                throw fail("expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            p += 1
            var items: [JSONValue] = []
            skipSpace()
            if p < bytes.count, bytes[p] == UInt8(ascii: "]") { p += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard p < bytes.count else { throw fail("unexpected end inside an array") }
                if bytes[p] == UInt8(ascii: ",") { p += 1; continue }
                if bytes[p] == UInt8(ascii: "]") { p += 1; return .array(items) }
                throw fail("expected ',' or ']' in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    mutating func literal(_ word: String, _ result: JSONValue) throws -> JSONValue {
        let w = Array(word.utf8)
        guard p + w.count <= bytes.count, Array(bytes[p..<p + w.count]) == w else { throw fail("unexpected character") }
        p += w.count
        return result
    }

    /// The string literal at `p` (on its opening quote), escapes checked and decoded.
    mutating func string() throws -> String {
        let start = p
        p += 1
        while p < bytes.count {
            let b = bytes[p]
            if b == UInt8(ascii: "\"") {
                p += 1
                let end = p
                guard UTF8Validation.isValid(bytes.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[(start + 1)..<(end - 1)]) }) else {
                    p = start
                    throw fail("string is not valid UTF-8")
                }
                return bytes.withUnsafeBytes { JSONString.decode($0, from: start, to: end) }
            }
            if b < 0x20 { throw fail("control character inside a string") }
            if b == UInt8(ascii: "\\") {
                p += 1
                guard p < bytes.count else { break }
                switch bytes[p] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    p += 1
                case UInt8(ascii: "u"):
                    guard p + 4 < bytes.count, bytes[(p + 1)...(p + 4)].allSatisfy(isHexDigit) else {
                        throw fail("'\\u' must be followed by four hex digits")
                    }
                    p += 5
                default:
                    throw fail("unknown escape in a string")
                }
                continue
            }
            p += 1
        }
        throw fail("unterminated string")
    }

    mutating func number() throws -> JSONValue {
        let start = p
        var integral = true
        if p < bytes.count, bytes[p] == UInt8(ascii: "-") { p += 1 }
        while p < bytes.count {
            let b = bytes[p]
            if b >= 0x30 && b <= 0x39 || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                p += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                integral = false
                p += 1
            } else {
                break
            }
        }
        let end = p
        guard end > start else { throw fail("unexpected character") }
        if integral, let v = bytes.withUnsafeBytes({ JSONNumber.int64($0, from: start, to: end) }) {
            return .int(Int(v))
        }
        if integral, bytes[start] != UInt8(ascii: "-"), bytes[start] != UInt8(ascii: "0"), let v = UInt64(String(decoding: bytes[start..<end], as: UTF8.self)) {
            return .uint(v)
        }
        guard let d = bytes.withUnsafeBytes({ JSONNumber.double($0, from: start, to: end) }) else {
            p = start
            throw fail("not a valid JSON number")
        }
        return .double(d)
    }
}

private func isHexDigit(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
}
