import Foundation
import RTMLCore
import Testing

@Suite struct InteractionsTests {
    func event(_ user: String, _ name: String, _ ts: Int64, _ content: String, position: Double? = nil) -> StoredEvent {
        StoredEvent(userId: user, event: name, eventTs: ts, receivedAt: ts, messageId: "\(user)-\(ts)-\(name)",
                    contentId: content, category: "sleep", positionSec: position)
    }

    @Test func strengthsSplitAndHeldOutItemsFromAStore() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b in
            for (user, content) in [("a", "c1"), ("a", "c2"), ("b", "c3"), ("b", "c1")] {
                _ = try b.sequenceId(forUser: user)
                _ = try b.itemId(forContent: content)
            }
            // a: c1 started and completed (3), c2 started and bounced (0.25).
            try b.insertEvent(event("a", "content.start", 1_000, "c1"))
            try b.insertEvent(event("a", "content.complete", 2_000, "c1"))
            try b.insertEvent(event("a", "content.start", 3_000, "c2"))
            try b.insertEvent(event("a", "content.exit", 3_010, "c2", position: 10))
            // b: c3 started, exited late (no penalty) = 1; after the cut starts c1 (new) and c3 (seen).
            try b.insertEvent(event("b", "content.start", 4_000, "c3"))
            try b.insertEvent(event("b", "content.exit", 4_500, "c3", position: 300))
            try b.insertEvent(event("b", "content.start", 9_000, "c1"))
            try b.insertEvent(event("b", "content.start", 9_500, "c3"))
        }
        let data = try Interactions.load(from: store, split: .at(5_000))
        #expect(data.userCount == 2 && data.itemCount == 3)
        let entries = data.train.map { "\($0.user)-\($0.item)-\($0.strength)" }
        #expect(entries == ["0-0-3.0", "0-1-0.25", "1-2-1.0"])
        #expect(data.heldOut == [1: [0]])
        #expect(data.contentIds == ["c1", "c2", "c3"])
        #expect(data.cut == 5_000)
        #expect(data.itemPopularity() == [1, 1, 1])
    }

    @Test func aTableOfInteractionsNumbersUsersAndItemsByFirstAppearance() throws {
        let dir = TempDir()
        let path = dir.path("i.csv")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("user,item,w\nx,p,2\ny,q,1\nx,p,1\nx,q,1\ny,p,4\n".utf8)))
        let data = try Interactions.load(table: path, userColumn: "user", itemColumn: "item", strengthColumn: "w",
                                         timeColumn: nil, split: .lastFraction(0.2))
        // Five rows, file order is time: the last one (y,p) is the test period.
        #expect(data.contentIds == ["p", "q"])
        #expect(data.train.map { "\($0.user)-\($0.item)-\($0.strength)" } == ["0-0-3.0", "0-1-1.0", "1-1-1.0"])
        #expect(data.heldOut == [1: [0]])
        let bad = dir.path("b.csv")
        #expect(FileManager.default.createFile(atPath: bad, contents: Data("user,item\nx,\n".utf8)))
        #expect(throws: RTMLError.self) {
            try Interactions.load(table: bad, userColumn: "user", itemColumn: "item", strengthColumn: nil, timeColumn: nil, split: .lastFraction(0.2))
        }
    }
}
