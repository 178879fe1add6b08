/// A faster path for the lines ingest sees most: a compact object whose
/// bytes are all printable ASCII without a backslash.
///
/// In such a line every string is plain, so its quotes pair up in order and
/// can be found without reading the strings one after another. A cursor
/// classifies the line 64 bytes at a time, eight bytes a step independent of
/// each other: it notes whether any byte is a control, non-ASCII or a
/// backslash, and makes a bitmap of the quotes. The walk over the structure
/// takes each string's end from the bitmap instead of searching for it,
/// which breaks the chain of dependent loads that bounds a string-by-string
/// scan. Blocks are classified as the walk reaches them, so no buffer is
/// needed and lines of any length take the path.
///
/// The path only ever accepts: anything it does not handle (whitespace
/// between tokens, an array, deeper nesting, an error of any kind) makes it
/// give up and the careful scan starts again from the first byte, so errors,
/// their offsets, and every rule are the careful scan's alone. The walk reads
/// only below the end and is checked against the classification only once
/// it is done: with a backslash in the line the quotes it paired may be
/// wrong, and then it gives up.
extension JSONScanner {
    /// Quote offsets of a line in order, while checking that every byte is
    /// printable ASCII other than a backslash.
    struct PlainCursor {
        let base: UnsafeRawPointer
        let end: Int
        /// Offset of the 64-byte block that `bits` covers.
        var block: Int
        /// Quotes of that block not yet returned, bit i for offset block + i.
        var bits: UInt64 = 0
        // Per byte, for ASCII: x + 0x60 has its high bit set when x >= 0x20,
        // and x ^ 0x5C + 0x7F when x is not `\`. The sums carry into the
        // next byte only from a non-ASCII byte, which `ored` catches, so the
        // check is exact.
        var ored: UInt64 = 0
        var anded: UInt64 = 0x8080_8080_8080_8080

        /// For `base[0..<end]`, with `end >= 8`.
        init(_ base: UnsafeRawPointer, _ end: Int) {
            self.base = base
            self.end = end
            block = -64
        }

        /// The next quote's offset, or -1 when there is none.
        @inline(__always)
        mutating func next() -> Int {
            while bits == 0 {
                guard block &+ 64 < end else { return -1 }
                advance()
            }
            let at = block | bits.trailingZeroBitCount
            bits &= bits &- 1
            return at
        }

        /// Moves to the next block and classifies it.
        @inline(never)
        mutating func advance() {
            block &+= 64
            var quotes: UInt64 = 0
            if block &+ 64 <= end {
                for j in 0..<8 {
                    quotes |= classify(base.loadUnaligned(fromByteOffset: block &+ j &* 8, as: UInt64.self)) &<< UInt64(j &* 8)
                }
            } else {
                var i = block
                var shift: UInt64 = 0
                while i &+ 8 <= end {
                    quotes |= classify(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &<< shift
                    shift &+= 8
                    i &+= 8
                }
                if i < end {
                    // The last few bytes, shifted down and padded with spaces.
                    let kept = UInt64((end &- i) &<< 3)
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self)) &>> (64 &- kept)
                        | 0x2020_2020_2020_2020 &<< kept
                    quotes |= classify(word) &<< shift
                }
            }
            bits = quotes
        }

        /// Checks the word, and returns its quotes, bit j for byte j (exact
        /// when the word is ASCII; otherwise the line is given up anyway).
        @inline(__always)
        mutating func classify(_ raw: UInt64) -> UInt64 {
            let word = UInt64(littleEndian: raw)
            ored |= word
            anded &= (word &+ 0x6060_6060_6060_6060) & ((word ^ 0x5C5C_5C5C_5C5C_5C5C) &+ 0x7F7F_7F7F_7F7F_7F7F)
            let isQuote = ~((word ^ 0x2222_2222_2222_2222) &+ 0x7F7F_7F7F_7F7F_7F7F) & 0x8080_8080_8080_8080
            // Gathers bit 7 of each byte into the top byte, then down.
            return ((isQuote &>> 7) &* 0x0102_0408_1020_4080) &>> 56
        }

