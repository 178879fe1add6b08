import GRDB

/// How good the served recommendations were, judged by what each user
/// actually started next.
///
/// For a prediction for user u as of event time t, the relevant item is the
/// content of u's first `content.start` with event time > t in the replayed
/// events (only later events count, so nothing leaks from the future into the
/// judgement of the past; predictions whose user starts nothing later are left
/// out). With one relevant item, recall@k is the hit rate and NDCG@k is
/// 1 / log₂(rank + 1) of the hit (`RankingMetrics`). Means are over predictions.
public struct ReplayQuality: Sendable {
    public struct Row: Sendable {
        public var name: String
        public var metrics: RankingMetrics
    }

    /// Each user's starts, in event time order.
    private var starts: [String: [(time: Int64, item: String)]] = [:]

    /// Reads the `content.start` events of a store (the replay's working store holds exactly the replayed day).
    public init(store: FeatureStore) throws {
        try store.read { db in
            let rows = try Row_.fetchCursor(db, sql: "SELECT user_id, event_ts, content_id FROM events WHERE event = 'content.start' AND content_id IS NOT NULL ORDER BY event_ts, row_id")
            while let row = try rows.next() {
                starts[row[0] as String, default: []].append((row[1], row[2]))
            }
        }
    }

    public init(starts list: [(userId: String, time: Int64, item: String)]) {
        for s in list.sorted(by: { $0.time < $1.time }) { starts[s.userId, default: []].append((s.time, s.item)) }
    }

    /// The item u started next after t, if any.
    public func nextStart(user: String, after time: Int64) -> String? {
        guard let list = starts[user] else { return nil }
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].time <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo < list.count ? list[lo].item : nil
    }

    /// Recall@k and NDCG@k (and precision, MAP) of one set of served lists.
    public func evaluate(name: String, k: Int, _ served: [(userId: String, eventTime: Int64, items: [String])]) -> Row {
        let total = RankingMetrics.mean(k: k, served.lazy.compactMap { s -> RankingMetrics? in
            guard let next = nextStart(user: s.userId, after: s.eventTime) else { return nil }
            let ranked = s.items.prefix(k).map { $0 == next ? 1 : 0 }
            return RankingMetrics.user(recommended: ranked, relevant: [1], k: k)
        })
        return Row(name: name, metrics: total)
    }
}

private typealias Row_ = GRDB.Row
