import Foundation
import GRDB

/// Serves prediction jobs: resolves the store (following `ACTIVE` for a
/// stores directory), reads each user's sequence id and online features,
/// scores with the ALS model, optionally re-weights by a next-category
/// model, and returns the top k items the user has not completed recently.
///
/// A user the model has no factors for (new since training, or without
/// training interactions) gets the popularity ranking, marked cold start;
/// the rerank applies to it too, so even a new user's list follows what
/// they are doing now.
public final class PredictionServer {
    public struct Options: Sendable {
        public var k = 10
        public var excludeRecentMillis: Int64 = 24 * 3_600_000
        public var allowStaleIds = false
        /// w in score' = max(score, 0) · (K · p)^w: 1 trusts the category
        /// model fully, 0 ignores it.
        public var rerankWeight: Double = 0.5
        /// Serve every user the popularity ranking (replay's baseline).
        public var popularityOnly = false
        /// Read the rerank's features as of the job's event time (`feature_history`,
        /// point in time) instead of the online row: replay's look-ahead-free judgement.
        public var featuresAsOfJob = false
        /// Set when the store is one shard of a store set (StoreSetServer):
        /// its sequence ids become the set's global ids, and the model is
        /// checked against the set's fingerprint.
        public var shard: ShardRouting?
        public init() {}
    }

    /// Why one job could not be served (it goes to the dead-letter file).
    public struct Failure: Error, Sendable, Equatable {
        public var reason: String
    }

    public let scorer: ALSScorer
    public let reranker: CategoryReranker?
    public let options: Options
    public let location: StoreLocation
    public private(set) var storePath = ""
    private var store: FeatureStore?
    private var recent: RecentCompletes?
    private let itemIndex: [String: Int32]
    /// Rerank class of each item's category, -1 when none.
    private let itemClass: [Int]
    private var scores: [Float] = []
    private var excluded: Set<Int> = []
    /// Item indices without a content id (never recommended).
    private let unnamed: [Int]
    private var inputBuffer: [Double] = []
    /// Per-job service time: the job's own store reads and scoring, in µs.
    public var serviceLatency = LatencyRecorder()
    /// Warnings for the summary (stale ids allowed, ...).
    public private(set) var notes: [String] = []

    public init(location: StoreLocation, scorer: ALSScorer, reranker: CategoryReranker?, options: Options) throws {
        self.location = location
        self.scorer = scorer
        self.reranker = reranker
        self.options = options
        var index: [String: Int32] = [:]
        for (i, id) in scorer.itemIds.enumerated() { if let id { index[id] = Int32(i) } }
        itemIndex = index
        unnamed = scorer.itemIds.indices.filter { scorer.itemIds[$0] == nil }
        if let reranker {
            var needed = Set(reranker.inputs.names.compactMap(FeatureSchema.index(of:)))
            needed.insert(FeatureSchema.index(of: "last_event")!)
            needed.insert(FeatureSchema.index(of: "last_event_ts")!)
            featureColumns = needed.sorted()
        } else {
            featureColumns = []
        }
        featureSQL = "SELECT " + featureColumns.map { StoreSchema.quoted(FeatureSchema.columns[$0].name) }.joined(separator: ", ")
            + " FROM features WHERE user_id = ?"
        itemClass = scorer.itemCategories.map { c in c.flatMap { reranker?.classes.firstIndex(of: $0) } ?? -1 }
        try ensureStore()
    }

    /// Opens the store the location names now, checking it fits the models;
    /// for a stores directory, switches when `ACTIVE` has changed.
    public func ensureStore() throws {
        let path = try location.currentPath()
        if store != nil, path == storePath { return }
        let opened = try FeatureStore.openReadOnly(path: path)
        reads = nil
        try Self.checkCompatibility(store: opened, path: options.shard?.setPath ?? path, scorer: scorer, reranker: reranker, allowStaleIds: options.allowStaleIds, notes: &notes,
                                    fingerprint: options.shard?.setFingerprint)
        store = opened
        storePath = path
        recent = RecentCompletes(itemIndex: itemIndex, keepMillis: options.excludeRecentMillis)
    }

    /// The checks before the first job (and by promote before a switch):
    /// the sequence-id fingerprints agree, and the store has every feature
    /// the rerank model reads.
    public static func checkCompatibility(
        store: FeatureStore, path: String, scorer: ALSScorer?, reranker: CategoryReranker?, allowStaleIds: Bool,
        notes: inout [String], fingerprint: String? = nil
    ) throws {
        if let scorer {
            let storePrint = try fingerprint ?? store.meta("sequence_map_fingerprint") ?? "none"
            let modelPrint = scorer.sequenceMapFingerprint ?? "none"
            if storePrint != modelPrint {
                let message = "model \(scorer.name)\(scorer.version.map { " version \($0)" } ?? "") was trained on sequence ids with fingerprint \(modelPrint), store \(path) has \(storePrint): users would get other users' recommendations"
                guard allowStaleIds else {
                    throw RTMLError(message + " (retrain on this store, or --allow-stale-ids)")
                }
                notes.append("warning: " + message + " (served anyway: --allow-stale-ids)")
            }
        }
        if let reranker {
            let columns = try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('features')") }
            let needed = Set(reranker.inputs.names.compactMap { FeatureSchema.index(of: $0) != nil ? $0 : nil })
            let missing = needed.subtracting(columns).sorted()
            if !missing.isEmpty {
                throw RTMLError("model \(reranker.name) needs features the store \(path) lacks: \(missing.joined(separator: ", "))")
            }
        }
    }

