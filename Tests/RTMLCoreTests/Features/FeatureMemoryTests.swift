import Testing
@testable import RTMLCore

@Suite("Features: bounded memory and eviction")
struct FeatureMemoryTests {
    let m = FT.minute
    let t0 = FT.noon

    @Test func anIdleUserIsDroppedOnceNoLaterEventCanSeeItsState() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "content.start", at: t0, category: .sleep))
        _ = engine.takeDirtyUserStates()
        // A later u1 event has time > watermark - 10m. With a 30m memory span
        // and whole minutes, u1 (12:00:00-12:00:59.999) can go when
        // watermark - 10m + 1 - 30m >= 12:00:59.999, i.e. max event time >= 12:50:59.998.
        _ = engine.process(FT.event("u2", "app.open", at: t0 + 51 * m - 3))
        #expect(engine.userCount == 2)
        _ = engine.process(FT.event("u2", "app.open", at: t0 + 51 * m - 2))
        #expect(engine.userCount == 1)
        #expect(engine.evictedUserCount == 1)
        let dirty = engine.takeDirtyUserStates()
        #expect(dirty.map(\.userId) == ["u1", "u2"])
        #expect(dirty[0].state == nil)
        #expect(dirty[1].state != nil)
        // The earliest u1 event still on time starts afresh, as it would have anyway.
        let row = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 41 * m - 2 + 1)))
        #expect(row != nil)
        #expect(FT.int(row, "session_sleep_starts") == 0)
        #expect(FT.int(row, "starts_sleep_10m") == 0)
    }

    @Test func perUserBuffersStayWithinTheirSpans() {
        let engine = FT.engine()
        for i in 0..<2000 {
            let t = t0 + Int64(i) * 30_000
            _ = engine.process(FT.event("u1", "biometric", at: t, steps: 10, heartRate: 70))
            _ = engine.process(FT.event("u1", "content.start", at: t + 1, category: .move))
            _ = engine.process(FT.event("u1", "search", at: t + 2, query: "run"))
        }
        let user = engine.userState("u1")!
        // Horizon = watermark - 10m = max - 20m; samples kept back to horizon - 10m,
        // plus up to a minute more (forgetting goes in one-minute chunks).
        #expect(user.samples.count <= 63)
        #expect(user.contents.count <= 63)
        #expect(user.searches.count <= 103)
        #expect(user.timeline.count <= 3 * 43)
        #expect(engine.openWindowCount <= 3 * 5)
    }

    @Test func forgettingNeverChangesAnOutput() {
        let events = FT.simulated(users: 40, seed: 3)
        func run(prune: Bool, evict: Bool) -> FT.Outputs {
            let engine = FT.engine()
            engine.pruningEnabled = prune
            engine.evictionEnabled = evict
            var out = FT.Outputs()
            for e in events {
                out.record(engine.process(e))
                out.drain(engine)
            }
            engine.flushAll()
            out.drain(engine)
            return out
        }
        let full = run(prune: false, evict: false)
        #expect(full.outcomes.contains { $0.hasPrefix("late") })
        #expect(run(prune: true, evict: true).difference(from: full) == nil)
    }
}
