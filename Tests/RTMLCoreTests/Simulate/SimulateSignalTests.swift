import Foundation
import Testing
@testable import RTMLCore

/// The real-time context must carry information a model can use.
@Suite("Simulate: learnable signal")
struct SimulateSignalTests {
    /// Events per entity in event-time order.
    static let timelines: [String: [ParsedEvent]] = {
        Dictionary(grouping: SimulatedDay.clean.events, by: \.entity)
            .mapValues { $0.sorted { ($0.eventTime, $0.line) < ($1.eventTime, $1.line) } }
    }()

    static let starts = SimulatedDay.clean.events.filter { $0.event == "content.start" }

    static func baseRate(_ category: String) -> Double {
        Double(starts.filter { $0.category == category }.count) / Double(starts.count)
    }

    @Test func searchGoalSteersTheNextStart() {
        var hits = 0, total = 0
        var baseline = 0.0
        for (_, events) in Self.timelines {
            for (i, e) in events.enumerated() where e.event == "search" {
                guard let goal = QueryVocabulary.category(of: e.properties["query"] as! String),
                      let next = events[(i + 1)...].first(where: { $0.event == "content.start" }),
                      next.eventTime - e.eventTime < 10 * 60_000
                else { continue }
                total += 1
                baseline += Self.baseRate(goal.name)
                if next.category == goal.name { hits += 1 }
            }
        }
        let rate = Double(hits) / Double(total)
        let base = baseline / Double(total)
        #expect(total > 100)
        #expect(rate > 0.5 && rate > 2 * base, "after a search: \(rate), base rate \(base)")
    }

    @Test func risingBiometricsLeadToMove() {
        var moveRising = 0, rising = 0
        for (_, events) in Self.timelines {
            var samples: [ParsedEvent] = []
            for e in events {
                if e.event == "biometric" { samples.append(e); continue }
                guard e.event == "content.start" else { continue }
                samples.removeAll { e.eventTime - $0.eventTime > 10 * 60_000 }
                guard samples.count >= 4 else { continue }
                let first = samples.first!.properties["heartRate"] as! Int
                let last = samples.last!.properties["heartRate"] as! Int
                if last - first >= 20 {
                    rising += 1
                    if e.category == "move" { moveRising += 1 }
                }
            }
        }
        let rate = Double(moveRising) / Double(rising)
        #expect(rising > 30)
        #expect(rate > 2 * Self.baseRate("move"), "move after rising trend: \(rate), base \(Self.baseRate("move"))")
    }

    @Test func sleepBouncesPushAwayFromSleep() {
        var afterBounce = 0, afterBounceSleep = 0, afterOther = 0, afterOtherSleep = 0
        for (_, events) in Self.timelines {
            let plays = events.filter { $0.event != "biometric" }
            for (i, e) in plays.enumerated() where (e.event == "content.exit" || e.event == "content.complete") && e.category == "sleep" {
                guard i + 1 < plays.count, plays[i + 1].event == "content.start",
                      plays[i + 1].eventTime - e.eventTime < 60_000 else { continue }
                let bounced = e.event == "content.exit" && (e.properties["positionSec"] as! Int) < 60
                let nextIsSleep = plays[i + 1].category == "sleep"
                if bounced { afterBounce += 1; if nextIsSleep { afterBounceSleep += 1 } }
                else { afterOther += 1; if nextIsSleep { afterOtherSleep += 1 } }
            }
        }
        #expect(afterBounce > 20 && afterOther > 20)
        #expect(Double(afterBounceSleep) / Double(afterBounce) < Double(afterOtherSleep) / Double(afterOther))
    }

    @Test func usersTopCategoryMatchesTheirLatentFavourite() {
        var matches = 0, users = 0
        for (entity, events) in Self.timelines {
            guard let number = events.first?.userNumber, entity.hasPrefix("u") else { continue }
            var counts: [String: Int] = [:]
            for e in events where e.event == "content.start" { counts[e.category!, default: 0] += 1 }
            guard counts.values.reduce(0, +) >= 8 else { continue }
            let top = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
            users += 1
            if top == UserProfile(seed: SimulatedDay.clean.seed, number: number).favorite.name { matches += 1 }
        }
        #expect(users > 100)
        #expect(Double(matches) / Double(users) > 0.45, "\(matches) of \(users)")
    }
}
