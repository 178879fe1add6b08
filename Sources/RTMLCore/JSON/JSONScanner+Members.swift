#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONScanner {
    /// Index in `members` of the first top-level member whose key equals
    /// `key`, or nil when absent.
    ///
    /// `key` is ASCII without escapes; an input key written with escapes
    /// (`"\u0065vent"`) is decoded before comparing, so it still matches.
    /// With duplicate keys the first wins; ingest checks `count(of:)` itself
    /// for the keys where a duplicate must be rejected.
    public func member(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        Self.firstIndex(of: key, in: members, bytes: bytes)
    }

    /// How many top-level members have the key `key` (decoded, as `member`).
    public func count(of key: StaticString, in bytes: UnsafeRawBufferPointer) -> Int {
        var n = 0
        for m in members where Self.key(of: m, equals: key, in: bytes) { n += 1 }
        return n
    }

    /// Index of the first member of `list` whose decoded key equals `key`.
    public static func firstIndex(of key: StaticString, in list: [JSONMember], bytes: UnsafeRawBufferPointer) -> Int? {
        guard key.hasPointerRepresentation else {
            for i in list.indices where Self.key(of: list[i], equals: key, in: bytes) { return i }
            return nil
        }
        // The common case, kept free of closures and calls: a plain key is
        // found by its length and a byte compare.
        let wanted = UnsafeRawPointer(key.utf8Start)
        let wantedCount = key.utf8CodeUnitCount
        return list.withUnsafeBufferPointer { members -> Int? in
            for i in 0..<members.count {
                let m = members[i]
                if m.keyHasEscapes {
                    if Self.key(of: m, equals: key, in: bytes) { return i }
                } else if m.keyEnd &- m.keyStart == wantedCount, m.keyStart >= 0, m.keyEnd <= bytes.count,
                          equalBytes(bytes.baseAddress! + m.keyStart, wanted, wantedCount) {
                    return i
                }
            }
            return nil
        }
    }

    @inline(__always)
    static func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i &+ 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i &+= 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i &+= 1
        }
        return true
    }

    /// Whether `member`'s key, decoded, equals the ASCII `key`.
    public static func key(of member: JSONMember, equals key: StaticString, in bytes: UnsafeRawBufferPointer) -> Bool {
        key.withUTF8Buffer { wanted in
            guard member.keyStart >= 0, member.keyStart <= member.keyEnd, member.keyEnd <= bytes.count,
                  let base = bytes.baseAddress
            else { return false }
            let length = member.keyEnd - member.keyStart
            if !member.keyHasEscapes {
                return length == wanted.count
                    && (length == 0 || memcmp(base + member.keyStart, wanted.baseAddress!, length) == 0)
            }
            // Escaped keys are rare: compare one decoded scalar at a time.
            var i = 0
            var p = member.keyStart
            while p < member.keyEnd {
                guard i < wanted.count else { return false }
                let (scalar, next) = JSONString.decodeScalar(base, p, member.keyEnd)
                guard scalar == UInt32(wanted[i]) else { return false }
                i += 1
                p = next
            }
            return i == wanted.count
        }
    }

    /// Members of the object at `valueStart..<valueEnd` of a buffer that
    /// `scan` has already accepted, e.g. an event's "properties".
    ///
    /// Does not validate: it only finds where keys and values lie, which is
    /// cheap once the whole text is known to be valid. On bytes that were
    /// not validated it stops at the first surprise and is memory-safe, but
    /// what it lists is unspecified. Empty when the range is not an object.
    public static func members(ofObjectIn bytes: UnsafeRawBufferPointer, from valueStart: Int, to valueEnd: Int) -> [JSONMember] {
        var list: [JSONMember] = []
        members(ofObjectIn: bytes, from: valueStart, to: valueEnd, into: &list)
        return list
    }

    /// Like `members(ofObjectIn:from:to:)`, replacing the contents of `list`
    /// so one array can be reused line after line.
    public static func members(ofObjectIn bytes: UnsafeRawBufferPointer, from valueStart: Int, to valueEnd: Int, into list: inout [JSONMember]) {
        list.removeAll(keepingCapacity: true)
        guard let base = bytes.baseAddress, valueStart >= 0, valueStart < valueEnd, valueEnd <= bytes.count,
              base.load(fromByteOffset: valueStart, as: UInt8.self) == UInt8(ascii: "{")
        else { return }
        let end = valueEnd
        var p = skipWhitespace(base, valueStart + 1, end)
        while p < end {
            guard base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "\"") else { return }
            let (keyAfter, keyEscaped) = skipString(base, p, end)
            guard keyAfter <= end else { return }
            var q = skipWhitespace(base, keyAfter, end)
            guard q < end, base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: ":") else { return }
            q = skipWhitespace(base, q + 1, end)
            guard q < end else { return }
            let first = base.load(fromByteOffset: q, as: UInt8.self)
            let (valueAfter, valueEscaped) = skipValue(base, q, end)
            guard valueAfter <= end, valueAfter > q else { return }
            list.append(JSONMember(
                keyStart: p + 1, keyEnd: keyAfter - 1, keyHasEscapes: keyEscaped,
                valueStart: q, valueEnd: valueAfter, kind: kind(of: first),
                stringHasEscapes: first == UInt8(ascii: "\"") && valueEscaped))
            p = skipWhitespace(base, valueAfter, end)
            guard p < end, base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: ",") else { return }
            p = skipWhitespace(base, p + 1, end)
        }
    }

    /// Offset past the closing quote of the string at `open` and whether it has
    /// escapes; past `end` when unterminated. No validation.
    static func skipString(_ base: UnsafeRawPointer, _ open: Int, _ end: Int) -> (Int, Bool) {
        var q = open + 1
        var escaped = false
        while q < end {
            let c = base.load(fromByteOffset: q, as: UInt8.self)
            if c == UInt8(ascii: "\"") { return (q + 1, escaped) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                q += 2
            } else {
                q += 1
            }
        }
        return (end + 1, escaped)
    }

    /// Offset past the value starting at `p`, and for a string whether it has
    /// escapes. Containers are skipped by counting brackets outside strings.
    static func skipValue(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> (Int, Bool) {
        let first = base.load(fromByteOffset: p, as: UInt8.self)
        switch first {
        case UInt8(ascii: "\""):
            return skipString(base, p, end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var q = p
            while q < end {
                let c = base.load(fromByteOffset: q, as: UInt8.self)
                switch c {
                case UInt8(ascii: "\""):
                    q = skipString(base, q, end).0
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return (q + 1, false) }
                default:
                    break
                }
                q += 1
            }
            return (end + 1, false)
        default:
            // A number or literal runs until a delimiter.
            var q = p
            while q < end {
                switch base.load(fromByteOffset: q, as: UInt8.self) {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"),
                     0x20, 0x09, 0x0A, 0x0D:
                    return (q, false)
                default:
                    q += 1
                }
            }
            return (q, false)
        }
    }
}
