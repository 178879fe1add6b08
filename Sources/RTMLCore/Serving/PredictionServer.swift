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
    /// One job's item scores (room for the scorer's padded item count).
    private let scratch: UnsafeMutablePointer<Float>
    private var top = TopScores()
    /// Per rerank class: (K · p)^w of the job being served.
    private var classFactor: [Float]
    /// Reused by `serve(_:now:)`.
    private let results = ServedBatch()
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
        classFactor = [Float](repeating: 1, count: reranker?.classes.count ?? 0)
        scratch = .allocate(capacity: max(scorer.byFactor.paddedCount, 1))
        scratch.initialize(repeating: 0, count: max(scorer.byFactor.paddedCount, 1))
        try ensureStore()
    }

    deinit { scratch.deallocate() }

    /// Opens the store the location names now, checking it fits the models;
    /// for a stores directory, switches when `ACTIVE` has changed.
    public func ensureStore() throws {
        let path = try location.currentPath()
        if store != nil, path == storePath { return }
        let opened = try FeatureStore.openReadOnly(path: path)
        reads = nil
        try Self.checkCompatibility(store: opened, path: path, scorer: scorer, reranker: reranker, allowStaleIds: options.allowStaleIds, notes: &notes)
        store = opened
        storePath = path
        recent = RecentCompletes(itemIndex: itemIndex, keepMillis: options.excludeRecentMillis)
    }

    /// The checks before the first job (and by promote before a switch):
    /// the sequence-id fingerprints agree, and the store has every feature
    /// the rerank model reads.
    public static func checkCompatibility(
        store: FeatureStore, path: String, scorer: ALSScorer?, reranker: CategoryReranker?, allowStaleIds: Bool,
        notes: inout [String]
    ) throws {
        if let scorer {
            let storePrint = try store.meta("sequence_map_fingerprint") ?? "none"
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
        serve(jobs, into: results, now: now)
        if let failure = results.failure { return jobs.map { _ in .failure(Failure(reason: failure)) } }
        let classes = reranker?.classes
        return jobs.indices.map { .success(results.prediction($0, job: jobs[$0], scorer: scorer, classes: classes)) }
    }

    /// The serving loop's path: the same work, results into `out`'s flat
    /// storage instead of a `Prediction` per job. On a store error
    /// `out.failure` holds the reason for every job of the batch.
    func serve(_ jobs: [PredictionJob], into out: ServedBatch, now: () -> Int64) {
        out.reset(jobs: jobs.count, k: max(options.k, 0), classCount: reranker?.classes.count ?? 0)
        do {
            try ensureStore()
            try store!.read { db in
                try recent!.refresh(db)
                for j in jobs.indices {
                    let start = Monotonic.nanoseconds()
                    try serveOne(jobs[j], as: j, into: out, db: db, now: now)
                    serviceLatency.record(microseconds: (Monotonic.nanoseconds() - start) / 1000)
                }
            }
        } catch let error as RTMLError {
            out.failure = "store unreadable: \(error.message)"
        } catch {
            out.failure = "store unreadable: \(error)"
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
        return try st.step() ? Int(st.columnInt64(0)) : nil
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

    private func serveOne(_ job: PredictionJob, as j: Int, into out: ServedBatch, db: Database, now: () -> Int64) throws {
        try prepareReads(db)
        let seq = try sequenceId(job.userId)
        let cold = options.popularityOnly || !(seq.map { scorer.knows(user: $0) } ?? false)
        let n = scorer.itemCount
        let scores = scratch
        if cold {
            scorer.popularityShares.withUnsafeBufferPointer { scores.update(from: $0.baseAddress!, count: n) }
        } else {
            scorer.writeScores(user: seq!, to: scores)
        }
        if let reranker {
            // Replay's quality rows ask for the features as of the job's time
            // (point in time, from history); serving reads the online row.
            let row = try options.featuresAsOfJob
                ? Row.fetchOne(db.cachedStatement(sql: Self.historySQL), arguments: [job.userId, job.eventTime])
                    .map(FeatureStore.decodeFeatureRow)
                : features(job.userId)
            let p = reranker.probabilities(row, at: job.eventTime, buffer: &inputBuffer)
            let k = Double(p.count), w = options.rerankWeight
            for c in p.indices {
                classFactor[c] = Float(w == 1 ? k * p[c] : pow(k * p[c], w))
                out.context[j * out.classCount + c] = p[c]
            }
            itemClass.withUnsafeBufferPointer { itemClass in
                classFactor.withUnsafeBufferPointer { factor in
                    for i in 0..<n where itemClass[i] >= 0 {
                        scores[i] = max(scores[i], 0) * factor[itemClass[i]]
                    }
                }
            }
        }
        // Excluded items drop to -inf rather than being looked up per item in the top-k loop.
        recent!.exclude(user: job.userId, at: job.eventTime, in: scores)
        for i in unnamed { scores[i] = -.infinity }
        top.select(options.k, from: scores, count: n)
        var kept = 0
        let base = j * out.k
        for r in 0..<top.count {
            let best = top.item(r)
            guard best.score > -.infinity else { continue }
            out.item[base + kept] = Int32(best.index)
            out.score[base + kept] = best.score
            kept += 1
        }
        out.itemCount[j] = Int32(kept)
        out.coldStart[j] = cold
        out.predictedAt[j] = now()
    }
}
