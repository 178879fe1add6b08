#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading JSON numbers from scanned bytes.
public enum JSONNumber {
    /// The number at `start..<end` as the nearest Double (correctly rounded).
    ///
    /// Nil when the range is not exactly one JSON number, or when its
    /// magnitude is too large for a finite Double (`1e400`): JSON numbers have
    /// no infinity, and ingest would rather reject than store one. Values too
    /// small underflow to zero or a subnormal, as IEEE rounding says.
    public static func double(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Double? {
        guard let base = bytes.baseAddress, start >= 0, start < end, end <= bytes.count,
              (try? JSONScanner.scanNumber(base, start, end)) == end
        else { return nil }

        // Clinger's fast path: up to 15 significant digits and a power of ten
        // up to 22 are both exact in a Double, so one multiply or divide is
        // correctly rounded. Event timestamps and counters all take it.
        var p = start
        let negative = base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "-")
        if negative { p += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var fraction = false
        var simple = true
        while p < end {
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            if JSONScanner.isDigit(b) {
                if mantissa != 0 || b != UInt8(ascii: "0") { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(b &- UInt8(ascii: "0"))
                if fraction { scale -= 1 }
                if digits > 15 { simple = false; break }
            } else if b == UInt8(ascii: ".") {
                fraction = true
            } else {
                simple = false      // an exponent: leave it to strtod
                break
            }
            p += 1
        }
        if simple && scale >= -22 {
            var value = Double(mantissa)
            if scale < 0 { value /= powersOfTen[-scale] }
            return negative ? -value : value
        }
        return slowDouble(base + start, end - start)
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// strtod needs a terminated string: copy the number to the stack.
    private static func slowDouble(_ start: UnsafeRawPointer, _ count: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> Double? in
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            raw.copyMemory(from: start, byteCount: count)
            buffer[count] = 0
            let value = strtod(buffer.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }

    /// The number at `start..<end` as an Int64, or nil when it is not written
    /// as an integer (`1.0`, `1e3` are nil: a fraction or exponent means the
    /// producer did not mean a count) or does not fit in an Int64.
    public static func int64(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int64? {
        guard let base = bytes.baseAddress, start >= 0, start < end, end <= bytes.count else { return nil }
        var p = start
        let negative = base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "-")
        if negative { p += 1 }
        guard p < end else { return nil }
        let first = base.load(fromByteOffset: p, as: UInt8.self)
        guard JSONScanner.isDigit(first), first != UInt8(ascii: "0") || end - p == 1 else { return nil }
        // Accumulate downwards: Int64.min has no positive counterpart.
        var value: Int64 = 0
        while p < end {
            let b = base.load(fromByteOffset: p, as: UInt8.self)
            guard JSONScanner.isDigit(b) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = next
            p += 1
        }
        if negative { return value }
        return value == Int64.min ? nil : -value
    }

    /// A member's number value as a Double; nil when it is not a number.
    public static func double(of member: JSONMember, in bytes: UnsafeRawBufferPointer) -> Double? {
        member.kind == .number ? double(bytes, from: member.valueStart, to: member.valueEnd) : nil
    }

    /// A member's number value as an Int64; nil when it is not an integer.
    public static func int64(of member: JSONMember, in bytes: UnsafeRawBufferPointer) -> Int64? {
        member.kind == .number ? int64(bytes, from: member.valueStart, to: member.valueEnd) : nil
    }
}
