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

    init(itemIndex: [String: Int32], keepMillis: Int64) {
        self.itemIndex = itemIndex
        self.keepMillis = keepMillis
    }

    /// Reads the completes added since the last refresh.
    func refresh(_ db: Database) throws {
        guard keepMillis > 0 else { return }
        let rows = try Row.fetchCursor(
            db, sql: "SELECT row_id, user_id, content_id, event_ts FROM events WHERE row_id > ? AND event = 'content.complete' ORDER BY row_id",
            arguments: [lastRowId])
        while let row = try rows.next() {
            lastRowId = row[0]
            guard let content: String = row[2], let item = itemIndex[content] else { continue }
            let ts: Int64 = row[3]
            byUser[row[1], default: []].append((Int(item), ts))
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
