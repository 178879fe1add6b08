/// Decoding JSON string literals and writing bytes as JSON string literals.
public enum JSONString {
    /// Decodes the string literal at `start..<end` (quotes included, as in a
    /// member's `valueStart..<valueEnd`): escapes, including `\u` surrogate pairs.
    ///
    /// Meant for strings `JSONScanner` accepted. On anything else it never
    /// traps: a range that is not a literal gives "", and ill-formed UTF-8 or
    /// a lone surrogate becomes U+FFFD.
    public static func decode(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> String {
        guard start >= 0, end <= bytes.count, end - start >= 2 else { return "" }
        return decodeContent(bytes, from: start + 1, to: end - 1)
    }

    /// Decodes a member's string value; "" when it is not a string.
    public static func decodeValue(of member: JSONMember, in bytes: UnsafeRawBufferPointer) -> String {
        guard member.kind == .string else { return "" }
        return decode(bytes, from: member.valueStart, to: member.valueEnd)
    }

    /// Decodes a member's key.
    public static func decodeKey(of member: JSONMember, in bytes: UnsafeRawBufferPointer) -> String {
        decodeContent(bytes, from: member.keyStart, to: member.keyEnd)
    }

    /// Decodes the content between a literal's quotes, `start..<end`.
    public static func decodeContent(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> String {
        guard let base = bytes.baseAddress, start >= 0, start <= end, end <= bytes.count else { return "" }
        let content = UnsafeRawBufferPointer(start: base + start, count: end - start)
        if content.firstIndex(of: UInt8(ascii: "\\")) == nil {
            return String(decoding: content, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        appendDecodedContent(bytes, from: start, to: end, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 of the content `start..<end` with escapes decoded.
    public static func appendDecodedContent(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, to out: inout [UInt8]) {
        guard let base = bytes.baseAddress, start >= 0, start <= end, end <= bytes.count else { return }
        var p = start
        while p < end {
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            if b < 0x80 && b != UInt8(ascii: "\\") {
                out.append(b)
                p += 1
                continue
            }
            let (scalar, next) = decodeScalar(base, p, end)
            appendUTF8(scalar, to: &out)
            p = next
        }
    }

    /// The Unicode scalar at `p` of string content ending at `end`, and the
    /// offset after it: one escape (a surrogate pair counts as one), one UTF-8
    /// sequence, or one ASCII byte. Lone surrogates and ill-formed UTF-8 give
    /// U+FFFD.
    static func decodeScalar(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> (UInt32, Int) {
        let b = base.load(fromByteOffset: p, as: UInt8.self)
        if b >= 0x80 {
            let n = UTF8Validation.step(base, p, end)
            guard n > 0 else { return (0xFFFD, p - n) }
            var scalar = UInt32(b) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
            for i in 1..<n {
                scalar = scalar << 6 | UInt32(base.load(fromByteOffset: p + i, as: UInt8.self) & 0x3F)
            }
            return (scalar, p + n)
        }
        guard b == UInt8(ascii: "\\") else { return (UInt32(b), p + 1) }
        guard p + 1 < end else { return (0xFFFD, end) }
        switch base.load(fromByteOffset: p + 1, as: UInt8.self) {
        case UInt8(ascii: "b"): return (0x08, p + 2)
        case UInt8(ascii: "f"): return (0x0C, p + 2)
        case UInt8(ascii: "n"): return (0x0A, p + 2)
        case UInt8(ascii: "r"): return (0x0D, p + 2)
        case UInt8(ascii: "t"): return (0x09, p + 2)
        case UInt8(ascii: "u"):
            guard let unit = hex4(base, p + 2, end) else { return (0xFFFD, p + 2) }
            if (0xD800...0xDBFF).contains(unit), p + 12 <= end,
               base.load(fromByteOffset: p + 6, as: UInt8.self) == UInt8(ascii: "\\"),
               base.load(fromByteOffset: p + 7, as: UInt8.self) == UInt8(ascii: "u"),
               let low = hex4(base, p + 8, end), (0xDC00...0xDFFF).contains(low) {
                return (0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00), p + 12)
            }
            if (0xD800...0xDFFF).contains(unit) { return (0xFFFD, p + 6) }
            return (UInt32(unit), p + 6)
        case let other:
            // `\"`, `\\`, `\/` stand for themselves; an invalid escape keeps its byte.
            return (UInt32(other), p + 2)
        }
    }

    private static func hex4(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> UInt16? {
        guard p + 4 <= end else { return nil }
        var unit: UInt16 = 0
        for i in 0..<4 {
            guard let digit = JSONScanner.hexValue(base.load(fromByteOffset: p + i, as: UInt8.self)) else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    @inline(__always)
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Appends `s` as a JSON string literal: quoted, with `"`, `\` and control
    /// characters escaped (`\n`, `\t`, ... or `\u00XX`), everything else as UTF-8.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendQuoted(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends arbitrary bytes as a JSON string literal, escaping as
    /// `appendQuoted(_: String, to:)` does and replacing each maximal
    /// ill-formed UTF-8 subpart with U+FFFD, so the output is always valid
    /// JSON; ingest uses it to quote a rejected raw line.
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if let base = bytes.baseAddress {
            let end = bytes.count
            var p = 0
            var run = 0         // start of the pending run of bytes copied as they are
            while p < end {
                let b = base.load(fromByteOffset: p, as: UInt8.self)
                if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                    p += 1
                    continue
                }
                if b >= 0x80 {
                    let n = UTF8Validation.step(base, p, end)
                    if n > 0 {
                        p += n
                        continue
                    }
                    out.append(contentsOf: UnsafeRawBufferPointer(start: base + run, count: p - run))
                    out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    p -= n
                    run = p
                    continue
                }
                out.append(contentsOf: UnsafeRawBufferPointer(start: base + run, count: p - run))
                appendEscape(b, to: &out)
                p += 1
                run = p
            }
            out.append(contentsOf: UnsafeRawBufferPointer(start: base + run, count: p - run))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
        }
    }
}
