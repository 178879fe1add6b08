import Foundation
import Testing
@testable import RTMLCore

@Suite("Simulate: random numbers and time")
struct SimulateRandomTests {
    @Test func sameSeedSameSequence() {
        var a = Xoshiro256StarStar(seed: 42)
        var b = Xoshiro256StarStar(seed: 42)
        var c = Xoshiro256StarStar(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }

    @Test func splitMixMatchesReferenceOutput() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference splitmix64.c).
        var s = SplitMix64(state: 0)
        #expect(s.next() == 0xE220_A839_7B1D_CDAF)
        #expect(s.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func uniformValuesStayInRange() {
        var rng = Xoshiro256StarStar(seed: 7, 1, 2, 3)
        var sum = 0.0
        for _ in 0..<10_000 {
            let u = rng.unit()
            #expect(u >= 0 && u < 1)
            sum += u
            let k = rng.below(7)
            #expect((0..<7).contains(k))
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }

    @Test func expAndLogAgreeWithLibm() {
        for x in stride(from: -30.0, through: 30.0, by: 0.37) {
            #expect(abs(DetMath.exp(x) / Foundation.exp(x) - 1) < 1e-13)
        }
        for x in [1e-9, 0.001, 0.5, 1, 1.4142, 2, 9, 150, 1e6] {
            #expect(abs(DetMath.log(x) - Foundation.log(x)) < 1e-13 * max(1, abs(Foundation.log(x))))
        }
    }

    @Test func datesParseAndRoundTrip() {
        #expect(EventTime.parseDate("2026-11-26") == 1_795_651_200_000)
        #expect(EventTime.parseDate("2026-02-30") == nil)
        #expect(EventTime.parseDate("2024-02-29") != nil)
        #expect(EventTime.parseDate("26/11/2026") == nil)
        for days in stride(from: Int64(-1000), through: 30000, by: 97) {
            let (y, m, d) = EventTime.civilFromDays(Int(days))
            #expect(Int64(EventTime.daysFromCivil(year: y, month: m, day: d)) == days)
        }
    }

    @Test func configRejectsBadRatesAndDates() {
        #expect(throws: RTMLError.self) { try SimulationConfig(malformedRate: 1) }
        #expect(throws: RTMLError.self) { try SimulationConfig(lateRate: -0.1) }
        #expect(throws: RTMLError.self) { try SimulationConfig(date: "2026-13-01") }
        #expect((try? SimulationConfig(duplicateRate: 0.5)) != nil)
    }
}
