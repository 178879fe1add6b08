import Foundation
@testable import RTMLCore

/// One parsed line of simulator output, with the event time resolved the way
/// DESIGN.md says ingest resolves it.
struct ParsedEvent {
    var line: Int
    var object: [String: Any]
    var event: String
    var entity: String
    var messageId: String?
    var eventTime: Int64
    var receivedAt: Int64
    var properties: [String: Any]
    /// The time came from `sentAt` + `originalTimestamp` (clock-skew correction).
    var derivedTime: Bool
    var timestampText: Any?

    var category: String? { properties["category"] as? String }
    var userNumber: Int? {
        entity.hasPrefix("u") ? Int(entity.dropFirst()) : nil
    }
}

/// Days generated once and shared by the tests (Swift Testing runs them in parallel).
enum SimulatedDay {
    static func generate(_ config: SimulationConfig) -> (bytes: [UInt8], stats: SimulationStats) {
        var bytes: [UInt8] = []
        let stats = try! DaySimulator.run(config) { bytes.append(contentsOf: $0) }
        return (bytes, stats)
    }

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { $0 }
    }

    /// A clean day: no corruption, big enough for the statistical tests.
    static let clean: (events: [ParsedEvent], stats: SimulationStats, lineCount: Int, seed: UInt64) = {
        let seed: UInt64 = 5
        let (bytes, stats) = generate(try! SimulationConfig(users: 250, seed: seed))
        let raw = lines(bytes)
        return (raw.enumerated().map { parse(Data($0.element), line: $0.offset + 1)! }, stats, raw.count, seed)
    }()

    /// A day with every corruption at 4 %.
    static let corrupted: (lines: [ArraySlice<UInt8>], stats: SimulationStats) = {
        let (bytes, stats) = generate(try! SimulationConfig(
            users: 150, seed: 11, malformedRate: 0.04, duplicateRate: 0.04, lateRate: 0.04))
        return (lines(bytes), stats)
    }()

    static let knownEvents: Set<String> = ["app.open", "content.start", "content.exit", "content.complete", "search", "biometric"]

    /// Parses and validates a line as ingest would; nil when the line is malformed.
    static func parse(_ data: Data, line: Int) -> ParsedEvent? {
        // Foundation's parser accepts a trailing comma; RFC 8259 does not. No
        // simulated string contains ",}" or ",]", so a byte search is exact here.
        guard !hasTrailingComma(data),
              let any = try? JSONSerialization.jsonObject(with: data),
              let object = any as? [String: Any],
              let event = object["event"] as? String,
              let properties = object["properties"] as? [String: Any],
              let receivedText = object["receivedAt"] as? String,
              let receivedAt = parseTime(receivedText)
        else { return nil }
        let entity: String
        if let user = object["userId"] { guard let u = user as? String else { return nil }; entity = u }
        else if let anon = object["anonymousId"] as? String { entity = anon }
        else { return nil }
        var eventTime: Int64
        var derived = false
        if let ts = object["timestamp"] {
            if let text = ts as? String {
                guard let t = parseTime(text) else { return nil }
                eventTime = t
            } else if let number = ts as? NSNumber, String(cString: number.objCType) != "c" {
                let v = number.int64Value
                eventTime = v < 100_000_000_000 ? v * 1000 : v
            } else { return nil }
        } else if let sent = (object["sentAt"] as? String).flatMap(parseTime),
                  let original = (object["originalTimestamp"] as? String).flatMap(parseTime) {
            eventTime = receivedAt - (sent - original)
            derived = true
        } else { return nil }
        return ParsedEvent(line: line, object: object, event: event, entity: entity,
                           messageId: object["messageId"] as? String, eventTime: eventTime,
                           receivedAt: receivedAt, properties: properties, derivedTime: derived,
                           timestampText: object["timestamp"])
    }

    static func hasTrailingComma(_ data: Data) -> Bool {
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            guard b.count > 1 else { return false }
            for i in 0..<(b.count - 1) where b[i] == 0x2C && (b[i + 1] == 0x7D || b[i + 1] == 0x5D) {
                return true
            }
            return false
        }
    }

    /// RFC 3339 with milliseconds and `Z` or `±HH:MM`.
    static func parseTime(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24 || b.count == 29 else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard (0x30...0x39).contains(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 0x30) }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
              let mi = num(14..<16), let s = num(17..<19), let ms = num(20..<23),
              (1...12).contains(mo), d >= 1, d <= EventTime.daysInMonth(year: y, month: mo), h < 24, mi < 60, s < 60
        else { return nil }
        var t = Int64(EventTime.daysFromCivil(year: y, month: mo, day: d)) * 86_400_000 + Int64(((h * 60 + mi) * 60 + s) * 1000 + ms)
        if b.count == 29 {
            guard let oh = num(24..<26), let om = num(27..<29) else { return nil }
            let offset = Int64((oh * 60 + om) * 60_000)
            t -= b[23] == UInt8(ascii: "-") ? -offset : offset
        } else if b[23] != UInt8(ascii: "Z") { return nil }
        return t
    }
}
