import Testing
@testable import RTMLCore

@Suite("Features: values on hand-computed cases")
struct FeatureValuesTests {
    let m = FT.minute
    let t0 = FT.noon

    @Test func sleepStartsBouncesAndRateInTheSession() {
        let engine = FT.engine()
        let open = FT.history(engine.process(FT.event("u1", "app.open", at: t0)))
        #expect(FT.int(open, "session_sleep_starts") == 0)
        #expect(FT.value(open, "session_sleep_bounce_rate") == .null, "no starts: no rate")
        _ = engine.process(FT.event("u1", "content.start", at: t0 + m, category: .sleep))
        _ = engine.process(FT.event("u1", "content.exit", at: t0 + 2 * m, category: .sleep, position: 59.9))
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 3 * m, category: .sleep))
        // 60 s is not before the 60 s threshold: not a bounce.
        _ = engine.process(FT.event("u1", "content.exit", at: t0 + 4 * m, category: .sleep, position: 60))
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 5 * m, category: .focus))
        let row = FT.history(engine.process(FT.event("u1", "content.exit", at: t0 + 6 * m, category: .focus, position: 1)))
        #expect(FT.int(row, "session_sleep_starts") == 2)
        #expect(FT.int(row, "session_sleep_bounces") == 1)
        #expect(FT.real(row, "session_sleep_bounce_rate") == 0.5)
        // 29:59.999 later: same session; 30:00 after that event: a new one.
        let same = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 36 * m - 1)))
        #expect(FT.int(same, "session_sleep_starts") == 2)
        let next = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 66 * m - 1)))
        #expect(FT.int(next, "session_sleep_starts") == 0)
        #expect(FT.int(next, "session_sleep_bounces") == 0)
        #expect(FT.value(next, "session_sleep_bounce_rate") == .null)
    }

    @Test func heartRateAndStepsSlopesAndMeans() {
        let engine = FT.engine()
        let first = FT.history(engine.process(FT.event("u1", "biometric", at: t0, steps: 10, heartRate: 60)))
        #expect(FT.value(first, "heart_rate_slope_10m") == .null, "one sample: no slope")
        #expect(FT.real(first, "heart_rate_mean_10m") == 60)
        _ = engine.process(FT.event("u1", "biometric", at: t0 + m, steps: 20, heartRate: 63))
        let third = FT.history(engine.process(FT.event("u1", "biometric", at: t0 + 2 * m, steps: 30, heartRate: 66)))
        #expect(FT.real(third, "heart_rate_slope_10m") == 3)
        #expect(FT.real(third, "steps_slope_10m") == 10)
        #expect(FT.real(third, "heart_rate_mean_10m") == 63)
        #expect(FT.real(third, "steps_mean_10m") == 20)
        // At 12:10 the 12:00 sample is out of (t - 10m, t]: samples at x = -9, -8, 0 minutes,
        // heart rate 63, 66, 93: Sxx = 146/3, Sxy = 163, slope = 489/146.
        let later = FT.history(engine.process(FT.event("u1", "biometric", at: t0 + 10 * m, steps: 0, heartRate: 93)))
        #expect(abs(FT.real(later, "heart_rate_slope_10m")! - 489.0 / 146.0) < 1e-12)
        #expect(FT.real(later, "heart_rate_mean_10m") == 74)
        // Steps 20, 30, 0: Sxy = -9·20 - 8·30 - (-17/3)·50 = -420 + 850/3 = -410/3, slope = -410/146.
        #expect(abs(FT.real(later, "steps_slope_10m")! - (-410.0 / 146.0)) < 1e-12)
        // A row of another event sees the samples too.
        let open = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 11 * m)))
        #expect(FT.real(open, "heart_rate_mean_10m") == 79.5)
    }

    @Test func slopeNeedsTimeVarianceAndSkipsMissingValues() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "biometric", at: t0, steps: 5, heartRate: 70))
        let same = FT.history(engine.process(FT.event("u1", "biometric", at: t0, steps: 7, heartRate: 72)))
        #expect(FT.value(same, "heart_rate_slope_10m") == .null, "two samples at one instant")
        #expect(FT.real(same, "heart_rate_mean_10m") == 71)
        let noHeart = FT.history(engine.process(FT.event("u1", "biometric", at: t0 + m, steps: 9)))
        #expect(FT.real(noHeart, "heart_rate_mean_10m") == 71)
        #expect(FT.value(noHeart, "heart_rate_slope_10m") == .null)
        #expect(FT.real(noHeart, "steps_mean_10m") == 7)
        #expect(abs(FT.real(noHeart, "steps_slope_10m")! - 3) < 1e-12)
        let none = FT.history(FT.engine().process(FT.event("u2", "app.open", at: t0)))
        #expect(FT.value(none, "steps_mean_10m") == .null)
        #expect(FT.value(none, "steps_slope_10m") == .null)
    }

    @Test func trailingCountsIncludeTheLast10MinutesAndExcludeTheStart() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "content.start", at: t0, category: .sleep))
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 5 * m, category: .sleep))
        _ = engine.process(FT.event("u1", "content.complete", at: t0 + 6 * m, category: .sleep))
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 7 * m, category: .move))
        _ = engine.process(FT.event("u1", "content.start", at: t0 + 8 * m)) // no category: not counted
        let before = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 10 * m - 1)))
        #expect(FT.int(before, "starts_sleep_10m") == 2)
        #expect(FT.int(before, "completes_sleep_10m") == 1)
        #expect(FT.int(before, "starts_move_10m") == 1)
        #expect(FT.int(before, "starts_focus_10m") == 0)
        let at = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 10 * m)))
        #expect(FT.int(at, "starts_sleep_10m") == 1, "(t - 10m, t]: the 12:00 start has left")
        let end = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 16 * m - 1)))
        #expect(FT.int(end, "starts_sleep_10m") == 0)
        #expect(FT.int(end, "completes_sleep_10m") == 1)
        #expect(FT.int(end, "starts_move_10m") == 1)
    }

    @Test func lastEventIsTheLatestByEventTime() {
        let engine = FT.engine()
        let row = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + m, received: t0 + m + 5)))
        #expect(FT.value(row, "last_event") == .text("app.open"))
        #expect(FT.int(row, "last_event_ts") == t0 + m)
        #expect(row?.eventTs == t0 + m)
        #expect(row?.updatedAt == t0 + m + 5)
        _ = engine.process(FT.event("u1", "search", at: t0, received: t0 + 2 * m, query: "x"))
        var online = engine.takeChangedOnlineRows()
        #expect(FT.value(online.first, "last_event") == .text("app.open"), "an older event does not replace it")
        #expect(online.first?.updatedAt == t0 + 2 * m)
        _ = engine.process(FT.event("u1", "biometric", at: t0 + m, received: t0 + 3 * m, steps: 1))
        online = engine.takeChangedOnlineRows()
        #expect(FT.value(online.first, "last_event") == .text("biometric"), "a tie goes to the later arrival")
    }

    @Test func outOfOrderHistoryRowExcludesLaterEvents() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "search", at: t0 + 5 * m, query: "sleep"))
        _ = engine.process(FT.event("u1", "biometric", at: t0 + 4 * m, heartRate: 80))
        _ = engine.takeChangedOnlineRows()
        let outcome = engine.process(FT.event("u1", "content.start", at: t0 + 2 * m, received: t0 + 6 * m, category: .sleep))
        let history = FT.history(outcome)
        #expect(history?.eventTs == t0 + 2 * m)
        #expect(FT.value(history, "search_embedding") == .null)
        #expect(FT.value(history, "heart_rate_mean_10m") == .null)
        #expect(FT.int(history, "starts_sleep_10m") == 1)
        #expect(FT.int(history, "session_sleep_starts") == 1)
        #expect(FT.value(history, "last_event") == .text("content.start"))
        let online = engine.takeChangedOnlineRows()
        #expect(online.count == 1)
        #expect(online[0].eventTs == t0 + 5 * m)
        #expect(online[0].updatedAt == t0 + 6 * m)
        #expect(FT.vector(online[0]) != nil)
        #expect(FT.real(online[0], "heart_rate_mean_10m") == 80)
        #expect(FT.int(online[0], "starts_sleep_10m") == 1)
        #expect(FT.int(online[0], "session_sleep_starts") == 1)
        #expect(FT.value(online[0], "last_event") == .text("search"))
    }

    @Test func inOrderHistoryAndOnlineRowsAreTheSame() {
        let engine = FT.engine()
        let history = FT.history(engine.process(FT.event("u1", "content.start", at: t0, category: .move)))
        #expect(engine.takeChangedOnlineRows().map(\.featureRow) == [history!])
    }

    @Test func anOutOfOrderEventCanJoinTwoSessions() {
        // A 30-minute delay keeps the 12:20 event on time after one at 12:40.
        let engine = FT.engine { $0.watermarkDelayMillis = 30 * m }
        _ = engine.process(FT.event("u1", "content.start", at: t0, category: .sleep))
        let second = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 40 * m)))
        #expect(FT.int(second, "session_sleep_starts") == 0, "40 minutes apart: two sessions")
        let bridge = FT.history(engine.process(FT.event("u1", "content.start", at: t0 + 20 * m, category: .sleep)))
        #expect(FT.int(bridge, "session_sleep_starts") == 2)
        let online = engine.takeChangedOnlineRows()
        #expect(FT.int(online.first, "session_sleep_starts") == 2, "the bridge joins the sessions")
        let after = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 41 * m)))
        #expect(FT.int(after, "session_sleep_starts") == 2)
    }
}
