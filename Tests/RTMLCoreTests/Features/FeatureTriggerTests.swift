import Testing
@testable import RTMLCore

@Suite("Features: prediction triggers")
struct FeatureTriggerTests {
    let m = FT.minute
    let t0 = FT.noon

    @Test func searchCompleteAndExitTrigger() {
        let engine = FT.engine()
        #expect(FT.trigger(engine.process(FT.event("u1", "app.open", at: t0))) == nil)
        #expect(FT.trigger(engine.process(FT.event("u1", "search", at: t0 + 1, query: "zzz"))) == "search")
        #expect(FT.trigger(engine.process(FT.event("u1", "content.start", at: t0 + 2, category: .focus))) == nil)
        #expect(FT.trigger(engine.process(FT.event("u1", "content.exit", at: t0 + 3, category: .focus, position: 5))) == "content.exit")
        #expect(FT.trigger(engine.process(FT.event("u1", "content.complete", at: t0 + 4))) == "content.complete")
        #expect(FT.trigger(engine.process(FT.event("u1", "other", at: t0 + 5))) == nil)
    }

    @Test func lateEventsNeverTrigger() {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "app.open", at: t0 + 60 * m))
        let late = engine.process(FT.event("u1", "search", at: t0, query: "sleep"))
        #expect(FT.isLate(late))
        #expect(FT.trigger(late) == nil)
    }

    @Test func heartRateStartingAndStoppingToRiseTriggers() {
        let engine = FT.engine()
        func sample(_ minute: Int64, _ hr: Double) -> String? {
            FT.trigger(engine.process(FT.event("u1", "biometric", at: t0 + minute * m, heartRate: hr)))
        }
        #expect(sample(0, 60) == nil, "a first sample has no trend")
        #expect(sample(1, 60) == nil)
        #expect(sample(2, 60) == nil)
        // 60, 60, 60, 70 a minute apart: slope exactly 3 bpm/min, the threshold.
        #expect(sample(3, 70) == "biometric.trend")
        #expect(sample(4, 80) == nil, "still rising")
        #expect(sample(5, 90) == nil)
        // Flat at 90 for a while: the slope falls below 3.
        var fell: Int64?
        for minute in Int64(6)...20 where sample(minute, 90) != nil {
            fell = fell ?? minute
        }
        #expect(fell != nil)
    }

    @Test func stepsRisingAloneTriggers() {
        let engine = FT.engine()
        var triggers: [String?] = []
        for (minute, steps) in [(0, 10.0), (1, 10), (2, 10), (3, 40)] {
            triggers.append(FT.trigger(engine.process(FT.event("u1", "biometric", at: t0 + Int64(minute) * m, steps: steps, heartRate: 70))))
        }
        // Steps 10, 10, 10, 40: slope 9 steps/min >= 8.
        #expect(triggers == [nil, nil, nil, "biometric.trend"])
    }

    @Test func aSampleAfterALongPauseComparesWithNothing() {
        let engine = FT.engine()
        for (minute, hr) in [(0, 60.0), (1, 70), (2, 80)] {
            _ = engine.process(FT.event("u1", "biometric", at: t0 + Int64(minute) * m, heartRate: hr))
        }
        // Rising as of 12:02; 20 minutes later the previous sample is out of the trailing span.
        #expect(FT.trigger(engine.process(FT.event("u1", "biometric", at: t0 + 22 * m, heartRate: 60))) == nil)
    }
}
