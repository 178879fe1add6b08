import Foundation
import GRDB
import RTMLCore
import Testing

@Suite struct FeatureStoreTests {
    @Test func createThenReopenKeepsStoreIdAndMeta() throws {
        let dir = TempDir()
        let path = dir.path("blue.db")
        let store = try FeatureStore.open(path: path, mode: .mustCreate, color: "blue")
        let id = store.storeId
        #expect(UUID(uuidString: id) != nil)
        #expect(store.schemaVersion == FeatureStore.currentSchemaVersion)
        #expect(try store.meta("schema_version") == String(FeatureStore.currentSchemaVersion))
        #expect(try store.meta("color") == "blue")
        #expect(try store.meta("rtml_version") == RTMLVersion.string)
        let created = try #require(try store.meta("created_at"))
        #expect(created.count == 24 && created.hasSuffix("Z"))
        #expect(store.sequenceMapFingerprint == String(repeating: "0", count: 32))
        #expect(try store.meta("journal_mode") == nil)
        try store.close()

        let again = try FeatureStore.open(path: path, mode: .mustExist)
        #expect(again.storeId == id)
        #expect(try again.meta("created_at") == created)
        let mode = try again.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        try again.close()

        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(reader.storeId == id)
        try reader.close()
    }

    @Test func metaKeysRoundTripAndStoreKeysAreProtected() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.setMeta("feature_config", #"{"window":"10m"}"#)
        try store.setMeta("feature_config", #"{"window":"5m"}"#)
        try store.transaction { batch throws in try batch.setMeta("driver", "featurize") }
        #expect(try store.meta("feature_config") == #"{"window":"5m"}"#)
        #expect(try store.meta("missing") == nil)
        #expect(rtmlError { try store.setMeta("store_id", "x") }?.message.contains("kept by the store") == true)
        try store.close()
        let reader = try FeatureStore.openReadOnly(path: dir.path("s.db"))
        #expect(try reader.allMeta()["driver"] == "featurize")
        #expect(rtmlError { try reader.setMeta("a", "b") }?.message.contains("read-only") == true)
    }

    @Test func olderEventNeverOverwritesNewerAndEqualReplaces() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b throws in try b.upsertFeatures(sampleRow("u1", eventTs: 1_000, seed: 1)) }
        try store.transaction { b throws in try b.upsertFeatures(sampleRow("u1", eventTs: 999, seed: 2)) }
        #expect(try store.features(forUser: "u1") == sampleRow("u1", eventTs: 1_000, seed: 1))
        try store.transaction { b throws in try b.upsertFeatures(sampleRow("u1", eventTs: 1_000, seed: 3)) }
        #expect(try store.features(forUser: "u1") == sampleRow("u1", eventTs: 1_000, seed: 3))
        // Inside one batch too, and independent per user.
        try store.transaction { b throws in
            try b.upsertFeatures(sampleRow("u1", eventTs: 2_000, seed: 4))
            try b.upsertFeatures(sampleRow("u1", eventTs: 1_500, seed: 5))
            try b.upsertFeatures(sampleRow("u2", eventTs: 10, seed: 6, vector: nil))
        }
        #expect(try store.features(forUser: "u1") == sampleRow("u1", eventTs: 2_000, seed: 4))
        #expect(try store.features(forUser: "u2") == sampleRow("u2", eventTs: 10, seed: 6, vector: nil))
        #expect(try store.features(forUser: "nobody") == nil)
    }

    @Test func valuesOfEveryTypeRoundTrip() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        var row = sampleRow("ü ✓ 'quoted'", eventTs: 5, seed: 9, vector: [])
        row.values[FeatureSchema.columns.firstIndex { $0.type == .text }!] = .text("")
        row.values[FeatureSchema.columns.firstIndex { $0.type == .real }!] = .integer(3)  // stored as REAL
        try store.transaction { b throws in try b.upsertFeatures(row) }
        var expected = row
        expected.values[FeatureSchema.columns.firstIndex { $0.type == .real }!] = .real(3)
        #expect(try store.features(forUser: row.userId) == expected)

        var bad = sampleRow("u", eventTs: 1, seed: 1)
        bad.values[FeatureSchema.columns.firstIndex { $0.type == .integer }!] = .text("seven")
        let error = rtmlError { try store.transaction { b throws in try b.upsertFeatures(bad) } }
        #expect(error?.message.contains("is INTEGER, got text") == true)
        let short = FeatureRow(userId: "u", eventTs: 1, updatedAt: 1, values: [.null])
        #expect(rtmlError { try store.transaction { b throws in try b.insertHistory(short) } }?.message.contains("has 1 values") == true)
    }

    @Test func historyAsOfNeverLeaksALaterRowAndBreaksTiesByInsertion() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b throws in
            try b.insertHistory(sampleRow("u1", eventTs: 100, seed: 1))
            try b.insertHistory(sampleRow("u1", eventTs: 300, seed: 2))
            try b.insertHistory(sampleRow("u1", eventTs: 200, seed: 3))  // arrived late
            try b.insertHistory(sampleRow("u2", eventTs: 150, seed: 9))
        }
        try store.transaction { b throws in try b.insertHistory(sampleRow("u1", eventTs: 200, seed: 4)) }  // tie, inserted later

        #expect(try store.historyAsOf(userId: "u1", time: 99) == nil)
        #expect(try store.historyAsOf(userId: "u1", time: 100).flatMap(seedOf) == 1)
        #expect(try store.historyAsOf(userId: "u1", time: 199).flatMap(seedOf) == 1)
        #expect(try store.historyAsOf(userId: "u1", time: 200).flatMap(seedOf) == 4)
        #expect(try store.historyAsOf(userId: "u1", time: 299).flatMap(seedOf) == 4)
        #expect(try store.historyAsOf(userId: "u1", time: 300).flatMap(seedOf) == 2)
        #expect(try store.historyAsOf(userId: "u2", time: 149) == nil)
        #expect(try store.historyAsOf(userId: "u2", time: .max) == sampleRow("u2", eventTs: 150, seed: 9))
        #expect(try store.history(forUser: "u1").map(\.eventTs) == [100, 300, 200, 200])
    }

    @Test func vectorIsStoredOnlyWhenItChangesAndTheViewResolvesIt() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let a: [Float] = [1, 2, 3], b: [Float] = [1, 2, 3.5]
        let vectors: [[Float]?] = [a, a, b, nil, nil, b, b, [], []]
        var store = try FeatureStore.open(path: path)
        try store.transaction { batch throws in
            for (i, v) in vectors.prefix(5).enumerated() {
                try batch.insertHistory(sampleRow("u1", eventTs: Int64(i), seed: Int64(i), vector: v))
                try batch.insertHistory(sampleRow("u2", eventTs: Int64(i), seed: Int64(i), vector: [9]))
            }
        }
        // A new instance must pick up where the last one left the user's vector.
        try store.close()
        store = try FeatureStore.open(path: path)
        try store.transaction { batch throws in
            for (i, v) in vectors.enumerated().dropFirst(5) {
                try batch.insertHistory(sampleRow("u1", eventTs: Int64(i), seed: Int64(i), vector: v))
            }
        }
        try store.transaction { batch throws in try batch.insertHistory(sampleRow("u2", eventTs: 99, seed: 99, vector: [9])) }

        let column = FeatureSchema.columns[vectorColumnIndex].name
        let stored = try store.read { db in
            try Row.fetchAll(
                db, sql: "SELECT row_id, \(column) IS NOT NULL, \(column)_row FROM feature_history WHERE user_id = 'u1' ORDER BY row_id")
        }
        let rowIds: [Int64] = stored.map { $0[0] }
        #expect(stored.map { $0[1] as Bool } == [true, false, true, false, false, true, false, true, false])
        let pointers: [Int64?] = stored.map { $0[2] }
        #expect(pointers == [rowIds[0], rowIds[0], rowIds[2], nil, nil, rowIds[5], rowIds[5], rowIds[7], rowIds[7]])
        let u2Stored = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_history WHERE user_id = 'u2' AND \(column) IS NOT NULL")
        }
        #expect(u2Stored == 1)

        let resolved = try store.history(forUser: "u1").map { row -> [Float]? in
            if case .vector(let v) = row.values[vectorColumnIndex] { return v }
            return nil
        }
        #expect(resolved == vectors)
        #expect(try store.historyAsOf(userId: "u1", time: 6) == sampleRow("u1", eventTs: 6, seed: 6, vector: b))
        let viewCount = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_history_full") }
        #expect(viewCount == 15)
    }

    @Test func windowsAreAppendOnly() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        let w1 = WindowCount(userId: "u1", event: "search", windowStart: 0, windowEnd: 600_000, count: 3)
        let w2 = WindowCount(userId: "u1", event: "app.open", windowStart: 300_000, windowEnd: 900_000, count: 1)
        try store.transaction { b throws in
            try b.insertWindow(w1)
            try b.insertWindow(w2)
        }
        #expect(try store.windows(forUser: "u1") == [w2, w1])
        var again = w1
        again.count = 4
        let error = rtmlError { try store.transaction { b throws in try b.insertWindow(again) } }
        #expect(error?.message.contains("user_windows") == true)
        #expect(try store.windows(forUser: "u1") == [w2, w1])
    }

    @Test func eventsRoundTripInEventTimeOrder() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        let late = StoredEvent(
            userId: "u1", event: "content.complete", eventTs: 50, receivedAt: 900, messageId: "m2",
            contentId: "c1", category: "sleep", durationSec: nil, positionSec: 12.5, rating: 4)
        var decoded = FeatureEvent(userId: "u1", event: "content.start", eventTime: 100, receivedAt: 101, messageId: "m1")
        decoded.contentId = "c1"
        decoded.category = .sleep
        decoded.durationSec = 600
        try store.transaction { b throws in
            try b.insertEvent(StoredEvent(decoded))
            try b.insertEvent(late)
        }
        let events = try store.events(forUser: "u1")
        #expect(events == [late, StoredEvent(userId: "u1", event: "content.start", eventTs: 100, receivedAt: 101, messageId: "m1", contentId: "c1", category: "sleep", durationSec: 600)])
    }

    @Test func checkpointAndStateRoundTrip() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path)
        #expect(try store.checkpoint("position") == nil)
        try store.transaction { b throws in
            try b.setCheckpoint("position", [1, 2, 3, 0, 255])
            try b.setCheckpoint("empty", [])
            try b.putUserState("u2", [7])
            try b.putUserState("u1", [8, 9])
            try b.putUserState("u3", [])
            try b.putWindowState(userId: "u1", event: "search", windowStart: 600, count: 1)
            try b.putWindowState(userId: "u1", event: "search", windowStart: 0, count: 2)
            try b.putWindowState(userId: "u1", event: "app.open", windowStart: 0, count: 5)
        }
        try store.transaction { b throws in
            try b.setCheckpoint("position", [4])
            try b.putUserState("u2", nil)
            try b.putUserState("u3", [1])
            try b.putWindowState(userId: "u1", event: "search", windowStart: 0, count: 3)
            try b.putWindowState(userId: "u1", event: "app.open", windowStart: 0, count: nil)
        }
        try store.close()
        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(try reader.checkpoint("position") == [4])
        #expect(try reader.checkpoint("empty") == [])
        let users = try reader.allUserStates()
        #expect(users.map(\.0) == ["u1", "u3"])
        #expect(users.map(\.1) == [[8, 9], [1]])
        let windows = try reader.allWindowStates()
        #expect(windows.map { "\($0.userId) \($0.event) \($0.windowStart) \($0.count)" } == ["u1 search 0 3", "u1 search 600 1"])
    }

    @Test func newestPredictionPerUserAndModelWins() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        func p(_ at: Int64, _ version: Int64) -> StoredPrediction {
            StoredPrediction(userId: "u1", model: "recs", version: version, jobId: "j\(at)", itemsJSON: "[]", coldStart: at == 5, eventTime: nil, predictedAt: at)
        }
        try store.transaction { b throws in
            try b.upsertPrediction(p(10, 1))
            try b.upsertPrediction(p(5, 2))
        }
        #expect(try store.prediction(forUser: "u1", model: "recs") == p(10, 1))
        try store.transaction { b throws in try b.upsertPrediction(p(10, 3)) }
        #expect(try store.prediction(forUser: "u1", model: "recs") == p(10, 3))
        #expect(try store.prediction(forUser: "u1", model: "other") == nil)
    }

    @Test func aBatchIsUnusableAfterItsTransaction() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        var kept: FeatureStore.Batch?
        try store.transaction { b throws in kept = b }
        #expect(rtmlError { try kept!.setCheckpoint("k", [1]) }?.message.contains("after its transaction") == true)
        // Reading through the store inside its own transaction is refused, not a deadlock.
        let error = rtmlError { try store.transaction { _ throws in _ = try store.meta("store_id") } }
        #expect(error?.message.contains("inside its own transaction") == true)
        try store.close()
        #expect(rtmlError { _ = try store.meta("store_id") }?.message.contains("closed") == true)
    }
}
