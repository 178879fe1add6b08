import Foundation
import GRDB
import RTMLCore
import Testing

/// The read indexes of `feature_history` and `events`: absent while a
/// store is written, built on demand, and never a matter of correctness.
@Suite struct FeatureStoreIndexTests {
    @Test func readsAreTheSameWithAndWithoutTheReadIndexes() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        #expect(try store.readIndexes().isEmpty)
        try store.transaction { b throws in
            for i in 0..<40 {
                let user = "u\(i % 3)"
                try b.insertHistory(sampleRow(user, eventTs: Int64((i * 37) % 50), seed: Int64(i), vector: i % 4 == 0 ? [Float(i)] : [1]))
                try b.insertEvent(StoredEvent(
                    userId: user, event: "app.open", eventTs: Int64((i * 37) % 50), receivedAt: Int64(i), messageId: "m\(i)",
                    contentId: nil, category: nil, durationSec: nil, positionSec: nil, rating: nil))
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
        #expect(try store.readIndexes() == ["events_user_time", "feature_history_user_time"])
        #expect(try store.hasReadIndexes())
        let plan = try store.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT * FROM feature_history WHERE user_id = 'u1' AND event_ts <= 9
                ORDER BY event_ts DESC, row_id DESC LIMIT 1
                """).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.joined().contains("feature_history_user_time"), "\(plan)")
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
