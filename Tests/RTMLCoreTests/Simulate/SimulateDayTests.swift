import Foundation
import Testing
@testable import RTMLCore

@Suite("Simulate: the generated day")
struct SimulateDayTests {
    @Test func sameSeedGivesSameBytesOtherSeedDiffers() throws {
        let a = SimulatedDay.generate(try SimulationConfig(users: 40, seed: 9, malformedRate: 0.02, duplicateRate: 0.02, lateRate: 0.02))
        let b = SimulatedDay.generate(try SimulationConfig(users: 40, seed: 9, malformedRate: 0.02, duplicateRate: 0.02, lateRate: 0.02))
        let c = SimulatedDay.generate(try SimulationConfig(users: 40, seed: 10, malformedRate: 0.02, duplicateRate: 0.02, lateRate: 0.02))
        #expect(!a.bytes.isEmpty)
        #expect(a.bytes == b.bytes)
        #expect(a.stats == b.stats)
        #expect(a.bytes != c.bytes)
    }

    @Test func everyLineIsAValidEventInArrivalOrder() {
        let day = SimulatedDay.clean
        #expect(day.events.count == day.lineCount)
        #expect(day.stats.events == day.lineCount)
        var previous = Int64.min
        for e in day.events {
            #expect(SimulatedDay.knownEvents.contains(e.event), "line \(e.line)")
            #expect(e.object["type"] as? String == "track")
            #expect(e.receivedAt >= previous, "line \(e.line): receivedAt goes back")
            previous = e.receivedAt
            if !e.derivedTime { #expect(e.eventTime <= e.receivedAt, "line \(e.line)") }
            #expect(e.receivedAt - e.eventTime < 5 * 60_000 + 1000, "line \(e.line): no late lines at rate 0")
            switch e.event {
            case "app.open": #expect(["ios", "android", "web"].contains(e.properties["platform"] as? String))
            case "content.start":
                #expect(e.properties["durationSec"] is Int)
                #expect((e.properties["contentId"] as? String)?.hasPrefix("c") == true)
                #expect(ContentCategory(name: e.category ?? "") != nil)
            case "content.exit": #expect(e.properties["positionSec"] is Int)
            case "content.complete": #expect(e.category != nil)
            case "search": #expect(!((e.properties["query"] as? String) ?? "").isEmpty)
            case "biometric":
                #expect(e.properties["steps"] is Int)
                #expect((e.properties["heartRate"] as? Int).map { (40...200).contains($0) } == true)
            default: break
            }
        }
    }

    @Test func eventCountsArePlausible() {
        let day = SimulatedDay.clean
        let counts = day.stats.byEvent
        #expect(counts.values.reduce(0, +) == day.stats.events)
        #expect(counts["content.start"] == counts["content.exit"]! + counts["content.complete"]!)
        let opens = Double(counts["app.open"]!)
        #expect(abs(Double(counts["search"]!) / opens - 0.35) < 0.05)
        let perActive = Double(day.stats.events) / Double(day.stats.activeUsers)
        #expect((50...200).contains(perActive))
        #expect(abs(Double(day.stats.activeUsers) / 250 - 0.85) < 0.07)
    }

    @Test func envelopeVarietyHasTheDocumentedShares() {
        let events = SimulatedDay.clean.events
        let n = Double(events.count)
        let offset = events.filter { ($0.timestampText as? String).map { !$0.hasSuffix("Z") } ?? false }.count
        let epoch = events.filter { $0.timestampText is NSNumber && !($0.timestampText is String) }.count
        let derived = events.filter(\.derivedTime).count
        let noId = events.filter { $0.messageId == nil }.count
        let anonymous = events.filter { $0.object["anonymousId"] != nil }.count
        #expect(abs(Double(offset) / n - 0.04) < 0.01)
        #expect(abs(Double(epoch) / n - 0.04) < 0.01)
        #expect(abs(Double(derived) / n - 0.01) < 0.005)
        #expect(abs(Double(noId) / n - 0.01) < 0.005)
        #expect(anonymous > 0)
        // A device clock ahead of the server makes originalTimestamp later than
        // receivedAt; the derived event time is still at or before arrival.
        for e in events where e.derivedTime {
            #expect(e.eventTime <= e.receivedAt)
        }
    }

    @Test func corruptionsMatchTheirRates() {
        let day = SimulatedDay.corrupted
        let n = Double(day.lines.count)
        #expect(day.stats.events == day.lines.count)
        var malformed = 0, duplicates = 0, late = 0
        var seen = Set<String>()
        var previous = Int64.min
        for (i, raw) in day.lines.enumerated() {
            guard let e = SimulatedDay.parse(Data(raw), line: i + 1) else {
                malformed += 1
                continue
            }
            #expect(e.receivedAt >= previous)
            previous = e.receivedAt
            if let id = e.messageId {
                if seen.contains(id) { duplicates += 1 } else { seen.insert(id) }
            }
            if e.receivedAt - e.eventTime > 10 * 60_000 { late += 1 }
        }
        #expect(malformed == day.stats.malformed)
        #expect(duplicates == day.stats.duplicates)
        #expect(late == day.stats.late)
        #expect(abs(Double(malformed) / n - 0.04) < 0.01)
        #expect(abs(Double(duplicates) / n - 0.04 * 0.96) < 0.01)
        #expect(abs(Double(late) / n - 0.04 * 0.96 * 1.04) < 0.01)
        // Every kind of breakage shows up.
        let text = day.lines.map { String(decoding: $0, as: UTF8.self) }
        for marker in ["yesterday", "-02-30T", "\"timestamp\":true", "\"properties\":\"{", ",}", "\u{FFFD}"] {
            #expect(text.contains { $0.contains(marker) }, "no line with \(marker)")
        }
        #expect(text.contains { $0.hasPrefix("[") })
        #expect(text.contains { $0.range(of: #"^[0-9]+$"#, options: .regularExpression) != nil })
        #expect(text.contains { $0.range(of: #""timestamp":"[0-9]{2}/[0-9]{2}/[0-9]{4}""#, options: .regularExpression) != nil })
        #expect(text.contains { $0.range(of: #""userId":[0-9]"#, options: .regularExpression) != nil })
    }

    @Test func duplicatesRepeatAnEarlierLineShortlyAfter() {
        var first: [String: Int64] = [:]
        for (i, raw) in SimulatedDay.corrupted.lines.enumerated() {
            guard let e = SimulatedDay.parse(Data(raw), line: i + 1), let id = e.messageId else { continue }
            if let original = first[id] {
                #expect(e.receivedAt - original <= 30_000)
            } else {
                first[id] = e.receivedAt
            }
        }
    }
}
