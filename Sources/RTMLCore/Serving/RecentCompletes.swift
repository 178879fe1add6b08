import GRDB

/// Which content each user completed recently, kept in memory by tailing
/// the store's `events` table (append-only, in `row_id` order): each refresh
/// reads only the rows added since the last one, so it works on a store
/// that featurize is writing and needs no per-user index (a store being
/// written has none; docs/store.md "Read indexes").
final class RecentCompletes {
    private var lastRowId: Int64 = 0
    private var byUser: [String: [(item: Int, ts: Int64)]] = [:]
    private let itemIndex: [String: Int32]
    private let keepMillis: Int64
    private var newest: Int64 = .min
    private var rowsSincePrune = 0

    /// For error messages.
    private let storePath: String

    init(itemIndex: [String: Int32], keepMillis: Int64, storePath: String) {
        self.itemIndex = itemIndex
        self.keepMillis = keepMillis
        self.storePath = storePath
    }

    /// The tail query, prepared on the store's connection the first time.
    /// A raw statement: at start-up the whole table is read (a day holds
    /// ~120,000 completes among a million events), and decoding GRDB rows
    /// cost as much as SQLite's own scan.
    private var tail: RawStatement?

    /// Reads the completes added since the last refresh.
    func refresh(_ db: Database) throws {
        guard keepMillis > 0 else { return }
        if tail == nil {
            guard let connection = db.sqliteConnection else { throw RTMLError("the store is closed") }
            tail = try RawStatement(
                connection: connection,
                sql: "SELECT row_id, user_id, content_id, event_ts FROM events WHERE row_id > ? AND event = 'content.complete' ORDER BY row_id",
                path: storePath, table: "events", verb: "read")
        }
        let st = tail!
        defer { st.reset() }
        st.bind(1, lastRowId)
        while try st.step() {
            lastRowId = st.columnInt64(0)
            guard st.columnKind(2) != .null, let item = itemIndex[st.columnText(2)] else { continue }
            let ts = st.columnInt64(3)
            byUser[st.columnText(1), default: []].append((Int(item), ts))
            newest = max(newest, ts)
            rowsSincePrune += 1
        }
        if rowsSincePrune > 100_000 { prune() }
    }

    /// Items `user` completed in `[time − keep, time]`.
    func items(user: String, at time: Int64, into out: inout Set<Int>) {
        out.removeAll(keepingCapacity: true)
        guard let list = byUser[user] else { return }
        for (item, ts) in list where ts <= time && ts >= time - keepMillis { out.insert(item) }
    }

    /// Sets the score of every item `user` completed in `[time − keep, time]` to -inf
    /// (the same items as `items(user:at:into:)`, without building a set).
    func exclude(user: String, at time: Int64, in scores: UnsafeMutablePointer<Float>) {
        guard let list = byUser[user] else { return }
        for (item, ts) in list where ts <= time && ts >= time - keepMillis { scores[item] = -.infinity }
    }

    /// Forgets completes too old to matter for any job near the newest event
    /// (with an hour of slack for jobs that arrive late).
    private func prune() {
        rowsSincePrune = 0
        let horizon = newest - keepMillis - 3_600_000
        for (user, list) in byUser {
            let kept = list.filter { $0.ts >= horizon }
            if kept.isEmpty { byUser[user] = nil } else if kept.count != list.count { byUser[user] = kept }
        }
    }
}
