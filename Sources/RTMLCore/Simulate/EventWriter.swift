/// Writes simulated events as NDJSON bytes, straight into a buffer.
///
/// No Foundation, no `String` per event: literals are `StaticString`s copied
/// with `memcpy`-like stores, numbers and timestamps are formatted by hand with
/// a two-digit table (so no locale or `Double` formatting can vary), and full
/// buffers go to the sink in 64 KiB chunks.
final class EventWriter {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let buffer: UnsafeMutablePointer<UInt8>
    private var pos = 0
    private static let capacity = 1 << 17
    private static let flushAt = 1 << 16
    private let pairs: UnsafeMutablePointer<UInt8>
    private var cachedDay: Int64 = .min
    private var cachedDate: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private let seed: UInt64
    private let catalog: Catalog
    private var scratch: [UInt8] = []
    private let hexTable = EventWriter.hexDigits.utf8Start

    /// Counters of what was written.
    var stats = SimulationStats()

    init(seed: UInt64, catalog: Catalog, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.seed = seed
        self.catalog = catalog
        self.sink = sink
        buffer = .allocate(capacity: Self.capacity)
        pairs = .allocate(capacity: 200)
        for i in 0..<100 {
            pairs[2 * i] = UInt8(0x30 + i / 10)
            pairs[2 * i + 1] = UInt8(0x30 + i % 10)
        }
    }

    deinit {
        buffer.deallocate()
        pairs.deallocate()
    }

    func finish() throws {
        if pos > 0 {
            try sink(UnsafeRawBufferPointer(start: buffer, count: pos))
            pos = 0
        }
    }

    // MARK: primitives

    @inline(__always)
    private func lit(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        (buffer + pos).update(from: s.utf8Start, count: n)
        pos += n
    }

    @inline(__always)
    private func byte(_ b: UInt8) {
        buffer[pos] = b
        pos += 1
    }

    @inline(__always)
    private func bytes(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { (buffer + pos).update(from: $0.baseAddress!, count: $0.count) }
        pos += b.count
    }

    @inline(__always)
    private func two(_ v: Int) {
        buffer[pos] = pairs[2 * v]
        buffer[pos + 1] = pairs[2 * v + 1]
        pos += 2
    }

    /// Decimal digits of a non-negative integer.
    @inline(__always)
    private func int(_ value: Int64) {
        var v = UInt64(value)
        var digits = 1
        var probe = v
        while probe >= 10 { probe /= 10; digits += 1 }
        pos += digits
        var i = pos
        repeat {
            i -= 1
            buffer[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
            v /= 10
        } while v > 0
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    @inline(__always)
    private func hex(_ value: UInt64, digits: Int) {
        let table = hexTable
        var v = value
        var i = pos + digits
        while i > pos {
            i -= 1
            buffer[i] = table[Int(v & 15)]
            v >>= 4
        }
        pos += digits
    }

    /// `"2026-11-26T08:00:00.123Z"`, or with `+HH:MM` when `offsetMinutes` is not nil.
    @inline(__always)
    private func time(_ ms: Int64, offsetMinutes: Int32? = nil) {
        let local = ms + Int64(offsetMinutes ?? 0) * 60_000
        var day = local / EventTime.msPerDay
        var inDay = local % EventTime.msPerDay
        if inDay < 0 { inDay += EventTime.msPerDay; day -= 1 }
        if day != cachedDay { cacheDate(day) }
        byte(0x22)
        withUnsafeBytes(of: cachedDate) { (buffer + pos).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 10) }
        pos += 10
        let total = Int(inDay)
        byte(UInt8(ascii: "T"))
        two(total / 3_600_000)
        byte(0x3A)
        two(total / 60_000 % 60)
        byte(0x3A)
        two(total / 1000 % 60)
        byte(0x2E)
        let millis = total % 1000
        byte(UInt8(0x30 + millis / 100))
        two(millis % 100)
        if let offsetMinutes {
            byte(offsetMinutes < 0 ? 0x2D : 0x2B)
            let m = Int(abs(offsetMinutes))
            two(m / 60)
            byte(0x3A)
            two(m % 60)
        } else {
            byte(UInt8(ascii: "Z"))
        }
        byte(0x22)
    }

    private func cacheDate(_ day: Int64) {
        cachedDay = day
        let (y, m, d) = EventTime.civilFromDays(Int(day))
        func digit(_ v: Int) -> UInt8 { UInt8(0x30 + v % 10) }
        cachedDate = (digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), 0x2D,
                      digit(m / 10), digit(m), 0x2D, digit(d / 10), digit(d))
    }

    // MARK: events

