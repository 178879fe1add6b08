import Foundation

/// Fits implicit-feedback ALS on a store's interactions split by time and
/// scores its top-k lists on the later period beside the popularity
/// baseline computed on the same split (items by training interactions,
/// each user's already-seen items excluded from both lists).
public struct ALSTraining {
    public var als: ImplicitALS
    public var k: Int
    public var progress: ((Int, Double) -> Void)?

    public init(als: ImplicitALS, k: Int = 10, progress: ((Int, Double) -> Void)? = nil) {
        self.als = als
        self.k = k
        self.progress = progress
    }

    public func run(_ data: Interactions) throws -> TrainedModel {
        guard !data.train.isEmpty else { throw RTMLError("no interactions before the split: nothing to train on") }
        let userItems = SparseInteractions(
            rowCount: data.userCount, columnCount: data.itemCount,
            rows: data.train.map { Int($0.user) }, columns: data.train.map { Int($0.item) },
            values: data.train.map(\.strength))
        let started = Monotonic.now()
        let model = try als.fit(userItems, progress: progress)
        let fitSeconds = Monotonic.now() - started
        var seen: [Int32: Set<Int>] = [:]
        for e in data.train { seen[e.user, default: []].insert(Int(e.item)) }
        var heldRows: [Int] = []
        var heldColumns: [Int] = []
        for (user, items) in data.heldOut {
            for item in items {
                heldRows.append(Int(user))
                heldColumns.append(Int(item))
            }
        }
        let test = SparseInteractions(
            rowCount: data.userCount, columnCount: data.itemCount, rows: heldRows, columns: heldColumns,
            values: [Float](repeating: 1, count: heldRows.count))
        let popularity = PopularityRecommender(training: userItems)
        let modelMetrics = RankingMetrics.evaluate(k: k, test: test) { user, k in
            model.recommend(user: user, count: k, excluding: seen[Int32(user)] ?? []).map(\.item)
        }
        let popularMetrics = RankingMetrics.evaluate(k: k, test: test) { user, k in
            popularity.recommend(count: k, excluding: seen[Int32(user)] ?? [])
        }
        var metrics: [(String, JSONValue)] = [
            ("interactions_train", .int(data.train.count)), ("users", .int(data.userCount)), ("items", .int(data.itemCount)),
            ("test_users", .int(modelMetrics.users)), ("k", .int(k)),
            ("fit_seconds", .double(fitSeconds)),
            ("seconds_per_iteration", .double(als.iterations > 0 ? fitSeconds / Double(als.iterations) : 0)),
        ]
        for (prefix, m) in [("", modelMetrics), ("baseline_", popularMetrics)] {
            metrics += [
                ("\(prefix)recall_at_\(k)", .double(m.recall)), ("\(prefix)precision_at_\(k)", .double(m.precision)),
                ("\(prefix)ndcg_at_\(k)", .double(m.ndcg)), ("\(prefix)map_at_\(k)", .double(m.map)),
            ]
        }
        var trained = TrainedModel(
            kind: "als",
            params: [("factors", .int(als.factors)), ("iterations", .int(als.iterations)),
                     ("regularization", .double(als.regularization)), ("alpha", .double(als.alpha)),
                     ("seed", .uint(als.seed)), ("cg_steps", als.conjugateGradientSteps.map { .int($0) } ?? .null),
                     ("weights", .string("start +1, complete +2, bounce -0.75"))],
            metrics: metrics,
            modelJSON: .object([
                ("factors", .int(als.factors)), ("users", .int(data.userCount)), ("items", .int(data.itemCount)),
                ("indexed_by", .string("sequence_ids.seq_id (users), item_ids.seq_id (items)")),
                ("item_ids", .array(data.contentIds.map { $0.map(JSONValue.string) ?? .null })),
                ("item_categories", .array(data.categories.map { $0.map(JSONValue.string) ?? .null })),
            ]),
            inputs: [.init("user_seq_id", .long)], outputs: [.init("items", .string), .init("scores", .float)])
        trained.arrays = [
            WeightArray(name: "user_factors", shape: [data.userCount, als.factors], float32: model.userFactors),
            WeightArray(name: "item_factors", shape: [data.itemCount, als.factors], float32: model.itemFactors),
            WeightArray(name: "popularity", shape: [data.itemCount], float32: data.itemPopularity()),
        ]
        trained.trainFrom = data.firstTime
        trained.trainTo = data.lastTrainTime
        trained.testFrom = data.cut
        trained.summary = [
            "als: \(data.train.count) training interactions, \(data.userCount) users x \(data.itemCount) items, \(als.factors) factors, \(als.iterations) iterations in \(fmt(fitSeconds)) s",
            "  on \(modelMetrics.users) test users, k=\(k):  model  recall \(fmt(modelMetrics.recall))  precision \(fmt(modelMetrics.precision))  ndcg \(fmt(modelMetrics.ndcg))  map \(fmt(modelMetrics.map))",
            "                          popularity  recall \(fmt(popularMetrics.recall))  precision \(fmt(popularMetrics.precision))  ndcg \(fmt(popularMetrics.ndcg))  map \(fmt(popularMetrics.map))",
        ]
        return trained
    }
}
