import Foundation
import GRDB
import RTMLCore
import Testing

@Suite struct FeatureStoreIdTests {
    @Test func idsAreDenseAssignedOnFirstAppearanceAndSurviveReopen() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        var store = try FeatureStore.open(path: path)
        try store.transaction { b throws in
            #expect(try b.sequenceId(forUser: "a") == 0)
            #expect(try b.sequenceId(forUser: "b") == 1)
            #expect(try b.sequenceId(forUser: "a") == 0)
            #expect(try b.itemId(forContent: "c9") == 0)
            #expect(try b.itemId(forContent: "c1") == 1)
        }
        let fingerprint = store.sequenceMapFingerprint
        #expect(fingerprint != String(repeating: "0", count: 32))
        #expect(try store.meta("sequence_map_fingerprint") == fingerprint)
        #expect(try store.recomputeSequenceMapFingerprint() == fingerprint)
        try store.close()

        store = try FeatureStore.open(path: path)
        #expect(store.sequenceMapFingerprint == fingerprint)
        try store.transaction { b throws in
            #expect(try b.sequenceId(forUser: "b") == 1)
            #expect(try b.sequenceId(forUser: "c") == 2)
            #expect(try b.itemId(forContent: "c9") == 0)
        }
        #expect(try store.sequenceId(forUser: "c") == 2)
        #expect(try store.sequenceId(forUser: "zz") == nil)
        #expect(try store.itemId(forContent: "c1") == 1)
        #expect(try store.meta("sequence_map_fingerprint") == store.sequenceMapFingerprint)
        #expect(try store.recomputeSequenceMapFingerprint() == store.sequenceMapFingerprint)
    }

    @Test func equalMappingsHaveEqualFingerprintsWhateverTheOrder() throws {
        var one = SequenceMapFingerprint()
        var two = SequenceMapFingerprint()
        let entries: [(SequenceMapFingerprint.Kind, String, Int64)] = [(.user, "a", 0), (.user, "b", 1), (.item, "a", 0), (.item, "x", 1)]
        for e in entries { one.add(kind: e.0, key: e.1, seqId: e.2) }
        for e in entries.reversed() { two.add(kind: e.0, key: e.1, seqId: e.2) }
        #expect(one == two)
        #expect(one.hex.count == 32)

        // Through stores: users and items interleaved differently, same mapping.
        let dir = TempDir()
        let first = try FeatureStore.open(path: dir.path("1.db"))
        try first.transaction { b throws in
            _ = try b.sequenceId(forUser: "u1")
            _ = try b.itemId(forContent: "c1")
            _ = try b.sequenceId(forUser: "u2")
        }
        let second = try FeatureStore.open(path: dir.path("2.db"))
        try second.transaction { b throws in _ = try b.itemId(forContent: "c1") }
        try second.transaction { b throws in
            _ = try b.sequenceId(forUser: "u1")
            _ = try b.sequenceId(forUser: "u2")
        }
        #expect(first.sequenceMapFingerprint == second.sequenceMapFingerprint)

        // One user remapped: u2 first, so u1 and u2 swap ids.
        let third = try FeatureStore.open(path: dir.path("3.db"))
        try third.transaction { b throws in
            _ = try b.sequenceId(forUser: "u2")
            _ = try b.sequenceId(forUser: "u1")
            _ = try b.itemId(forContent: "c1")
        }
        #expect(third.sequenceMapFingerprint != first.sequenceMapFingerprint)
    }

    /// The value docs/store.md's Python recomputation gives for this mapping:
    /// the algorithm is a contract with other tools and must not change.
    @Test func theFingerprintIsTheDocumentedOne() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b throws in
            _ = try b.sequenceId(forUser: "a")
            _ = try b.itemId(forContent: "c1")
            _ = try b.sequenceId(forUser: "b")
        }
        #expect(store.sequenceMapFingerprint == "7529d094895db6390994be499a0bd599")
    }

    @Test func aMappingEditedByHandGetsItsFingerprintCorrected() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path)
        try store.transaction { b throws in
            _ = try b.sequenceId(forUser: "u1")
            _ = try b.sequenceId(forUser: "u2")
        }
        let before = store.sequenceMapFingerprint
        try store.close()

        let db = try DatabaseQueue(path: path)
        try db.write { try $0.execute(sql: "UPDATE sequence_ids SET seq_id = 7 WHERE user_id = 'u2'") }
        try db.close()

        let edited = try FeatureStore.open(path: path)
        #expect(try edited.recomputeSequenceMapFingerprint() != before)
        #expect(edited.sequenceMapFingerprint == before)  // meta is stale until the writer commits
        try edited.transaction { b throws in #expect(try b.sequenceId(forUser: "u3") == 8) }
        #expect(try edited.meta("sequence_map_fingerprint") == edited.recomputeSequenceMapFingerprint())
        #expect(edited.sequenceMapFingerprint == (try edited.recomputeSequenceMapFingerprint()))
    }

    struct Boom: Error {}

    @Test func aThrowingBodyPersistsNothingAndForgetsItsIds() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path)
        try store.transaction { b throws in
            _ = try b.sequenceId(forUser: "kept")
            try b.insertHistory(sampleRow("kept", eventTs: 1, seed: 1))
        }
        let fingerprint = store.sequenceMapFingerprint

        #expect(throws: Boom.self) {
            try store.transaction { b throws in
                #expect(try b.sequenceId(forUser: "lost") == 1)
                #expect(try b.itemId(forContent: "c-lost") == 0)
                try b.upsertFeatures(sampleRow("lost", eventTs: 1, seed: 1))
                try b.insertHistory(sampleRow("kept", eventTs: 2, seed: 2, vector: [4]))
                try b.insertEvent(StoredEvent(userId: "lost", event: "search", eventTs: 1, receivedAt: 1, messageId: "m"))
                try b.insertWindow(WindowCount(userId: "lost", event: "search", windowStart: 0, windowEnd: 1, count: 1))
                try b.setCheckpoint("position", [9])
                try b.putUserState("lost", [1])
                try b.setMeta("feature_config", "{}")
                throw Boom()
            }
        }
        #expect(store.sequenceMapFingerprint == fingerprint)
        #expect(try store.features(forUser: "lost") == nil)
        #expect(try store.sequenceId(forUser: "lost") == nil)
        #expect(try store.checkpoint("position") == nil)
        #expect(try store.meta("feature_config") == nil)
        #expect(try store.history(forUser: "kept").count == 1)
        let counts = try store.read { db in
            try ["events", "user_windows", "state_users", "item_ids"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") }
        }
        #expect(counts == [0, 0, 0, 0])

        // The next batch assigns the same ids the lost one did, and the
        // vector pointers are right again (the lost row's id is reused).
        try store.transaction { b throws in
            #expect(try b.itemId(forContent: "c-other") == 0)
            #expect(try b.sequenceId(forUser: "other") == 1)
            try b.insertHistory(sampleRow("kept", eventTs: 3, seed: 3))
        }
        #expect(try store.history(forUser: "kept").map(\.values) == [sampleRow("kept", eventTs: 1, seed: 1).values, sampleRow("kept", eventTs: 3, seed: 3).values])
        #expect(try store.meta("sequence_map_fingerprint") == store.recomputeSequenceMapFingerprint())
    }

    @Test func aRollbackInTheFirstBatchThatLoadedTheIdsLeavesThemConsistent() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let first = try FeatureStore.open(path: path)
        try first.transaction { b throws in _ = try b.sequenceId(forUser: "u0") }
        try first.close()
        let store = try FeatureStore.open(path: path)
        #expect(throws: Boom.self) {
            try store.transaction { b throws in
                #expect(try b.sequenceId(forUser: "u1") == 1)
                throw Boom()
            }
        }
        try store.transaction { b throws in
            #expect(try b.sequenceId(forUser: "u0") == 0)
            #expect(try b.sequenceId(forUser: "u2") == 1)
        }
        #expect(try store.recomputeSequenceMapFingerprint() == store.sequenceMapFingerprint)
    }
}