    /// Writes one line (with its newline) and counts it.
    func write(_ e: SimEvent) throws {
        let lineStart = pos
        let malformed: MalformedKind? = e.malformed == 0 ? nil : MalformedKind(rawValue: e.malformed - 1)
        if malformed == .notAnObject {
            if e.messageId & 1 == 0 {
                int(e.eventTime)
                byte(0x0A)
                stats.malformed += 1
                if pos >= Self.flushAt { try finish() }
                return
            }
            byte(UInt8(ascii: "["))
        }
        if e.flags & SimEvent.noMessageId == 0 {
            lit("{\"messageId\":\"m-")
            hex(e.messageId, digits: 16)
            lit("\",\"type\":\"track\"")
        } else {
            lit("{\"type\":\"track\"")
        }
        if malformed != .missingEvent {
            switch e.kind {
            case .appOpen: lit(",\"event\":\"app.open\"")
            case .contentStart: lit(",\"event\":\"content.start\"")
            case .contentExit: lit(",\"event\":\"content.exit\"")
            case .contentComplete: lit(",\"event\":\"content.complete\"")
            case .search: lit(",\"event\":\"search\"")
            case .biometric: lit(",\"event\":\"biometric\"")
            }
        }
        if malformed == .userIdNumber {
            lit(",\"userId\":")
            int(Int64(e.user))
        } else if malformed != .missingUser {
            if e.flags & SimEvent.anonymous != 0 {
                let (hi, lo) = UserProfile.anonymousKey(seed: seed, number: Int(e.user))
                lit(",\"anonymousId\":\"")
                hex(hi >> 32, digits: 8); byte(0x2D)
                hex(hi >> 16, digits: 4); byte(0x2D)
                hex(hi, digits: 4); byte(0x2D)
                hex(lo >> 48, digits: 4); byte(0x2D)
                hex(lo, digits: 12)
            } else {
                lit(",\"userId\":\"u")
                int(Int64(e.user))
            }
            if malformed == .invalidUTF8 {
                byte(0xFF)
                byte(0xFE)
            }
            byte(0x22)
        }
        switch malformed {
        case .timestampDayMonthYear:
            let local = e.eventTime
            let (y, m, d) = EventTime.civilFromDays(Int(local / EventTime.msPerDay))
            lit(",\"timestamp\":\"")
            two(d); byte(0x2F); two(m); byte(0x2F); int(Int64(y))
            byte(0x22)
        case .timestampWord:
            lit(",\"timestamp\":\"yesterday\"")
        case .timestampOutOfRange:
            let (y, _, _) = EventTime.civilFromDays(Int(e.eventTime / EventTime.msPerDay))
            lit(",\"timestamp\":\"")
            int(Int64(y))
            lit("-02-30T")
            let inDay = Int(e.eventTime % EventTime.msPerDay)
            two(inDay / 3_600_000); byte(0x3A); two(inDay / 60_000 % 60); byte(0x3A); two(inDay / 1000 % 60)
            lit(".000Z\"")
        case .timestampBool:
            lit(",\"timestamp\":true")
        default:
            switch e.timeStyle {
            case .utc:
                lit(",\"timestamp\":")
                time(e.eventTime)
            case .offset:
                lit(",\"timestamp\":")
                time(e.eventTime, offsetMinutes: e.skewMs)
            case .epochMillis:
                lit(",\"timestamp\":")
                int(e.eventTime)
            case .sentAt:
                lit(",\"originalTimestamp\":")
                time(e.eventTime + Int64(e.skewMs))
                lit(",\"sentAt\":")
                time(e.receivedAt - Int64(e.netMs) + Int64(e.skewMs))
            }
        }
        lit(",\"receivedAt\":")
        time(e.receivedAt)
        lit(",\"properties\":")
        let propertiesStart = pos
        properties(e)
        if malformed == .propertiesString {
            // Double-encoded properties: the object as a JSON string.
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(start: buffer + propertiesStart, count: pos - propertiesStart))
            pos = propertiesStart
            byte(0x22)
            for b in scratch {
                if b == 0x22 { byte(0x5C) }
                byte(b)
            }
            byte(0x22)
        }
        if malformed == .trailingComma { byte(0x2C) }
        byte(UInt8(ascii: "}"))
        if malformed == .notAnObject { byte(UInt8(ascii: "]")) }
        if malformed == .truncated {
            let length = pos - lineStart
            pos = lineStart + 10 + Int(e.messageId % UInt64(length - 12))
        }
        byte(0x0A)

        if malformed != nil {
            stats.malformed += 1
        } else {
            stats.count(e.kind)
            if e.flags & SimEvent.resend != 0 { stats.duplicates += 1 }
            if e.flags & SimEvent.late != 0 { stats.late += 1 }
        }
        if pos >= Self.flushAt { try finish() }
    }

    @inline(__always)
    private func properties(_ e: SimEvent) {
        switch e.kind {
        case .appOpen:
            lit("{\"platform\":\"")
            lit(Platform(rawValue: Int(e.a))!.name)
            lit("\"}")
        case .contentStart, .contentExit, .contentComplete:
            let item = catalog.items[Int(e.a)]
            lit("{\"contentId\":\"c")
            int(Int64(item.number))
            switch item.category {
            case .sleep: lit("\",\"category\":\"sleep\"")
            case .focus: lit("\",\"category\":\"focus\"")
            case .move: lit("\",\"category\":\"move\"")
            case .meditate: lit("\",\"category\":\"meditate\"")
            case .stress: lit("\",\"category\":\"stress\"")
            }
            if e.kind == .contentStart {
                lit(",\"durationSec\":")
                int(Int64(e.b))
            } else if e.kind == .contentExit {
                lit(",\"positionSec\":")
                int(Int64(e.b))
            } else if e.b > 0 {
                lit(",\"rating\":")
                int(Int64(e.b))
            }
            byte(UInt8(ascii: "}"))
        case .search:
            lit("{\"query\":\"")
            let prefix = Int(e.b >> 8), suffix = Int(e.b & 0xFF)
            if prefix > 0 { bytes(QueryVocabulary.prefixBytes[prefix - 1]) }
            bytes(QueryVocabulary.allPhrases[Int(e.a)])
            if suffix > 0 { bytes(QueryVocabulary.suffixBytes[suffix - 1]) }
            lit("\"}")
        case .biometric:
            lit("{\"steps\":")
            int(Int64(e.a))
            lit(",\"heartRate\":")
            int(Int64(e.b))
            byte(UInt8(ascii: "}"))
        }
    }
}
