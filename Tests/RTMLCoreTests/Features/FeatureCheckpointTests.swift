import Testing
@testable import RTMLCore

@Suite("Features: checkpoint, restore and batch independence")
struct FeatureCheckpointTests {
    static let stream = FT.simulated(users: 30, seed: 9, lateRate: 0.03, duplicateRate: 0.02)

    static let uninterrupted: FT.Outputs = {
        let engine = FT.engine()
        var out = FT.Outputs()
        for e in stream {
            out.record(engine.process(e))
        }
        out.drain(engine)
        engine.flushAll()
        out.drain(engine)
        return out
    }()

    @Test func theStreamExercisesEveryPath() {
        let out = Self.uninterrupted
        #expect(Self.stream.count > 1500)
        #expect(out.outcomes.contains { $0.hasPrefix("late") })
        for trigger in ["search", "content.exit", "content.complete", "biometric.trend"] {
            #expect(out.outcomes.contains { $0.hasSuffix("trigger=\(trigger)") }, "no \(trigger) trigger")
        }
        #expect(out.windows.count > 1000)
    }

    @Test(arguments: [false, true])
    func restoringAtEveryEventBoundaryChangesNothing(windowsInStates: Bool) throws {
        var store = CheckpointStore()
        store.windowsInStates = windowsInStates
        var engine = FT.engine()
        var out = FT.Outputs()
        var maxUsers = 0
        for e in Self.stream {
            out.record(engine.process(e))
            out.drain(engine)
            store.commit(engine)
            maxUsers = max(maxUsers, engine.userCount)
            let before = (engine.userCount, engine.openWindowCount, engine.watermark, engine.maxEventTime)
            engine = try store.restore()
            #expect(before == (engine.userCount, engine.openWindowCount, engine.watermark, engine.maxEventTime))
        }
        engine.flushAll()
        out.drain(engine)
        store.commit(engine)
        #expect(out.difference(from: Self.uninterrupted) == nil)
        #expect(store.users.isEmpty && store.windows.isEmpty, "after flushAll nothing is left to keep")
        #expect(maxUsers < 30, "idle users were dropped along the way")
    }

    @Test(arguments: [false, true])
    func outputsDoNotDependOnWhenTheCallerTakesThem(windowsInStates: Bool) throws {
        var rng = SplitMix64(state: 42)
        for _ in 0..<4 {
            let engine = FT.engine()
            var out = FT.Outputs()
            var store = CheckpointStore()
            store.windowsInStates = windowsInStates
            let takeEvery = Int(rng.next() % 200) + 1
            for (i, e) in Self.stream.enumerated() {
                out.record(engine.process(e))
                if rng.next() % UInt64(takeEvery) == 0 {
                    // Any subset of the take calls, in any order.
                    switch rng.next() % 4 {
                    case 0: out.drain(engine); store.commit(engine)
                    case 1: store.commit(engine); out.drain(engine)
                    case 2: for row in engine.takeChangedOnlineRows() { out.online[row.userId] = row.featureRow }
                    default: out.windows += engine.takeFinalWindows()
                    }
                }
                if i % 500 == 499 { store.commit(engine) }
            }
            out.drain(engine)
            store.commit(engine)
            let restored = try store.restore()
            #expect(restored.userCount == engine.userCount)
            #expect(restored.openWindowCount == engine.openWindowCount)
            engine.flushAll()
            out.drain(engine)
            #expect(out.difference(from: Self.uninterrupted) == nil, "taking every ~\(takeEvery) events")
        }
    }

    @Test func restoreRefusesOtherSettings() throws {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "app.open", at: FT.noon))
        var store = CheckpointStore()
        store.commit(engine)
        var other = FeatureConfig()
        other.sessionGapMillis = 10 * FT.minute
        #expect(throws: RTMLError.self) { try store.restore(config: other) }
        #expect(throws: RTMLError.self) { try store.restore(embeddings: .hashing(dimensions: 32)) }
        _ = try store.restore()
    }

    @Test func restoreRefusesDamagedState() throws {
        let engine = FT.engine()
        _ = engine.process(FT.event("u1", "search", at: FT.noon, query: "sleep"))
        var store = CheckpointStore()
        store.commit(engine)
        var truncated = store
        truncated.users["u1"]!.removeLast()
        #expect(throws: RTMLError.self) { try truncated.restore() }
        var newer = store
        newer.global[0] = 99
        #expect(throws: RTMLError.self) { try newer.restore() }
        var orphan = store
        orphan.users = [:]
        #expect(throws: RTMLError.self) { try orphan.restore() }
    }

    @Test func windowsInsideUserStatesRestoreAndFinalLaterOnesAreSkipped() throws {
        let engine = FT.engine()
        engine.tracksDirtyWindows = false
        _ = engine.process(FT.event("u1", "search", at: FT.noon, query: "sleep"))
        _ = engine.process(FT.event("u2", "app.open", at: FT.noon + 7 * FT.minute))
        var store = CheckpointStore()
        store.windowsInStates = true
        store.commit(engine)
        #expect(try store.restore().openWindowCount == engine.openWindowCount)
        // u2 alone moves the watermark past u1's windows: u1's state is not rewritten.
        _ = engine.process(FT.event("u2", "app.open", at: FT.noon + 40 * FT.minute))
        store.commit(engine)
        #expect(store.users["u1"] != nil)
        let restored = try store.restore()
        #expect(restored.openWindowCount == engine.openWindowCount)
        #expect(engine.takeDirtyWindows().isEmpty, "not tracked when turned off")
        var truncated = store
        truncated.users["u1"]!.removeLast()
        #expect(throws: RTMLError.self) { try truncated.restore() }
    }
}

