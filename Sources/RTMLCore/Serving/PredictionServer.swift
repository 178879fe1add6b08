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
    /// One job's item scores (room for the scorer's padded item count).
    private let scratch: UnsafeMutablePointer<Float>
    private var top = TopScores()
    /// Per rerank class: (K · p)^w of the job being served.
    private let classFactor: UnsafeMutablePointer<Float>
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
        featureColumnIsReal = featureColumns.map { FeatureSchema.columns[$0].type == .real }
        featureColumnIsInteger = featureColumns.map { FeatureSchema.columns[$0].type == .integer }
        featureSQL = "SELECT " + featureColumns.map { StoreSchema.quoted(FeatureSchema.columns[$0].name) }.joined(separator: ", ")
            + " FROM features WHERE user_id = ?"
        itemClass = scorer.itemCategories.map { c in c.flatMap { reranker?.classes.firstIndex(of: $0) } ?? -1 }
        classFactor = .allocate(capacity: max(reranker?.classes.count ?? 0, 1))
        classFactor.initialize(repeating: 1, count: max(reranker?.classes.count ?? 0, 1))
        scratch = .allocate(capacity: max(scorer.byFactor.paddedCount, 1))
        scratch.initialize(repeating: 0, count: max(scorer.byFactor.paddedCount, 1))
        try ensureStore()
    }

    deinit {
        scratch.deallocate()
        classFactor.deallocate()
    }

    /// Opens the store the location names now, checking it fits the models;
    /// for a stores directory, switches when `ACTIVE` has changed.
    public func ensureStore() throws {
        let path = try location.currentPath()
        if store != nil, path == storePath { return }
        let opened = try FeatureStore.openReadOnly(path: path)
        reads = nil
        unchanged.forget()
        try Self.checkCompatibility(store: opened, path: options.shard?.setPath ?? path, scorer: scorer, reranker: reranker, allowStaleIds: options.allowStaleIds, notes: &notes,
                                    fingerprint: options.shard?.setFingerprint)
        // The tail statement was prepared on the old connection: it goes before that does.
        recent = nil
        store = opened
        storePath = path
        recent = RecentCompletes(itemIndex: itemIndex, keepMillis: options.excludeRecentMillis, storePath: path)
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
                try prepareReads(db)
                unchanged.begin(version: try dataVersion())
                // Through a buffer pointer: each job is borrowed, not copied (five strings to retain and release).
                try jobs.withUnsafeBufferPointer { jobs in
                    for j in jobs.indices {
                        let start = Monotonic.nanoseconds()
                        try serveOne(jobs[j], as: j, into: out, db: db, now: now)
                        serviceLatency.record(microseconds: (Monotonic.nanoseconds() - start) / 1000)
                    }
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
    /// Each read column's declared type, looked up once.
    private let featureColumnIsReal: [Bool]
    private let featureColumnIsInteger: [Bool]
    private let featureSQL: String
    /// Reused per job; a stored property (not lazy) so that assigning an
    /// element mutates in place instead of copying the array each time.
    private var featureValues = [FeatureValue](repeating: .null, count: FeatureSchema.columns.count)

    /// Point reads through raw statements prepared once per store connection:
    /// GRDB's Row per job was most of a reranked job's time. Dropped before
    /// the store they belong to is (a statement must not outlive its connection).
    private var reads: (seq: RawStatement, features: RawStatement?, version: RawStatement)?
    /// Ids and rows read in earlier batches while the store is unchanged.
    private let unchanged = UnchangedStoreReads()

    private func prepareReads(_ db: Database) throws {
        guard reads == nil else { return }
        guard let c = db.sqliteConnection else { throw RTMLError("\(storePath): the store is closed") }
        let seq = try RawStatement(connection: c, sql: "SELECT seq_id FROM sequence_ids WHERE user_id = ?",
                                   path: storePath, table: "sequence_ids", verb: "read")
        let features = reranker == nil ? nil
            : try RawStatement(connection: c, sql: featureSQL, path: storePath, table: "features", verb: "read")
        let version = try RawStatement(connection: c, sql: "PRAGMA data_version", path: storePath, table: "meta", verb: "read")
        reads = (seq, features, version)
    }

    /// The snapshot's data_version: it changes whenever another connection has committed.
    private func dataVersion() throws -> Int64 {
        let st = reads!.version
        defer { st.reset() }
        guard try st.step() else { return -1 }
        return st.columnInt64(0)
    }

    /// The user's sequence id, from the store or from an earlier batch while it is unchanged.
    private func knownSequenceId(_ userId: String) throws -> Int? {
        if let known = unchanged.sequenceId(userId) { return known }
        let id = try sequenceId(userId)
        unchanged.remember(sequenceId: id, of: userId)
        return id
    }

    /// The user's online feature row, the same way.
    private func knownFeatures(_ userId: String) throws -> FeatureRow? {
        if let known = unchanged.features(userId) { return known }
        let row = try features(userId)
        unchanged.remember(features: row, of: userId)
        return row
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
        // One access to the reused array for the whole row (an access per column cost more than reading it).
        featureValues.withUnsafeMutableBufferPointer { values in
            for (n, k) in featureColumns.enumerated() {
                let column = Int32(n)
                switch st.columnKind(column) {
                case .null, .blob: values[k] = .null
                case .integer:
                    let v = st.columnInt64(column)
                    values[k] = featureColumnIsReal[n] ? .real(Double(v)) : .integer(v)
                case .real:
                    let v = st.columnDouble(column)
                    if featureColumnIsInteger[n], let exact = Int64(exactly: v) {
                        values[k] = .integer(exact)
                    } else {
                        values[k] = .real(v)
                    }
                case .text: values[k] = .text(knownText(st.columnTextBytes(column)))
                }
            }
        }
        return FeatureRow(userId: userId, eventTs: 0, updatedAt: 0, values: featureValues)
    }

    /// Texts read before (the last event's name: a handful of values), so a
    /// row does not make a new String each time.
    private var texts: [String] = []

    private func knownText(_ bytes: UnsafeRawBufferPointer) -> String {
        for text in texts where text.utf8.elementsEqual(bytes) { return text }
        let text = String(decoding: bytes, as: UTF8.self)
        if texts.count < 32 { texts.append(text) }
        return text
    }

    private static let historySQL = "SELECT user_id, "
        + FeatureSchema.columns.map { StoreSchema.quoted($0.name) }.joined(separator: ", ")
        + ", event_ts, updated_at FROM feature_history_full WHERE user_id = ? AND event_ts <= ? ORDER BY event_ts DESC, row_id DESC LIMIT 1"

    private func serveOne(_ job: PredictionJob, as j: Int, into out: ServedBatch, db: Database, now: () -> Int64) throws {
        let seq = try knownSequenceId(job.userId)
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
                : knownFeatures(job.userId)
            let p = out.context + j * out.classCount
            reranker.probabilities(row, at: job.eventTime, inputs: &inputBuffer, into: p)
            let k = Double(reranker.classes.count), w = options.rerankWeight
            let factor = classFactor
            for c in 0..<reranker.classes.count { factor[c] = Float(w == 1 ? k * p[c] : pow(k * p[c], w)) }
            itemClass.withUnsafeBufferPointer { itemClass in
                for i in 0..<n where itemClass[i] >= 0 {
                    scores[i] = max(scores[i], 0) * factor[itemClass[i]]
                }
            }
        }
        // Excluded items drop to -inf rather than being looked up per item in the top-k loop.
        recent!.exclude(user: job.userId, at: job.eventTime, in: scores)
        for i in unnamed { scores[i] = -.infinity }
        top.select(options.k, from: scores, count: n)
        let first = j * out.k
        out.itemCount[j] = Int32(top.copyBest(items: out.item + first, scores: out.score + first))
        out.coldStart[j] = cold
        out.predictedAt[j] = now()
    }
}