        /// After a walk that accepted the line: classifies the blocks it did
        /// not reach, and tells whether the whole line is plain. A quote left
        /// over (there can be none after a good walk) also says no.
        mutating func finish() -> Bool {
            var leftover = bits
            while block &+ 64 < end {
                advance()
                leftover |= bits
            }
            return leftover == 0 && (ored | ~anded) & 0x8080_8080_8080_8080 == 0
        }
    }

    /// The walk over a plain line: an object whose members' values are
    /// strings, numbers, literals, or objects of those. Returns false to give
    /// up; true with `members` replaced by the line's members.
    ///
    /// Every load is below `end`: the last byte is `}`, each offset loaded is
    /// checked against `end` or follows a byte that is not that last `}`.
    @inline(__always)
    static func walkPlainObject(
        _ base: UnsafeRawPointer, _ end: Int, maxDepth: Int,
        staged: UnsafeMutablePointer<JSONMember>, members: inout [JSONMember]
    ) -> Bool {
        var cursor = PlainCursor(base, end)
        var n = 0
        var flushed = false
        var p = 1
        if base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "}") {
            guard p &+ 1 == end && cursor.finish() else { return false }
            members.removeAll(keepingCapacity: true)
            return true
        }
        while true {
            // The key: its opening quote must be the next quote, at `p`.
            let open = p
            guard cursor.next() == open else { return false }
            let close = cursor.next()
            guard close > open, close &+ 2 < end,
                  base.load(fromByteOffset: close &+ 1, as: UInt8.self) == UInt8(ascii: ":")
            else { return false }
            let v = close &+ 2
            let b = base.load(fromByteOffset: v, as: UInt8.self)
            if b == UInt8(ascii: "\"") {
                guard cursor.next() == v else { return false }
                p = cursor.next()
                guard p > v else { return false }
                p &+= 1
            } else if b == UInt8(ascii: "{") {
                guard maxDepth >= 2 else { return false }
                p = walkPlainInnerObject(base, v, end, &cursor)
            } else {
                p = plainScalarEnd(base, v, end, b)
            }
            // A value ending at `end` is not followed by what an object needs.
            guard p > 0, p < end else { return false }
            if n == stagedMembers {
                if !flushed { members.removeAll(keepingCapacity: true) }
                flushed = true
                members.append(contentsOf: UnsafeBufferPointer(start: staged, count: n))
                n = 0
            }
            (staged + n).initialize(to: JSONMember(
                keyStart: open &+ 1, keyEnd: close, keyHasEscapes: false,
                valueStart: v, valueEnd: p, kind: kind(of: b), stringHasEscapes: false))
            n &+= 1
            let c = base.load(fromByteOffset: p, as: UInt8.self)
            if c == UInt8(ascii: ",") {
                p &+= 1
                continue
            }
            guard c == UInt8(ascii: "}"), p &+ 1 == end, cursor.finish() else { return false }
            if !flushed && members.count == n {
                // Lines alike in shape are the rule: overwrite in place.
                members.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: staged, count: n) }
            } else {
                if !flushed { members.removeAll(keepingCapacity: true) }
                members.append(contentsOf: UnsafeBufferPointer(start: staged, count: n))
            }
            return true
        }
    }

    /// The object whose `{` is at `open`, inside the top-level one: returns
    /// the offset after its `}`, or -1 to give up.
    @inline(__always)
    static func walkPlainInnerObject(_ base: UnsafeRawPointer, _ open: Int, _ end: Int, _ cursor: inout PlainCursor) -> Int {
        var p = open &+ 1
        if base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "}") { return p &+ 1 }
        while true {
            guard cursor.next() == p else { return -1 }
            let close = cursor.next()
            guard close > p, close &+ 2 < end,
                  base.load(fromByteOffset: close &+ 1, as: UInt8.self) == UInt8(ascii: ":")
            else { return -1 }
            let v = close &+ 2
            let b = base.load(fromByteOffset: v, as: UInt8.self)
            if b == UInt8(ascii: "\"") {
                guard cursor.next() == v else { return -1 }
                p = cursor.next()
                guard p > v else { return -1 }
                p &+= 1
            } else {
                p = plainScalarEnd(base, v, end, b)
            }
            guard p > 0, p < end else { return -1 }
            let c = base.load(fromByteOffset: p, as: UInt8.self)
            if c == UInt8(ascii: ",") {
                p &+= 1
                continue
            }
            return c == UInt8(ascii: "}") ? p &+ 1 : -1
        }
    }

    /// The offset after the number or literal at `v` (first byte `b`), or
    /// -1 for anything else, a container included.
    @inline(__always)
    static func plainScalarEnd(_ base: UnsafeRawPointer, _ v: Int, _ end: Int, _ b: UInt8) -> Int {
        if isDigit(b) || b == UInt8(ascii: "-") {
            do {
                return try scanNumber(base, v, end)
            } catch {
                return -1
            }
        }
        if let after = try? scanLiteral(base, v, end) { return after }
        return -1
    }
}
