import GRDB
@testable import RTMLCore
import Testing

@Suite struct FinalWindowsTests {
    static let windows = [
        WindowCount(userId: "u1", event: "content.complete", windowStart: 0, windowEnd: 600_000, count: 3),
        WindowCount(userId: "", event: "", windowStart: -600_000, windowEnd: 0, count: 0),
        WindowCount(userId: "ü-a-user-id-longer-than-fifteen-bytes", event: "search", windowStart: 300_000, windowEnd: 900_000, count: 1),
    ]

    @Test func windowsComeBackAsTheyWentIn() {
        let list = FinalWindows(Self.windows)
        #expect(list.count == 3)
        #expect(list.windowCounts == Self.windows)
        #expect(FinalWindows().windowCounts.isEmpty)
    }

    @Test func theStoreWritesTheListAsItWritesWindowCounts() throws {
        let dir = TempDir()
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b throws in try b.insertWindows(FinalWindows(Self.windows)) }
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT user_id, event, window_start, window_end, n FROM user_windows ORDER BY window_start")
        }
        #expect(rows.map { WindowCount(userId: $0[0], event: $0[1], windowStart: $0[2], windowEnd: $0[3], count: $0[4]) }
            == [Self.windows[1], Self.windows[0], Self.windows[2]])
        #expect(rows[0]["user_id"] as String? == "", "an empty id is stored as '', not NULL")
    }
}
