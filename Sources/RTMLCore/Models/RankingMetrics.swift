import Foundation

/// Top-k ranking quality of recommendations against held-out items.
///
/// For one user with recommended list L (best first, |L| ≤ k used) and relevant
/// set T (|T| ≥ 1), with hit_r = 1 when L[r] ∈ T (r = 1-based rank):
///
/// - precision@k = Σ hit_r / k
/// - recall@k = Σ hit_r / min(k, |T|): chosen over Σ hit_r / |T| so that a perfect
///   list scores 1 even when the user has more than k relevant items (the form
///   `implicit`'s `precision_at_k` reports).
/// - NDCG@k = DCG / IDCG, DCG = Σ_{r ≤ k} hit_r / log₂(r + 1),
///   IDCG = Σ_{r ≤ min(k, |T|)} 1 / log₂(r + 1) (binary relevance).
/// - MAP@k: the mean of AP@k = Σ_{r ≤ k} hit_r·precision@r / min(k, |T|).
///
/// Each is averaged over users with at least one relevant item.
public struct RankingMetrics: Sendable, Equatable, Codable {
    public var k: Int
    public var precision: Double
    public var recall: Double
    public var ndcg: Double
    public var map: Double
    /// Users that had at least one relevant item and were scored.
    public var users: Int

    public init(k: Int, precision: Double, recall: Double, ndcg: Double, map: Double, users: Int) {
        self.k = k
        self.precision = precision
        self.recall = recall
        self.ndcg = ndcg
        self.map = map
        self.users = users
    }

    /// The four metrics for one user's list.
    public static func user(recommended: [Int], relevant: Set<Int>, k: Int) -> RankingMetrics {
        precondition(k > 0 && !relevant.isEmpty, "k must be > 0 and the relevant set non-empty")
        let ideal = min(k, relevant.count)
        var hits = 0, dcg = 0.0, precisionSum = 0.0
        for (r, item) in recommended.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(r + 2))
            precisionSum += Double(hits) / Double(r + 1)
        }
        var idcg = 0.0
        for r in 0..<ideal { idcg += 1 / log2(Double(r + 2)) }
        return RankingMetrics(k: k, precision: Double(hits) / Double(k), recall: Double(hits) / Double(ideal),
                              ndcg: dcg / idcg, map: precisionSum / Double(ideal), users: 1)
    }

    /// Means over every user with held-out items in `test` (rows are users, columns items).
    /// `recommend(user, k)` returns that user's list, best first.
    public static func evaluate(k: Int, test: SparseInteractions, recommend: (Int, Int) -> [Int]) -> RankingMetrics {
        var each: [RankingMetrics] = []
        for user in 0..<test.rowCount {
            let relevant = Set(test.row(user).columns.map { Int($0) })
            if relevant.isEmpty { continue }
            each.append(RankingMetrics.user(recommended: recommend(user, k), relevant: relevant, k: k))
        }
        return mean(k: k, each)
    }

    /// The mean of per-user metrics; `users` counts them (zeros when there are none).
    public static func mean(k: Int, _ each: some Sequence<RankingMetrics>) -> RankingMetrics {
        var total = RankingMetrics(k: k, precision: 0, recall: 0, ndcg: 0, map: 0, users: 0)
        for one in each {
            total.precision += one.precision
            total.recall += one.recall
            total.ndcg += one.ndcg
            total.map += one.map
            total.users += 1
        }
        if total.users > 0 {
            let n = Double(total.users)
            total.precision /= n
            total.recall /= n
            total.ndcg /= n
            total.map /= n
        }
        return total
    }
}

/// The baseline every recommender must beat: the most-interacted items overall.
public struct PopularityRecommender: Sendable {
    /// Interactions per item in the training split (stored entries, weights ignored).
    public let counts: [Int]

    public init(training userItems: SparseInteractions) {
        var counts = [Int](repeating: 0, count: userItems.columnCount)
        for item in userItems.columnIndices { counts[Int(item)] += 1 }
        self.counts = counts
    }

    /// The `count` most popular items not in `excluding`, most popular first; ties go to the lower index.
    public func recommend(count: Int, excluding: Set<Int> = []) -> [Int] {
        TopK.select(count, from: counts.count, excluding: excluding) { Float(counts[$0]) }
    }
}
