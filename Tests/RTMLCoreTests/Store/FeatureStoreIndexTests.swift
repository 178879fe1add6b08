import Foundation
import GRDB
import RTMLCore
import Testing

/// The read index of `feature_history` (and so of the `events` view): absent while a
/// store is written, built on demand, and never a matter of correctness.
@Suite struct FeatureStoreIndexTests {
    @Test func readsAreTheSameWithAndWithoutTheReadIndexes() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        #expect(try store.readIndexes().isEmpty)
        try store.transaction { b throws in
            for i in 0..<40 {
                let user = "u\(i % 3)"
                let t = Int64((i * 37) % 50)
                let row = sampleRow(user, eventTs: t, seed: Int64(i), vector: i % 4 == 0 ? [Float(i)] : [1])
                // Every other row with the event that made it, so the events view has rows of its own to read.
                try b.insertHistory(row, event: i % 2 == 0 ? StoredEvent(
                    userId: user, event: "event-\(i)", eventTs: t, receivedAt: row.updatedAt, messageId: "m\(i)",
                    contentId: "c\(i % 5)", category: nil, durationSec: Double(i), positionSec: nil, rating: nil) : nil)
            }
        }
        func reads() throws -> [String] {
            var out: [String] = []
            for user in ["u0", "u1", "u2", "nobody"] {
                for t in stride(from: Int64(-1), through: 51, by: 4) {
                    out.append("\(user)@\(t): \(String(describing: try store.historyAsOf(userId: user, time: t)))")
                }
                out.append("\(try store.history(forUser: user))")
                out.append("\(try store.events(forUser: user))")
            }
            return out
        }
        let scanned = try reads()
        try store.buildReadIndexes()
        #expect(try store.readIndexes() == ["feature_history_user_time"])
        #expect(try store.hasReadIndexes())
        let plan = try store.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT * FROM feature_history WHERE user_id = 'u1' AND event_ts <= 9
                ORDER BY event_ts DESC, row_id DESC LIMIT 1
                """).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.joined().contains("feature_history_user_time"), "\(plan)")
        let eventsPlan = try store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM events WHERE user_id = 'u1' ORDER BY event_ts, row_id")
                .map { $0["detail"] as String? ?? "" }
        }
        #expect(eventsPlan.joined().contains("feature_history_user_time"), "\(eventsPlan)")
        #expect(try reads() == scanned)
        try store.buildReadIndexes()  // idempotent
        try store.dropReadIndexes()
        #expect(try store.readIndexes().isEmpty)
        #expect(try reads() == scanned)
    }

    @Test func aReadOnlyStoreCannotBuildThem() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        try FeatureStore.open(path: path).close()
        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(rtmlError { try reader.buildReadIndexes() } != nil)
    }
}
