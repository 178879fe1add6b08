import Foundation
import GRDB
@testable import RTMLCore
import Testing

/// A schema version 1 store (events in a table of their own) opened for writing.
@Suite struct StoreUpgradeTests {
    /// A version 1 store with two users' events, as an older rtml wrote it.
    func version1Store(_ path: String, pairUp: Bool = true) throws -> [StoredEvent] {
        let store = try FeatureStore.open(path: path)
        let events = [
            StoredEvent(userId: "u1", event: "event-1", eventTs: 10, receivedAt: 17, messageId: "m1", contentId: "c1", category: "sleep", durationSec: 60),
            StoredEvent(userId: "u2", event: "event-2", eventTs: 20, receivedAt: 27, messageId: "m2", positionSec: 3.5, rating: 4),
        ]
        try store.transaction { b throws in
            try b.insertHistory(sampleRow("u1", eventTs: 10, seed: 1), event: events[0])
            try b.insertHistory(sampleRow("u2", eventTs: 20, seed: 2), event: events[1])
            try b.insertHistory(sampleRow("u1", eventTs: 30, seed: 3))  // a row no event made
        }
        try store.close()
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: """
                DROP VIEW events;
                CREATE TABLE events (row_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, event TEXT NOT NULL,
                  event_ts INTEGER NOT NULL, received_at INTEGER NOT NULL, message_id TEXT NOT NULL, content_id TEXT,
                  category TEXT, duration_sec REAL, position_sec REAL, rating REAL);
                INSERT INTO events SELECT row_id, user_id, last_event, event_ts, updated_at, message_id, content_id,
                  category, duration_sec, position_sec, rating FROM feature_history WHERE message_id IS NOT NULL;
                ALTER TABLE feature_history DROP COLUMN message_id;
                ALTER TABLE feature_history DROP COLUMN content_id;
                ALTER TABLE feature_history DROP COLUMN category;
                ALTER TABLE feature_history DROP COLUMN duration_sec;
                ALTER TABLE feature_history DROP COLUMN position_sec;
                ALTER TABLE feature_history DROP COLUMN rating;
                UPDATE meta SET value = '1' WHERE key = 'schema_version';
                """)
            if !pairUp { try db.execute(sql: "UPDATE events SET event_ts = 11 WHERE message_id = 'm1'") }
        }
        try queue.close()
        return events
    }

    @Test func readersTakeItAsItIsAndAWriterUpgradesIt() throws {
        let dir = TempDir()
        let path = dir.path("v1.db")
        let events = try version1Store(path)

        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(reader.schemaVersion == 1)
        #expect(try reader.events(forUser: "u1") == [events[0]])
        try reader.close()

        let writer = try FeatureStore.open(path: path)
        #expect(writer.schemaVersion == 2)
        #expect(try writer.meta("schema_version") == "2")
        #expect(try writer.events(forUser: "u1") == [events[0]])
        #expect(try writer.events(forUser: "u2") == [events[1]])
        #expect(try writer.history(forUser: "u1").count == 2)
        let kind = try writer.read { db in try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = 'events'") }
        #expect(kind == "view")
        // It takes new events as any version 2 store does.
        let next = StoredEvent(userId: "u2", event: "event-4", eventTs: 40, receivedAt: 47, messageId: "m4")
        try writer.transaction { b throws in try b.insertHistory(sampleRow("u2", eventTs: 40, seed: 4), event: next) }
        #expect(try writer.events(forUser: "u2") == [events[1], next])
    }

    @Test func eventsThatDoNotPairWithHistoryRowsAreRefusedAndNothingChanges() throws {
        let dir = TempDir()
        let path = dir.path("v1.db")
        _ = try version1Store(path, pairUp: false)
        let error = rtmlError { _ = try FeatureStore.open(path: path) }
        #expect(error?.message.contains("1 rows of events have no matching feature_history row") == true, "\(String(describing: error))")
        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(reader.schemaVersion == 1)
        let kind = try reader.read { db in try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = 'events'") }
        #expect(kind == "table")
    }

    @Test func anEventMustBelongToItsHistoryRow() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        let other = StoredEvent(userId: "u9", event: "event-1", eventTs: 10, receivedAt: 17, messageId: "m1")
        let error = rtmlError { try store.transaction { b throws in try b.insertHistory(sampleRow("u1", eventTs: 10, seed: 1), event: other) } }
        #expect(error?.message.contains("does not belong to the history row of user 'u1'") == true, "\(String(describing: error))")
    }
}
