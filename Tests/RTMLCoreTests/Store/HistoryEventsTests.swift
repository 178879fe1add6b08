import Foundation
import GRDB
@testable import RTMLCore
import Testing

@Suite struct HistoryEventsTests {
    static let events = [
        StoredEvent(userId: "u1", event: "content.complete", eventTs: 10, receivedAt: 17, messageId: "m-0001-long-enough-for-the-heap",
                    contentId: "c1", category: "sleep", durationSec: 60, positionSec: 0, rating: -1.5),
        StoredEvent(userId: "ü-2", event: "search", eventTs: 20, receivedAt: 20, messageId: ""),
        StoredEvent(userId: "", event: "", eventTs: -5, receivedAt: 0, messageId: "m3", contentId: "", category: ""),
    ]

    @Test func eventsComeBackAsTheyWentIn() {
        var packed = HistoryEvents()
        for e in Self.events { packed.append(e) }
        #expect(packed.count == 3)
        #expect((0..<3).map { packed[$0] } == Self.events, "NULL stays NULL, an empty string stays empty")
    }

    @Test func aDecodedEventIsStoredAsStoredEventKeepsIt() {
        var event = FeatureEvent(userId: "u7", event: "content.exit", eventTime: 5, receivedAt: 9, messageId: "m7")
        event.contentId = "c9"
        event.category = .meditate
        event.positionSec = 12.5
        var packed = HistoryEvents()
        packed.append(event)
        #expect(packed[0] == StoredEvent(event))
    }

    @Test func theBufferFormWritesWhatRowByRowInsertsWrite() throws {
        let dir = TempDir()
        let rows = Self.events.map { e in
            var row = sampleRow(e.userId, eventTs: e.eventTs, seed: e.eventTs)
            row.updatedAt = e.receivedAt
            row.values[StoreSchema.lastEventIndex] = .text(e.event)
            return row
        }
        let one = try FeatureStore.open(path: dir.path("one.db"))
        try one.transaction { b throws in
            for (row, e) in zip(rows, Self.events) { try b.insertHistory(row, event: e) }
        }
        let all = try FeatureStore.open(path: dir.path("all.db"))
        var packed = HistoryEvents()
        for e in Self.events { packed.append(e) }
        let packedRows = try rows.map { try PackedFeatureRow(validating: $0, context: "t") }
        try all.transaction { b throws in
            try packedRows.withUnsafeBufferPointer { try b.insertHistory($0, events: packed) }
        }
        let sql = "SELECT * FROM feature_history ORDER BY row_id"
        let a = try one.read { db in try Row.fetchAll(db, sql: sql) }
        let b = try all.read { db in try Row.fetchAll(db, sql: sql) }
        #expect(a.count == 3)
        #expect(a == b)
        let view = try all.read { db in try Row.fetchAll(db, sql: "SELECT user_id, event, message_id, content_id, category FROM events ORDER BY event_ts") }
        #expect(view.map { $0[1] as String } == ["", "content.complete", "search"])
        #expect(view[0][3] as String? == "", "an empty content id is not NULL")
        #expect(view[2][3] as String? == nil)
    }

    @Test func anEventOfAnotherTimeOrNameIsRefused() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        let row = sampleRow("u1", eventTs: 10, seed: 1)  // last_event "event-1", updatedAt 17
        let otherName = StoredEvent(userId: "u1", event: "event-2", eventTs: 10, receivedAt: 17, messageId: "m1")
        #expect(rtmlError { try store.transaction { b throws in try b.insertHistory(row, event: otherName) } }?
            .message.contains("does not belong to the history row of user 'u1' at 10") == true)
        var packed = HistoryEvents()
        packed.append(StoredEvent(userId: "u1", event: "event-1", eventTs: 11, receivedAt: 17, messageId: "m1"))
        let rows = [try PackedFeatureRow(validating: row, context: "t")]
        #expect(rtmlError { try store.transaction { b throws in try rows.withUnsafeBufferPointer { try b.insertHistory($0, events: packed) } } }?
            .message.contains("event m1 (user 'u1', time 11, event-1) does not belong") == true)
    }
}