    /// Serves a batch in one read transaction (one consistent snapshot).
    /// A store that cannot be read fails every job of the batch, not the run.
    public func serve(_ jobs: [PredictionJob], now: () -> Int64) -> [Result<Prediction, Failure>] {
        do {
            try ensureStore()
            return try store!.read { db in
                try recent!.refresh(db)
                return try jobs.map { job in
                    let start = Monotonic.nanoseconds()
                    let result = try serveOne(job, db: db, now: now)
                    serviceLatency.record(microseconds: (Monotonic.nanoseconds() - start) / 1000)
                    return result
                }
            }
        } catch let error as RTMLError {
            return jobs.map { _ in .failure(Failure(reason: "store unreadable: \(error.message)")) }
        } catch {
            return jobs.map { _ in .failure(Failure(reason: "store unreadable: \(error)")) }
        }
    }

    /// The feature columns the rerank model reads (plus what its derived
    /// inputs need), not the whole row: the embedding alone is 256 bytes.
    private let featureColumns: [Int]
    private let featureSQL: String
    /// Reused per job; a stored property (not lazy) so that assigning an
    /// element mutates in place instead of copying the array each time.
    private var featureValues = [FeatureValue](repeating: .null, count: FeatureSchema.columns.count)

    /// Point reads through raw statements prepared once per store connection:
    /// GRDB's Row per job was most of a reranked job's time. Dropped before
    /// the store they belong to is (a statement must not outlive its connection).
    private var reads: (seq: RawStatement, features: RawStatement?)?

    private func prepareReads(_ db: Database) throws {
        guard reads == nil else { return }
        guard let c = db.sqliteConnection else { throw RTMLError("\(storePath): the store is closed") }
        let seq = try RawStatement(connection: c, sql: "SELECT seq_id FROM sequence_ids WHERE user_id = ?",
                                   path: storePath, table: "sequence_ids", verb: "read")
        let features = reranker == nil ? nil
            : try RawStatement(connection: c, sql: featureSQL, path: storePath, table: "features", verb: "read")
        reads = (seq, features)
    }

    private func sequenceId(_ userId: String) throws -> Int? {
        let st = reads!.seq
        defer { st.reset() }
        st.bind(1, userId)
        guard try st.step() else { return nil }
        let local = Int(st.columnInt64(0))
        return options.shard.map { GlobalSequenceIds.globalUser(local: local, partition: $0.partition, partitions: $0.partitions) } ?? local
    }

    private func features(_ userId: String) throws -> FeatureRow? {
        let st = reads!.features!
        defer { st.reset() }
        st.bind(1, userId)
        guard try st.step() else { return nil }
        for (n, k) in featureColumns.enumerated() {
            let column = Int32(n)
            switch st.columnKind(column) {
            case .null, .blob: featureValues[k] = .null
            case .integer:
                let v = st.columnInt64(column)
                featureValues[k] = FeatureSchema.columns[k].type == .real ? .real(Double(v)) : .integer(v)
            case .real:
                let v = st.columnDouble(column)
                if FeatureSchema.columns[k].type == .integer, let exact = Int64(exactly: v) {
                    featureValues[k] = .integer(exact)
                } else {
                    featureValues[k] = .real(v)
                }
            case .text: featureValues[k] = .text(st.columnText(column))
            }
        }
        return FeatureRow(userId: userId, eventTs: 0, updatedAt: 0, values: featureValues)
    }

    private static let historySQL = "SELECT user_id, "
        + FeatureSchema.columns.map { StoreSchema.quoted($0.name) }.joined(separator: ", ")
        + ", event_ts, updated_at FROM feature_history_full WHERE user_id = ? AND event_ts <= ? ORDER BY event_ts DESC, row_id DESC LIMIT 1"

    private func serveOne(_ job: PredictionJob, db: Database, now: () -> Int64) throws -> Result<Prediction, Failure> {
        try prepareReads(db)
        let seq = try sequenceId(job.userId)
        let cold = options.popularityOnly || !(seq.map { scorer.knows(user: $0) } ?? false)
        if cold {
            scorer.popularityScores(into: &scores)
        } else {
            scorer.scores(user: seq!, into: &scores)
        }
        var context: [(String, Double)]?
        if let reranker {
            // Replay's quality rows ask for the features as of the job's time
            // (point in time, from history); serving reads the online row.
            let row = try options.featuresAsOfJob
                ? Row.fetchOne(db.cachedStatement(sql: Self.historySQL), arguments: [job.userId, job.eventTime])
                    .map(FeatureStore.decodeFeatureRow)
                : features(job.userId)
            let p = reranker.probabilities(row, at: job.eventTime, buffer: &inputBuffer)
            let k = Double(p.count), w = options.rerankWeight
            let factors = p.map { Float(w == 1 ? k * $0 : pow(k * $0, w)) }
            for i in scores.indices where itemClass[i] >= 0 {
                scores[i] = max(scores[i], 0) * factors[itemClass[i]]
            }
            context = zip(reranker.classes, p).map { ($0, $1) }
        }
        // Excluded items drop to -inf rather than being looked up per item in the top-k loop.
        recent!.items(user: job.userId, at: job.eventTime, into: &excluded)
        for i in excluded { scores[i] = -.infinity }
        for i in unnamed { scores[i] = -.infinity }
        let best = TopK.select(options.k, from: scores.count) { scores[$0] }.filter { scores[$0] > -.infinity }
        return .success(Prediction(
            jobId: job.jobId, userId: job.userId, model: scorer.name, version: scorer.version,
            items: best.map { Prediction.Item(contentId: scorer.itemIds[$0]!, score: scores[$0]) },
            coldStart: cold, eventTime: job.eventTime, eventTimeText: job.eventTimeText, predictedAt: now(),
            context: context, replayStamp: job.replayStamp))
    }
}
