import Testing
@testable import RTMLCore

@Suite("Features: watermark, late events, window counts")
struct FeatureEngineWindowTests {
    let m = FT.minute
    let t0 = FT.noon

    @Test func watermarkFollowsTheLargestEarlierEventTime() {
        let engine = FT.engine()
        #expect(engine.watermark == .min)
        _ = engine.process(FT.event("u1", "app.open", at: t0 + 20 * m))
        #expect(engine.watermark == t0 + 10 * m)
        #expect(engine.maxEventTime == t0 + 20 * m)
        _ = engine.process(FT.event("u1", "app.open", at: t0 + 15 * m))
        #expect(engine.watermark == t0 + 10 * m, "an older event does not move it back")
        _ = engine.process(FT.event("u1", "app.open", at: t0 + 31 * m))
        #expect(engine.watermark == t0 + 21 * m)
    }

    @Test func theFirstEventIsNeverLate() {
        let engine = FT.engine()
        #expect(!FT.isLate(engine.process(FT.event("u1", "x", at: -5 * m))))
    }

    @Test func anEventIsLateExactlyWhenItsLatestWindowEndsAtTheWatermark() {
        // 10m windows sliding by 5m, 10m delay: after an event at 12:30 the watermark is 12:20.
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "app.open", at: t0 + 30 * m))
        // 12:14:59.999 is in [12:05,12:15) and [12:10,12:20): the latest ends at the watermark.
        let late = engine.process(FT.event("u1", "app.open", at: t0 + 15 * m - 1))
        guard case .late(let w) = late else { Issue.record("expected late"); return }
        #expect(w == t0 + 20 * m)
        // 12:15 is in [12:15,12:25), still open.
        #expect(!FT.isLate(engine.process(FT.event("u1", "app.open", at: t0 + 15 * m))))
        #expect(engine.lateCount == 1)
        #expect(engine.acceptedCount == 2)
    }

    @Test func aLateEventChangesNothing() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 30 * m, category: .sleep))
        _ = engine.takeChangedOnlineRows()
        _ = engine.takeDirtyUserStates()
        _ = engine.takeDirtyWindows()
        let before = engine.openWindowCount
        #expect(FT.isLate(engine.process(FT.event("u1", "content.start", at: t0, category: .sleep))))
        #expect(FT.isLate(engine.process(FT.event("u2", "search", at: t0, query: "sleep"))))
        #expect(engine.openWindowCount == before)
        #expect(engine.userCount == 1)
        #expect(engine.takeChangedOnlineRows().isEmpty)
        #expect(engine.takeDirtyUserStates().isEmpty)
        #expect(engine.takeDirtyWindows().isEmpty)
        #expect(engine.watermark == t0 + 20 * m)
    }

    @Test func anEventCountsOnlyInItsWindowsThatAreNotFinal() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "a", at: t0 + 30 * m)) // watermark 12:20
        // 12:17 is in [12:10,12:20) (final) and [12:15,12:25) (open).
        _ = engine.process(FT.event("u1", "a", at: t0 + 17 * m))
        engine.flushAll()
        let windows = engine.takeFinalWindows()
        #expect(windows.filter { $0.windowStart == t0 + 10 * m }.isEmpty)
        #expect(windows.first { $0.windowStart == t0 + 15 * m }?.count == 1)
        #expect(windows.first { $0.windowStart == t0 + 25 * m }?.count == 1)
    }

    @Test func windowsAreFinalisedOnceInOrderWhenTheWatermarkPassesTheirEnd() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u2", "b", at: t0 + 1 * m))
        _ = engine.process(FT.event("u1", "b", at: t0 + 2 * m))
        _ = engine.process(FT.event("u1", "a", at: t0 + 3 * m))
        _ = engine.process(FT.event("u1", "a", at: t0 + 4 * m))
        #expect(engine.takeFinalWindows().isEmpty)
        #expect(engine.openWindowCount == 6)
        // Watermark 12:10: [11:55,12:05) ends at 12:05 <= 12:10, [12:00,12:10) ends at the watermark.
        _ = engine.process(FT.event("u3", "c", at: t0 + 20 * m))
        let finals = engine.takeFinalWindows()
        let expected: [WindowCount] = [
            WindowCount(userId: "u1", event: "a", windowStart: t0 - 5 * m, windowEnd: t0 + 5 * m, count: 2),
            WindowCount(userId: "u1", event: "b", windowStart: t0 - 5 * m, windowEnd: t0 + 5 * m, count: 1),
            WindowCount(userId: "u2", event: "b", windowStart: t0 - 5 * m, windowEnd: t0 + 5 * m, count: 1),
            WindowCount(userId: "u1", event: "a", windowStart: t0, windowEnd: t0 + 10 * m, count: 2),
            WindowCount(userId: "u1", event: "b", windowStart: t0, windowEnd: t0 + 10 * m, count: 1),
            WindowCount(userId: "u2", event: "b", windowStart: t0, windowEnd: t0 + 10 * m, count: 1),
        ]
        #expect(finals == expected)
        #expect(engine.takeFinalWindows().isEmpty, "each window is handed out once")
        #expect(engine.openWindowCount == 2)
        engine.flushAll()
        #expect(engine.takeFinalWindows() == [
            WindowCount(userId: "u3", event: "c", windowStart: t0 + 15 * m, windowEnd: t0 + 25 * m, count: 1),
            WindowCount(userId: "u3", event: "c", windowStart: t0 + 20 * m, windowEnd: t0 + 30 * m, count: 1),
        ])
        #expect(engine.openWindowCount == 0)
        #expect(engine.finalisedWindowCount == 8)
    }

    /// After the end-of-input flush the store can be continued (the next
    /// day): only events whose windows were all flushed are late.
    @Test func flushAllFinalisesTheWindowsSeenAndNoMore() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "a", at: t0))
        engine.flushAll()
        #expect(engine.watermark == t0 + 10 * m)
        #expect(engine.takeFinalWindows().count == 2)
        #expect(engine.userCount == 0)
        // Both windows of t0 + 2m were flushed: late.
        #expect(FT.isLate(engine.process(FT.event("u1", "a", at: t0 + 2 * m))))
        // t0 + 5m also falls in [t0+5m, t0+15m), which was never opened: on time.
        #expect(!FT.isLate(engine.process(FT.event("u1", "a", at: t0 + 5 * m))))
        #expect(!FT.isLate(engine.process(FT.event("u1", "a", at: t0 + 60 * m))))
        engine.flushAll()
        let windows = engine.takeFinalWindows()
        #expect(windows.map(\.windowStart).sorted() == [t0 + 5 * m, t0 + 55 * m, t0 + 60 * m])
        #expect(windows.allSatisfy { $0.count == 1 })
    }

    @Test func knownAndUnknownEventsAreCountedAlike() {
        let engine = FT.engine { $0.windowMillis = 5 * m }
        _ = engine.process(FT.event("u1", "search", at: t0, query: "sleep"))
        _ = engine.process(FT.event("u1", "custom.thing", at: t0 + m))
        _ = engine.process(FT.event("u1", "custom.thing", at: t0 + 2 * m))
        engine.flushAll()
        #expect(engine.takeFinalWindows() == [
            WindowCount(userId: "u1", event: "custom.thing", windowStart: t0, windowEnd: t0 + 5 * m, count: 2),
            WindowCount(userId: "u1", event: "search", windowStart: t0, windowEnd: t0 + 5 * m, count: 1),
        ])
    }

    @Test func watermarkNeverDecreasesOnAJitteredStream() {
        let engine = FT.engine()
        var previous = Int64.min
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2000 {
            let t = t0 + Int64(i) * 1000 + Int64.random(in: -900_000...60_000, using: &rng)
            _ = engine.process(FT.event("u\(i % 7)", "e\(i % 3)", at: t))
            #expect(engine.watermark >= previous)
            #expect(engine.watermark == engine.maxEventTime - 10 * m)
            previous = engine.watermark
        }
    }
}
