/// Event times as milliseconds since the Unix epoch, with a fixed-format
/// RFC 3339 parser and formatter.
///
/// Foundation's ISO8601DateFormatter costs ~50 µs a call; ingest parses two
/// timestamps per event at a million events a second, so times are parsed
/// here byte by byte with calendar arithmetic from Hinnant's
/// `days_from_civil` (proleptic Gregorian, exact for every leap year rule).
public enum EventTime {
    /// Epoch numbers below this are seconds; at or above it, milliseconds
    /// (10^11 s is the year 5138; 10^11 ms is March 1973).
    public static let secondsThreshold: Double = 1e11

    /// Earliest and latest accepted instants: years 1970 through 9999.
    public static let minMillis: Int64 = 0
    public static let maxMillis: Int64 = 253_402_300_799_999

    /// Why a timestamp was refused.
    public enum ParseError: Error, Equatable, Sendable {
        case malformed
        case outOfRange
    }

    // MARK: Parsing

    /// The last date seen and its day number: a day's events share their date,
    /// so most timestamps skip the calendar arithmetic.
    public struct DateCache {
        var prefix: (UInt64, UInt16) = (0, 0)
        var days: Int64 = 0
        var year = 0, month = 0, day = 0
        public init() {}
    }

    /// Parses RFC 3339 (`2026-11-26T08:00:00.123Z`, any offset, any number of
    /// fraction digits, `T`, `t` or space between date and time) into epoch
    /// milliseconds, truncating below the millisecond.
    public static func parseRFC3339(_ text: UnsafeRawBufferPointer) -> Result<Int64, ParseError> {
        var cache = DateCache()
        return parseRFC3339(text, cache: &cache)
    }

