import Foundation
import Testing
@testable import RTMLCore

@Suite struct EventTimeTests {
    func millis(_ text: String) -> Int64? {
        try? EventTime.parseRFC3339(text).get()
    }

    @Test func parsesUTCWithMilliseconds() {
        #expect(millis("1970-01-01T00:00:00.000Z") == 0)
        #expect(millis("2026-11-26T08:00:00.123Z") == 1_795_680_000_123)
        #expect(millis("2026-11-26t08:00:00.123z") == 1_795_680_000_123)
        #expect(millis("2026-11-26 08:00:00.123Z") == 1_795_680_000_123)
    }

    @Test func appliesOffsets() {
        #expect(millis("2026-11-26T09:00:00.123+01:00") == 1_795_680_000_123)
        #expect(millis("2026-11-26T02:30:00.123-05:30") == 1_795_680_000_123)
        #expect(millis("2026-11-26T08:00:00.123+00:00") == 1_795_680_000_123)
        #expect(millis("2026-11-26T08:00:00.123-00:00") == 1_795_680_000_123)
    }

    @Test func fractionDigitsTruncateToMilliseconds() {
        #expect(millis("2026-11-26T08:00:00Z") == 1_795_680_000_000)
        #expect(millis("2026-11-26T08:00:00.1Z") == 1_795_680_000_100)
        #expect(millis("2026-11-26T08:00:00.98765Z") == 1_795_680_000_987)
        #expect(millis("2026-11-26T08:00:00.123456789Z") == 1_795_680_000_123)
    }

    @Test func leapYears() {
        #expect(millis("2024-02-29T00:00:00Z") != nil)
        #expect(millis("2000-02-29T00:00:00Z") != nil)
        #expect(EventTime.parseRFC3339("2026-02-29T00:00:00Z") == .failure(.outOfRange))
        #expect(EventTime.parseRFC3339("1900-02-29T00:00:00Z") == .failure(.malformed) || millis("1900-02-29T00:00:00Z") == nil)
        #expect(EventTime.parseRFC3339("2100-02-29T00:00:00Z") == .failure(.outOfRange))
        #expect(millis("2024-12-31T23:59:59.999Z")! + 1 == millis("2025-01-01T00:00:00Z")!)
    }

    @Test func agreesWithFoundationOnManyDates() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let ms = Int64(state >> 24) % 4_102_444_800_000  // up to 2100
            let text = EventTime.formatRFC3339(ms)
            #expect(millis(text) == ms)
            let date = formatter.date(from: text)!
            #expect(Int64((date.timeIntervalSince1970 * 1000).rounded()) == ms)
        }
    }

    @Test func dateCacheGivesTheSameAnswers() {
        var cache = EventTime.DateCache()
        let texts = ["2026-11-26T08:00:00.123Z", "2026-11-26T09:00:00+01:00", "2026-11-26T25:00:00Z",
                     "2026-11-26T08:00:00", "2026-11-26X08:00:00Z", "2026-11-27T00:00:00Z", "2026-11-26T23:59:59.999Z",
                     "2026-02-30T00:00:00Z", "2026-02-30T00:00Z", "2026-11-26T08:00:00.123Z"]
        for text in texts {
            var copy = text
            let cached = copy.withUTF8 { EventTime.parseRFC3339(UnsafeRawBufferPointer($0), cache: &cache) }
            #expect(cached == EventTime.parseRFC3339(text), "\(text)")
        }
    }

    @Test func rejectsGarbage() {
        for bad in ["26/11/2026", "yesterday", "", "2026-11-26", "2026-11-26T08:00:00", "2026-11-26T08:00:00.Z",
                    "2026-11-26T08:00:00.123", "2026-11-26T08:00:00+0100", "2026-11-26T08:00:00Z ",
                    "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-26T24:00:00Z",
                    "2026-11-26T08:60:00Z", "2026-11-26T08:00:61Z", "2026-11-26T08:00:00+24:00",
                    "1969-12-31T23:59:59Z", "２０２６-11-26T08:00:00Z", "2026-11-26X08:00:00Z"] {
            #expect(millis(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test func leapSecondIsLastMillisecondOfMinute() {
        #expect(millis("2016-12-31T23:59:60Z") == millis("2016-12-31T23:59:59.999Z"))
    }

    @Test func epochNumbers() throws {
        #expect(try EventTime.fromEpochNumber(1_795_680_000).get() == 1_795_680_000_000)
        #expect(try EventTime.fromEpochNumber(1_795_680_000.5).get() == 1_795_680_000_500)
        #expect(try EventTime.fromEpochNumber(1_795_680_000_123).get() == 1_795_680_000_123)
        #expect(try EventTime.fromEpochNumber(99_999_999_999).get() == 99_999_999_999_000)
        #expect(try EventTime.fromEpochNumber(100_000_000_000).get() == 100_000_000_000)
        #expect(EventTime.fromEpochNumber(-1) == .failure(.outOfRange))
        #expect(EventTime.fromEpochNumber(.nan) == .failure(.malformed))
        #expect(EventTime.fromEpochNumber(1e300) == .failure(.outOfRange))
    }

    @Test func formatsCanonically() {
        #expect(EventTime.formatRFC3339(0) == "1970-01-01T00:00:00.000Z")
        #expect(EventTime.formatRFC3339(1_795_680_000_123) == "2026-11-26T08:00:00.123Z")
        #expect(EventTime.formatRFC3339(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(EventTime.formatRFC3339(EventTime.maxMillis) == "9999-12-31T23:59:59.999Z")
    }

    @Test func durations() {
        #expect(DurationText.parseMillis("500ms") == 500)
        #expect(DurationText.parseMillis("30s") == 30_000)
        #expect(DurationText.parseMillis("10m") == 600_000)
        #expect(DurationText.parseMillis("24h") == 86_400_000)
        #expect(DurationText.parseMillis("1d") == 86_400_000)
        #expect(DurationText.parseMillis("10") == nil)
        #expect(DurationText.parseMillis("-5m") == nil)
        #expect(DurationText.parseMillis("m") == nil)
        #expect(DurationText.format(millis: 600_000) == "10m")
        #expect(DurationText.format(millis: 1500) == "1500ms")
    }
}
