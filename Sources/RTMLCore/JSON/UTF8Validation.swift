/// Well-formedness of UTF-8 per the Unicode Standard, table 3-7.
///
/// Rejects overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates
/// encoded in UTF-8 (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF),
/// truncated sequences and stray continuation bytes.
public enum UTF8Validation {
    /// True when every byte of `bytes` belongs to a well-formed UTF-8 sequence.
    ///
    /// Ingest uses it to decide whether a rejected raw line can be quoted as
    /// a JSON string as it is; `JSONString.appendQuoted(_:to:)` on raw bytes
    /// replaces what is not.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        firstInvalidOffset(bytes) == nil
    }

    /// Offset of the first byte of the first ill-formed sequence, or nil.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let end = bytes.count
        var i = 0
        while i < end {
            // Mostly ASCII: skip eight bytes at a time while no high bit is set.
            while i &+ 8 <= end {
                let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 8
            }
            guard i < end else { return nil }
            let n = step(base, i, end)
            if n <= 0 { return i }
            i &+= n
        }
        return nil
    }

    /// Length of the sequence starting at `i`: positive when well-formed;
    /// otherwise minus the length of its maximal ill-formed subpart (at least 1),
    /// the unit that the Unicode Standard replaces with one U+FFFD.
    @inline(__always)
    static func step(_ base: UnsafeRawPointer, _ i: Int, _ end: Int) -> Int {
        let b0 = base.load(fromByteOffset: i, as: UInt8.self)
        if b0 < 0x80 { return 1 }
        var need: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; high = 0x9F
        case 0xF0: need = 3; low = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; high = 0x8F
        default: return -1
        }
        var j = i &+ 1
        // The second byte has the narrowed range; the rest are plain 80..BF.
        guard j < end else { return -1 }
        let b1 = base.load(fromByteOffset: j, as: UInt8.self)
        guard b1 >= low && b1 <= high else { return -1 }
        j &+= 1
        need &-= 1
        while need > 0 {
            guard j < end, base.load(fromByteOffset: j, as: UInt8.self) & 0xC0 == 0x80 else {
                return -(j &- i)
            }
            j &+= 1
            need &-= 1
        }
        return j &- i
    }
}