    /// `parseRFC3339` remembering the last valid date in `cache`.
    @inline(__always)
    public static func parseRFC3339(_ text: UnsafeRawBufferPointer, cache: inout DateCache) -> Result<Int64, ParseError> {
        let n = text.count
        guard n >= 20 else { return .failure(.malformed) }
        let prefix = (text.loadUnaligned(as: UInt64.self), text.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        if prefix == cache.prefix {
            return parseTime(text, year: cache.year, month: cache.month, day: cache.day, days: cache.days)
        }
        @inline(__always) func byte(_ i: Int) -> UInt8 { text[i] }
        @inline(__always) func digits(_ i: Int, _ count: Int) -> Int? { decimal(text, i, count) }
        guard let year = digits(0, 4), byte(4) == 0x2D,
              let month = digits(5, 2), byte(7) == 0x2D,
              let day = digits(8, 2)
        else { return .failure(.malformed) }
        guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else {
            // Still tell malformed from out of range the way the full parse does.
            if case .failure(.malformed) = parseTime(text, year: 1970, month: 1, day: 1, days: 0) { return .failure(.malformed) }
            return .failure(.outOfRange)
        }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let result = parseTime(text, year: year, month: month, day: day, days: days)
        if case .success = result {
            cache.prefix = prefix
            cache.days = days
            (cache.year, cache.month, cache.day) = (year, month, day)
        }
        return result
    }

    /// The value of `count` ASCII digits at `i`, or nil if one is not a digit.
    @inline(__always)
    private static func decimal(_ text: UnsafeRawBufferPointer, _ i: Int, _ count: Int) -> Int? {
        var value = 0
        for k in i..<(i + count) {
            let d = Int(text[k]) &- 48
            if d < 0 || d > 9 { return nil }
            value = value &* 10 &+ d
        }
        return value
    }

    /// The part after the date: separator, time, fraction, offset.
    @inline(__always)
    private static func parseTime(_ text: UnsafeRawBufferPointer, year: Int, month: Int, day: Int, days: Int64) -> Result<Int64, ParseError> {
        let n = text.count
        @inline(__always) func byte(_ i: Int) -> UInt8 { text[i] }
        @inline(__always) func digits(_ i: Int, _ count: Int) -> Int? { decimal(text, i, count) }
        let separator = byte(10)
        guard separator == 0x54 || separator == 0x74 || separator == 0x20,
              let hour = digits(11, 2), byte(13) == 0x3A,
              let minute = digits(14, 2), byte(16) == 0x3A,
              let second = digits(17, 2)
        else { return .failure(.malformed) }

        var i = 19
        var millis = 0
        if i < n && byte(i) == 0x2E {
            i += 1
            let fractionStart = i
            var scale = 100
            while i < n, byte(i) >= 0x30, byte(i) <= 0x39 {
                millis += Int(byte(i) - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == fractionStart { return .failure(.malformed) }
        }
        guard i < n else { return .failure(.malformed) }
        var offsetMinutes = 0
        switch byte(i) {
        case 0x5A, 0x7A: // Z z
            i += 1
        case 0x2B, 0x2D: // + -
            guard i + 6 == n, let oh = digits(i + 1, 2), byte(i + 3) == 0x3A, let om = digits(i + 4, 2) else {
                return .failure(.malformed)
            }
            guard oh <= 23, om <= 59 else { return .failure(.outOfRange) }
            offsetMinutes = (oh * 60 + om) * (byte(i) == 0x2B ? 1 : -1)
            i += 6
        default:
            return .failure(.malformed)
        }
        guard i == n else { return .failure(.malformed) }
        guard hour <= 23, minute <= 59, second <= 60 else { return .failure(.outOfRange) }

        // A leap second (23:59:60) is read as the last millisecond of its
        // minute: POSIX time has no slot for it and order is preserved.
        let secondPart = second == 60 ? 59 : second
        let millisPart = second == 60 ? 999 : millis
        var total = days * 86_400_000
        total += Int64(hour * 3_600_000 + minute * 60_000 + secondPart * 1000 + millisPart)
        total -= Int64(offsetMinutes) * 60_000
        guard total >= minMillis, total <= maxMillis else { return .failure(.outOfRange) }
        return .success(total)
    }

    public static func parseRFC3339(_ text: String) -> Result<Int64, ParseError> {
        var copy = text
        return copy.withUTF8 { parseRFC3339(UnsafeRawBufferPointer($0)) }
    }

    /// Converts an epoch number (seconds below 10^11, else milliseconds) to
    /// epoch milliseconds, truncating below the millisecond.
    public static func fromEpochNumber(_ value: Double) -> Result<Int64, ParseError> {
        guard value.isFinite else { return .failure(.malformed) }
        let millis = value < secondsThreshold ? value * 1000 : value
        guard millis >= Double(minMillis), millis <= Double(maxMillis) else { return .failure(.outOfRange) }
        return .success(Int64(millis.rounded(.down)))
    }

    /// True when `text` is exactly the canonical form `formatRFC3339` writes,
    /// so a valid timestamp already in that form can be copied as it is.
    @inline(__always)
    public static func isCanonicalShape(_ text: UnsafeRawBufferPointer) -> Bool {
        text.count == 24 && text[10] == 0x54 && text[19] == 0x2E && text[23] == 0x5A
    }

    // MARK: Formatting

    /// Length of the canonical form `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static let canonicalLength = 24

    /// Writes the canonical RFC 3339 UTC form with milliseconds into 24 bytes at `out`.
    @inline(__always)
    public static func formatRFC3339(_ millis: Int64, into out: UnsafeMutableRawPointer) {
        let days = floorDiv(millis, 86_400_000)
        let inDay = Int(millis - days * 86_400_000)
        let (year, month, day) = civilFromDays(Int(days))
        @inline(__always) func put2(_ at: Int, _ v: Int) {
            out.storeBytes(of: UInt8(48 + v / 10), toByteOffset: at, as: UInt8.self)
            out.storeBytes(of: UInt8(48 + v % 10), toByteOffset: at + 1, as: UInt8.self)
        }
        put2(0, year / 100)
        put2(2, year % 100)
        out.storeBytes(of: 0x2D, toByteOffset: 4, as: UInt8.self)
        put2(5, month)
        out.storeBytes(of: 0x2D, toByteOffset: 7, as: UInt8.self)
        put2(8, day)
        out.storeBytes(of: 0x54, toByteOffset: 10, as: UInt8.self)
        put2(11, inDay / 3_600_000)
        out.storeBytes(of: 0x3A, toByteOffset: 13, as: UInt8.self)
        put2(14, (inDay / 60_000) % 60)
        out.storeBytes(of: 0x3A, toByteOffset: 16, as: UInt8.self)
        put2(17, (inDay / 1000) % 60)
        out.storeBytes(of: 0x2E, toByteOffset: 19, as: UInt8.self)
        let ms = inDay % 1000
        out.storeBytes(of: UInt8(48 + ms / 100), toByteOffset: 20, as: UInt8.self)
        put2(21, ms % 100)
        out.storeBytes(of: 0x5A, toByteOffset: 23, as: UInt8.self)
    }

    /// The canonical RFC 3339 UTC form with milliseconds, e.g. `2026-11-26T08:00:00.123Z`.
    public static func formatRFC3339(_ millis: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: canonicalLength)
        bytes.withUnsafeMutableBytes { formatRFC3339(millis, into: $0.baseAddress!) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Calendar

    public static let msPerDay: Int64 = 86_400_000

    /// Midnight UTC of a `YYYY-MM-DD` date, or nil when it is not a real date
    /// between 1970 and 9999.
    public static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10),
              (1970...9999).contains(y), (1...12).contains(m),
              d >= 1, d <= daysInMonth(year: y, month: m)
        else { return nil }
        return Int64(daysFromCivil(year: y, month: m, day: d)) * msPerDay
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
