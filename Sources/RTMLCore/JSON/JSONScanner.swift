/// A validating, allocation-free JSON scanner for one line at a time.
///
/// It checks a buffer against RFC 8259 exactly (and its UTF-8 against the
/// Unicode Standard) and, when the text is an object, records where each
/// top-level member's key and value lie, without building any value. Ingest
/// reads the few fields it needs through those offsets and copies the rest of
/// the line through untouched, so scanning is most of the per-line cost.
///
/// The scan is one iterative loop over raw bytes with the open containers on
/// a bit stack: nesting is bounded by `maxDepth` and an error, never by the
/// thread's stack. Reuse one scanner for many lines; `members` keeps its
/// capacity, so a warm scanner allocates nothing.
public struct JSONScanner {
    /// Containers that may be open at once; one more is an error.
    public var maxDepth: Int

    /// Top-level members of the last scanned object, in input order; empty
    /// when the last text was not an object or was rejected.
    ///
    /// Duplicate keys are all recorded; `member(_:in:)` finds the first.
    public private(set) var members: [JSONMember] = []

    /// Kinds of containers nested deeper than the 64 the bit stack holds
    /// (true for an object), only used when `maxDepth` is above 64.
    private var deepKinds: [Bool] = []

    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
        members.reserveCapacity(32)
    }

    /// Validates `bytes` as exactly one JSON text (RFC 8259; surrounding
    /// whitespace allowed) and, when it is an object, records its top-level
    /// members. Returns the kind of the top-level value.
    ///
    /// Throws on the first error, with the byte offset and reason.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValueKind {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            members.removeAll(keepingCapacity: true)
            throw JSONSyntaxError(offset: 0, reason: .emptyInput)
        }
        let end = bytes.count
        // The plain path replaces the last line's members itself.
        if base.load(as: UInt8.self) == UInt8(ascii: "{") && end >= 8 && maxDepth >= 1
            && base.load(fromByteOffset: end &- 1, as: UInt8.self) == UInt8(ascii: "}") {
            if scanPlainObject(base, end) { return .object }
        }
        members.removeAll(keepingCapacity: true)
        let p = Self.skipWhitespace(base, 0, end)
        if p == end { throw JSONSyntaxError(offset: end, reason: .emptyInput) }
        let first = base.load(fromByteOffset: p, as: UInt8.self)
        do {
            let after: Int
            if first == UInt8(ascii: "{") && maxDepth >= 1 {
                after = try scanTopObject(base, p, end)
            } else {
                after = try Self.scanValue(base, p, end, depth: 0, objectBits: 0, maxDepth: maxDepth, deepKinds: &deepKinds)
            }
            try Self.checkEnd(base, after, end)
        } catch {
            members.removeAll(keepingCapacity: true)
            deepKinds.removeAll(keepingCapacity: true)
            throw error
        }
        return Self.kind(of: first)
    }

    /// Scans `base[0..<end]` on the plain path (JSONScanner+Plain.swift):
    /// true with `members` replaced by its members, or false when it gave
    /// up, with `members` in any state. The caller has checked that the
    /// first byte is `{`, the last `}`, `end >= 8` and `maxDepth >= 1`.
    @inline(__always)
    private mutating func scanPlainObject(_ base: UnsafeRawPointer, _ end: Int) -> Bool {
        let maxDepth = self.maxDepth
        return withUnsafeTemporaryAllocation(of: JSONMember.self, capacity: Self.stagedMembers) { staged in
            Self.walkPlainObject(base, end, maxDepth: maxDepth, staged: staged.baseAddress!, members: &members)
        }
    }

    /// Members are first written to a small buffer on the stack and moved
    /// into `members` once per object (or per this many members), which
    /// keeps the array's uniqueness and capacity checks out of the loop.
    static let stagedMembers = 16

    /// Scans the top-level object whose `{` is at `open`, recording its
    /// members; returns the offset after its `}`.
    private mutating func scanTopObject(_ base: UnsafeRawPointer, _ open: Int, _ end: Int) throws(JSONSyntaxError) -> Int {
        let maxDepth = self.maxDepth
        return try withUnsafeTemporaryAllocation(of: JSONMember.self, capacity: Self.stagedMembers) {
            (staged) throws(JSONSyntaxError) -> Int in
            var n = 0
            let after = try Self.scanObject(
                base, open, end, depth: 1, maxDepth: maxDepth, deepKinds: &deepKinds,
                staged: staged.baseAddress!, count: &n, members: &members)
            members.append(contentsOf: UnsafeBufferPointer(start: staged.baseAddress!, count: n))
            return after
        }
    }

    /// Scans an object that is the value of a top-level member, at depth 2.
    @inline(never)
    private static func scanInnerObject(
        _ base: UnsafeRawPointer, _ open: Int, _ end: Int, maxDepth: Int, deepKinds: inout [Bool]
    ) throws(JSONSyntaxError) -> Int {
        var n = 0
        var unused: [JSONMember] = []
        return try scanObject(
            base, open, end, depth: 2, maxDepth: maxDepth, deepKinds: &deepKinds,
            staged: nil, count: &n, members: &unused)
    }

    /// Scans the object whose `{` is at `open`, at `depth` (counting itself)
    /// with only objects around it; returns the offset after its `}`. With
    /// `staged`, its members are recorded there (`count` of them), moved to
    /// `members` when it is full.
    ///
    /// Members' values are mostly strings and numbers, handled here; an
    /// object in a top-level member gets this loop too, and other containers
    /// go to the general `scanValue`. Checks and error offsets are those of
    /// `scanValue`, in the same order.
    @inline(__always)
    private static func scanObject(
        _ base: UnsafeRawPointer, _ open: Int, _ end: Int, depth: Int, maxDepth: Int, deepKinds: inout [Bool],
        staged: UnsafeMutablePointer<JSONMember>?, count n: inout Int, members: inout [JSONMember]
    ) throws(JSONSyntaxError) -> Int {
        var p = skipWhitespace(base, open &+ 1, end)
        guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
        if base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "}") { return p &+ 1 }
        var comma = -1
        while true {
            // `p` is where the key's opening quote should be.
            guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
            guard base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "\"") else {
                if comma >= 0 && base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "}") {
                    throw JSONSyntaxError(offset: comma, reason: .trailingComma)
                }
                throw failure(.expectedKey, base, p, end)
            }
            let keyStart = p &+ 1
            let (keyAfter, keyEscaped) = try scanString(base, p, end)
            p = keyAfter
            if p < end && base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: ":") {
                p &+= 1
            } else {
                p = skipWhitespace(base, p, end)
                guard p < end, base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: ":") else {
                    throw failure(.expectedColon, base, p, end)
                }
                p &+= 1
            }
            p = skipWhitespace(base, p, end)
            guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }

            let valueStart = p
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            var valueEscaped = false
            if b == UInt8(ascii: "\"") {
                (p, valueEscaped) = try scanString(base, p, end)
            } else if b &- UInt8(ascii: "0") < 10 || b == UInt8(ascii: "-") {
                p = try scanNumber(base, p, end)
            } else if b == UInt8(ascii: "{") && depth == 1 && maxDepth > 1 {
                p = try scanInnerObject(base, p, end, maxDepth: maxDepth, deepKinds: &deepKinds)
            } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                p = try scanValue(base, p, end, depth: depth, objectBits: (1 &<< UInt64(depth)) &- 1,
                                  maxDepth: maxDepth, deepKinds: &deepKinds)
            } else {
                p = try scanLiteral(base, p, end)
            }
            if let staged {
                if n == stagedMembers {
                    members.append(contentsOf: UnsafeBufferPointer(start: staged, count: n))
                    n = 0
                }
                (staged + n).initialize(to: JSONMember(
                    keyStart: keyStart, keyEnd: keyAfter &- 1, keyHasEscapes: keyEscaped,
                    valueStart: valueStart, valueEnd: p, kind: kind(of: b), stringHasEscapes: valueEscaped))
                n &+= 1
            }

            // After a member: a comma and the next key, or the end.
            var c: UInt8 = 0
            if p < end {
                c = base.load(fromByteOffset: p, as: UInt8.self)
                if c <= 0x20 {
                    p = skipWhitespace(base, p, end)
                    if p < end { c = base.load(fromByteOffset: p, as: UInt8.self) }
                }
            }
            guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
            if c == UInt8(ascii: ",") {
                comma = p
                p = skipWhitespace(base, p &+ 1, end)
                continue
            }
            if c == UInt8(ascii: "}") { return p &+ 1 }
            throw failure(.expectedCommaOrObjectEnd, base, p, end)
        }
    }

    /// After the top-level value, only whitespace may follow.
    @inline(__always)
    private static func checkEnd(_ base: UnsafeRawPointer, _ after: Int, _ end: Int) throws(JSONSyntaxError) {
        if after == end { return }
        let p = skipWhitespace(base, after, end)
        if p != end {
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            if b >= 0x80 && UTF8Validation.step(base, p, end) <= 0 {
                throw JSONSyntaxError(offset: p, reason: .invalidUTF8)
            }
            throw JSONSyntaxError(offset: p, reason: .trailingCharacters)
        }
    }

    /// Validates `true`, `false` or `null` at `p`, or reports what is there
    /// instead of a value; returns the offset after the literal.
    @inline(__always)
    static func scanLiteral(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) throws(JSONSyntaxError) -> Int {
        switch base.load(fromByteOffset: p, as: UInt8.self) {
        case UInt8(ascii: "t"):
            guard p &+ 4 <= end, base.loadUnaligned(fromByteOffset: p, as: UInt32.self) == UInt32(littleEndian: 0x6575_7274) else {
                throw JSONSyntaxError(offset: p, reason: .invalidLiteral)
            }
            return p &+ 4
        case UInt8(ascii: "f"):
            guard p &+ 5 <= end, base.loadUnaligned(fromByteOffset: p &+ 1, as: UInt32.self) == UInt32(littleEndian: 0x6573_6C61) else {
                throw JSONSyntaxError(offset: p, reason: .invalidLiteral)
            }
            return p &+ 5
        case UInt8(ascii: "n"):
            guard p &+ 4 <= end, base.loadUnaligned(fromByteOffset: p, as: UInt32.self) == UInt32(littleEndian: 0x6C6C_756E) else {
                throw JSONSyntaxError(offset: p, reason: .invalidLiteral)
            }
            return p &+ 4
        default:
            throw failure(.expectedValue, base, p, end)
        }
    }

    /// Validates the one value at `p` (whitespace skipped, `p < end`), found
    /// inside `depth` open containers whose kinds are in `objectBits`; returns
    /// the offset after it. Nothing is recorded.
    ///
    /// The scan is one loop over raw bytes with the open containers on a bit
    /// stack (and `deepKinds` past 64), so nesting is bounded by `maxDepth`
    /// and an error, never by the thread's stack.
    @inline(never)
    private static func scanValue(
        _ base: UnsafeRawPointer, _ start: Int, _ end: Int, depth outer: Int, objectBits: UInt64,
        maxDepth: Int, deepKinds: inout [Bool]
    ) throws(JSONSyntaxError) -> Int {
        var p = start
        var depth = outer
        var objectBits = objectBits
        var inObject = false

        value: while true {
            // Here `p` is at the first byte of a value, whitespace skipped.
            guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
            let b = base.load(fromByteOffset: p, as: UInt8.self)

            if b == UInt8(ascii: "\"") {
                p = try scanString(base, p, end).0
            } else if b &- UInt8(ascii: "0") < 10 || b == UInt8(ascii: "-") {
                p = try scanNumber(base, p, end)
            } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                let isObject = b == UInt8(ascii: "{")
                guard depth < maxDepth else {
                    throw JSONSyntaxError(offset: p, reason: .tooDeep(maxDepth: maxDepth))
                }
                if depth < 64 {
                    let bit: UInt64 = 1 &<< UInt64(depth)
                    objectBits = isObject ? objectBits | bit : objectBits & ~bit
                } else {
                    deepKinds.append(isObject)
                }
                depth &+= 1
                inObject = isObject
                p = skipWhitespace(base, p &+ 1, end)
                guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
                let next = base.load(fromByteOffset: p, as: UInt8.self)
                if next == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    // Empty container: it is a complete value; close it below.
                    p &+= 1
                    depth &-= 1
                    if depth >= 64 { deepKinds.removeLast() }
                    inObject = depth == 0 ? false : Self.isObject(at: depth, objectBits, deepKinds)
                } else {
                    if isObject {
                        p = try scanKey(base, p, end, comma: -1)
                    }
                    continue value
                }
            } else {
                p = try scanLiteral(base, p, end)
            }

            // A value just ended at the current depth (a scalar, or a container
            // whose closing bracket was consumed). Each pass of this loop either
            // returns, closes a container, or finds the next value.
            while true {
                if depth == outer { return p }
                p = skipWhitespace(base, p, end)
                guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
                let c = base.load(fromByteOffset: p, as: UInt8.self)
                if c == UInt8(ascii: ",") {
                    let comma = p
                    p = skipWhitespace(base, p &+ 1, end)
                    if inObject {
                        p = try scanKey(base, p, end, comma: comma)
                    } else if p < end && base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "]") {
                        throw JSONSyntaxError(offset: comma, reason: .trailingComma)
                    }
                    continue value
                }
                if c == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    p &+= 1
                    depth &-= 1
                    if depth >= 64 { deepKinds.removeLast() }
                    inObject = depth == 0 ? false : Self.isObject(at: depth, objectBits, deepKinds)
                    continue
                }
                throw failure(inObject ? .expectedCommaOrObjectEnd : .expectedCommaOrArrayEnd, base, p, end)
            }
        }
    }

    /// Whether the container at `depth` (1-based, the innermost open one) is an object.
    @inline(__always)
    private static func isObject(at depth: Int, _ bits: UInt64, _ deep: [Bool]) -> Bool {
        depth <= 64 ? (bits &>> UInt64(depth &- 1)) & 1 != 0 : deep[depth &- 65]
    }

    @inline(__always)
    static func kind(of first: UInt8) -> JSONValueKind {
        switch first {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    /// The error for a byte where something else was expected: ill-formed
    /// UTF-8 and well-known non-JSON (single quotes, comments) get their own
    /// reason, since that is what a user needs to hear.
    @inline(never)
    static func failure(_ expected: JSONErrorReason, _ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> JSONSyntaxError {
        guard p < end else { return JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
        let b = base.load(fromByteOffset: p, as: UInt8.self)
        if b >= 0x80 && UTF8Validation.step(base, p, end) <= 0 {
            return JSONSyntaxError(offset: p, reason: .invalidUTF8)
        }
        switch b {
        case UInt8(ascii: "'"): return JSONSyntaxError(offset: p, reason: .singleQuotedString)
        case UInt8(ascii: "/"): return JSONSyntaxError(offset: p, reason: .comment)
        default: break
        }
        switch expected {
        case .expectedValue:
            if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == UInt8(ascii: ",") || b == UInt8(ascii: ":") {
                return JSONSyntaxError(offset: p, reason: expected)
            }
            return JSONSyntaxError(offset: p, reason: .unexpectedCharacter)
        default:
            return JSONSyntaxError(offset: p, reason: expected)
        }
    }

    /// Skips JSON whitespace (space, tab, CR, LF only) from `p`.
    @inline(__always)
    static func skipWhitespace(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) -> Int {
        var p = p
        while p < end {
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            // Compact JSON has none: one compare ends the loop for any printable byte.
            if b > 0x20 { return p }
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return p }
            p &+= 1
        }
        return p
    }

    /// Scans a key at `p`, the colon and the whitespace after it; returns
    /// the offset of the value. `comma` is the offset of the comma before the
    /// key, or -1 right after `{`, to report `{"a":1,}` as a trailing comma.
    @inline(__always)
    static func scanKey(_ base: UnsafeRawPointer, _ p: Int, _ end: Int, comma: Int) throws(JSONSyntaxError) -> Int {
        guard p < end else { throw JSONSyntaxError(offset: end, reason: .unexpectedEnd) }
        guard base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "\"") else {
            if comma >= 0 && base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "}") {
                throw JSONSyntaxError(offset: comma, reason: .trailingComma)
            }
            throw failure(.expectedKey, base, p, end)
        }
        var q = try scanString(base, p, end).0
        if q < end && base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: ":") {
            return skipWhitespace(base, q &+ 1, end)
        }
        q = skipWhitespace(base, q, end)
        guard q < end, base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: ":") else {
            throw failure(.expectedColon, base, q, end)
        }
        return skipWhitespace(base, q &+ 1, end)
    }

    /// Marks, in each byte's high bit, bytes that end an ordinary run in a
    /// string: `"`, `\`, controls below 0x20, and non-ASCII (checked as UTF-8).
    ///
    /// Each term is the classic has-zero-byte trick. A term can flag a false
    /// byte only above (later than) a true one, as borrows move upwards, so
    /// the lowest flagged byte of the union is always a real stop.
    @inline(__always)
    static func stopMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl | word) & 0x8080_8080_8080_8080
    }

    /// Validates the string whose opening quote is at `open`; returns the
    /// offset past its closing quote and whether it contains escapes.
    ///
    /// The common string, plain ASCII, is found eight bytes at a time: the
    /// first stop byte is the closing quote. Anything else (an escape,
    /// non-ASCII, a control, the end of the buffer) goes to the careful loop.
    @inline(__always)
    static func scanString(_ base: UnsafeRawPointer, _ open: Int, _ end: Int) throws(JSONSyntaxError) -> (Int, Bool) {
        var q = open &+ 1
        while q &+ 8 <= end {
            let stops = stopMask(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: q, as: UInt64.self)))
            if stops != 0 {
                q &+= stops.trailingZeroBitCount &>> 3
                if base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: "\"") { return (q &+ 1, false) }
                return try scanStringSlow(base, q, end, open: open)
            }
            q &+= 8
        }
        // Fewer than eight bytes left: look at the last eight of the buffer,
        // shifted so the first is at `q`; the bytes shifted in are not looked at.
        if q < end && end >= 8 {
            let left = end &- q
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self)) &>> UInt64((8 &- left) &<< 3)
            let stops = stopMask(word) & (~0 &>> UInt64((8 &- left) &<< 3))
            if stops != 0 {
                q &+= stops.trailingZeroBitCount &>> 3
                if base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: "\"") { return (q &+ 1, false) }
            }
        }
        return try scanStringSlow(base, q, end, open: open)
    }

    /// The rest of the string whose opening quote is at `open`, from `q`,
    /// where no escape has been seen yet: one step per byte, escape, or UTF-8
    /// sequence, with runs of plain bytes still skipped eight at a time.
    @inline(never)
    static func scanStringSlow(_ base: UnsafeRawPointer, _ q: Int, _ end: Int, open: Int) throws(JSONSyntaxError) -> (Int, Bool) {
        var q = q
        var escaped = false
        while true {
            while q &+ 8 <= end {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: q, as: UInt64.self))
                let stops = stopMask(word)
                if stops != 0 {
                    q &+= stops.trailingZeroBitCount &>> 3
                    break
                }
                q &+= 8
            }
            guard q < end else { throw JSONSyntaxError(offset: open, reason: .unterminatedString) }
            let c = base.load(fromByteOffset: q, as: UInt8.self)
            if c == UInt8(ascii: "\"") { return (q &+ 1, escaped) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                q = try scanEscape(base, q, end, open: open)
            } else if c < 0x20 {
                throw JSONSyntaxError(offset: q, reason: .controlCharacter)
            } else if c >= 0x80 {
                let n = UTF8Validation.step(base, q, end)
                guard n > 0 else { throw JSONSyntaxError(offset: q, reason: .invalidUTF8) }
                q &+= n
            } else {
                q &+= 1     // an ordinary byte in the last few, checked one at a time
            }
        }
    }

    /// Validates the escape whose backslash is at `q`; returns the offset after it.
    @inline(never)
    static func scanEscape(_ base: UnsafeRawPointer, _ q: Int, _ end: Int, open: Int) throws(JSONSyntaxError) -> Int {
        guard q &+ 1 < end else { throw JSONSyntaxError(offset: open, reason: .unterminatedString) }
        switch base.load(fromByteOffset: q &+ 1, as: UInt8.self) {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"),
             UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return q &+ 2
        case UInt8(ascii: "u"):
            let unit = try hex4(base, q &+ 2, end, escape: q, open: open)
            switch unit {
            case 0xD800...0xDBFF:
                // Only a high surrogate directly followed by an escaped low one is a character.
                guard q &+ 7 < end,
                      base.load(fromByteOffset: q &+ 6, as: UInt8.self) == UInt8(ascii: "\\"),
                      base.load(fromByteOffset: q &+ 7, as: UInt8.self) == UInt8(ascii: "u")
                else { throw JSONSyntaxError(offset: q, reason: .loneSurrogate(unit)) }
                let low = try hex4(base, q &+ 8, end, escape: q &+ 6, open: open)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: q, reason: .loneSurrogate(unit))
                }
                return q &+ 12
            case 0xDC00...0xDFFF:
                throw JSONSyntaxError(offset: q, reason: .loneSurrogate(unit))
            default:
                return q &+ 6
            }
        default:
            throw JSONSyntaxError(offset: q, reason: .invalidEscape)
        }
    }

    /// The four hex digits at `p` as a UTF-16 code unit.
    @inline(__always)
    static func hex4(_ base: UnsafeRawPointer, _ p: Int, _ end: Int, escape: Int, open: Int) throws(JSONSyntaxError) -> UInt16 {
        var unit: UInt16 = 0
        for i in 0..<4 {
            guard p &+ i < end else { throw JSONSyntaxError(offset: open, reason: .unterminatedString) }
            guard let digit = hexValue(base.load(fromByteOffset: p &+ i, as: UInt8.self)) else {
                throw JSONSyntaxError(offset: escape, reason: .invalidUnicodeEscape)
            }
            unit = unit &<< 4 | UInt16(digit)
        }
        return unit
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Validates the number at `p` (RFC 8259 grammar); returns the offset after it.
    @inline(__always)
    static func scanNumber(_ base: UnsafeRawPointer, _ p: Int, _ end: Int) throws(JSONSyntaxError) -> Int {
        var q = p
        if base.load(fromByteOffset: q, as: UInt8.self) == UInt8(ascii: "-") { q &+= 1 }
        guard q < end else { throw JSONSyntaxError(offset: end, reason: .invalidNumber) }
        let first = base.load(fromByteOffset: q, as: UInt8.self)
        if first == UInt8(ascii: "0") {
            q &+= 1
            // "01" is not a number; "0" followed by a digit is where it goes wrong.
            if q < end && isDigit(base.load(fromByteOffset: q, as: UInt8.self)) {
                throw JSONSyntaxError(offset: q, reason: .invalidNumber)
            }
        } else if isDigit(first) {
            q &+= 1
            while q < end && isDigit(base.load(fromByteOffset: q, as: UInt8.self)) { q &+= 1 }
        } else {
            throw JSONSyntaxError(offset: q, reason: .invalidNumber)
        }
        guard q < end else { return q }
        var c = base.load(fromByteOffset: q, as: UInt8.self)
        if c == UInt8(ascii: ".") {
            q &+= 1
            guard q < end, isDigit(base.load(fromByteOffset: q, as: UInt8.self)) else {
                throw JSONSyntaxError(offset: min(q, end), reason: .invalidNumber)
            }
            q &+= 1
            while q < end && isDigit(base.load(fromByteOffset: q, as: UInt8.self)) { q &+= 1 }
            guard q < end else { return q }
            c = base.load(fromByteOffset: q, as: UInt8.self)
        }
        if c | 0x20 == UInt8(ascii: "e") {
            q &+= 1
            if q < end {
                let sign = base.load(fromByteOffset: q, as: UInt8.self)
                if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { q &+= 1 }
            }
            guard q < end, isDigit(base.load(fromByteOffset: q, as: UInt8.self)) else {
                throw JSONSyntaxError(offset: min(q, end), reason: .invalidNumber)
            }
            q &+= 1
            while q < end && isDigit(base.load(fromByteOffset: q, as: UInt8.self)) { q &+= 1 }
        }
        return q
    }
}
