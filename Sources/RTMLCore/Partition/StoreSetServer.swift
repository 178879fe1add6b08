import Foundation

/// Serving one user's job, for callers that want a `Prediction` back
/// (`serve-once --user`): one store (PredictionServer) or a store set
/// (StoreSetServer).
public protocol PredictionServing: AnyObject {
    func serve(_ jobs: [PredictionJob], now: () -> Int64) -> [Result<Prediction, PredictionServer.Failure>]
    var serviceLatency: LatencyRecorder { get }
}

/// What ServeLoop and its sink stage need from whatever serves their
/// batches: results into the batch's flat storage, and the models (the
/// sinks format items and probabilities with them).
protocol BatchServing: PredictionServing {
    var scorer: ALSScorer { get }
    var reranker: CategoryReranker? { get }
    func serve(_ jobs: [PredictionJob], into out: ServedBatch, now: () -> Int64)
}

extension PredictionServer: BatchServing {}

/// Where ServeLoop's pull sink writes: one store (PullSink) or each user's shard (ShardedPullSink).
public protocol PredictionPullSink: AnyObject {
    func write(_ predictions: [Prediction]) throws
    func close() throws
}

extension PullSink: PredictionPullSink {}

/// How one shard's server maps its store onto the set: its local sequence
/// ids become global ones (`local * partitions + partition`), and the model
/// must carry the set's fingerprint, not the shard's.
public struct ShardRouting: Sendable, Equatable {
    public var setPath: String
    public var setFingerprint: String
    public var partition: Int
    public var partitions: Int

    public init(setPath: String, setFingerprint: String, partition: Int, partitions: Int) {
        self.setPath = setPath
        self.setFingerprint = setFingerprint
        self.partition = partition
        self.partitions = partitions
    }
}

/// Serves jobs from a store set: each job goes to the PredictionServer of
/// its user's shard (same hash as `--partition`), and the results come back
/// in job order. One shard server per shard keeps each shard's reads in one
/// snapshot per batch and its own recent-completes tail, exactly as serving
/// one store does; only the routing and the id mapping are new.
///
/// With a stores directory whose colors are sets, `ACTIVE` is looked up
/// before every batch like for single stores, and a switch opens (and
/// validates) the other set.
public final class StoreSetServer: BatchServing {
    public let location: StoreLocation
    public let scorer: ALSScorer
    public let reranker: CategoryReranker?
    private let options: PredictionServer.Options
    public private(set) var setPath = ""
    public private(set) var fingerprint = ""
    private var servers: [PredictionServer] = []
    /// Per shard: its jobs' positions in the batch, and its results (reused).
    private var positions: [[Int]] = []
    private var shardResults: [ServedBatch] = []
    private let single = ServedBatch()
    private var finishedLatency = LatencyRecorder()
    public private(set) var notes: [String] = []

    public init(location: StoreLocation, scorer: ALSScorer, reranker: CategoryReranker?, options: PredictionServer.Options) throws {
        self.location = location
        self.scorer = scorer
        self.reranker = reranker
        self.options = options
        try ensureSet()
    }

    public var partitions: Int { servers.count }

    public var shardPaths: [String] { servers.map(\.storePath) }

    public var serviceLatency: LatencyRecorder {
        var all = finishedLatency
        for s in servers { all.add(s.serviceLatency) }
        return all
    }

    /// Opens the set the location names now (validating it and checking the
    /// models against its fingerprint); keeps the open one when unchanged.
    public func ensureSet() throws {
        let path = try location.currentPath()
        if !servers.isEmpty, path == setPath { return }
        let set = try StoreSet(path: path)
        let print = try set.fingerprint()
        set.close()
        var opened: [PredictionServer] = []
        var newNotes: [String] = []
        for i in 0..<set.partitions {
            var shardOptions = options
            shardOptions.shard = ShardRouting(setPath: path, setFingerprint: print, partition: i, partitions: set.partitions)
            let server = try PredictionServer(location: .file(StoreSet.shardPath(path, i)), scorer: scorer, reranker: reranker, options: shardOptions)
            for note in server.notes where !newNotes.contains(note) { newNotes.append(note) }
            opened.append(server)
        }
        for s in servers { finishedLatency.add(s.serviceLatency) }
        servers = opened
        positions = [[Int]](repeating: [], count: opened.count)
        shardResults = opened.map { _ in ServedBatch() }
        setPath = path
        fingerprint = print
        notes += newNotes
    }

    /// Serves a batch: each shard's jobs in one read snapshot of that shard,
    /// the results copied back to the jobs' places. A shard that cannot be
    /// read fails the whole batch (a batch has one failure reason), so its
    /// jobs are dead-lettered together and served again on retry.
    func serve(_ jobs: [PredictionJob], into out: ServedBatch, now: () -> Int64) {
        out.reset(jobs: jobs.count, k: max(options.k, 0), classCount: reranker?.classes.count ?? 0)
        do {
            try ensureSet()
        } catch {
            out.failure = "store unreadable: \((error as? RTMLError)?.message ?? "\(error)")"
            return
        }
        let n = servers.count
        if n == 1 {
            servers[0].serve(jobs, into: out, now: now)
            return
        }
        for i in 0..<n { positions[i].removeAll(keepingCapacity: true) }
        for (j, job) in jobs.enumerated() {
            positions[UserPartition.of(key: job.userId, count: n)].append(j)
        }
        for i in 0..<n where !positions[i].isEmpty {
            let part = shardResults[i]
            servers[i].serve(positions[i].map { jobs[$0] }, into: part, now: now)
            if let failure = part.failure {
                out.failure = failure
                return
            }
            for (local, j) in positions[i].enumerated() { out.copy(job: local, from: part, to: j) }
        }
    }

    public func serve(_ jobs: [PredictionJob], now: () -> Int64) -> [Result<Prediction, PredictionServer.Failure>] {
        serve(jobs, into: single, now: now)
        if let failure = single.failure { return jobs.map { _ in .failure(PredictionServer.Failure(reason: failure)) } }
        return jobs.indices.map { .success(single.prediction($0, job: jobs[$0], scorer: scorer, classes: reranker?.classes)) }
    }
}

extension ServedBatch {
    /// Job `from`'s result in `other` (of the same k and classes) becomes job `to`'s here.
    func copy(job source: Int, from other: ServedBatch, to j: Int) {
        coldStart[j] = other.coldStart[source]
        itemCount[j] = other.itemCount[source]
        predictedAt[j] = other.predictedAt[source]
        let n = Int(other.itemCount[source])
        (item + j * k).update(from: other.item + source * k, count: n)
        (score + j * k).update(from: other.score + source * k, count: n)
        if classCount > 0 {
            (context + j * classCount).update(from: other.context + source * classCount, count: classCount)
        }
    }
}

/// The pull sink of a store set: each prediction is upserted into its
/// user's shard (one transaction per shard and batch), so a reader finds a
/// user's predictions where it finds their features.
public final class ShardedPullSink: PredictionPullSink {
    private let sinks: [PullSink]

    public init(setPath: String) throws {
        let n = try StoreSetManifest.read(directory: setPath).partitions
        var opened: [PullSink] = []
        for i in 0..<n { opened.append(try PullSink(path: StoreSet.shardPath(setPath, i), createIfMissing: false)) }
        sinks = opened
    }

    public func write(_ predictions: [Prediction]) throws {
        let n = sinks.count
        var byShard = [[Prediction]](repeating: [], count: n)
        for p in predictions { byShard[UserPartition.of(key: p.userId, count: n)].append(p) }
        for (i, part) in byShard.enumerated() where !part.isEmpty { try sinks[i].write(part) }
    }

    public func close() throws {
        for s in sinks { try s.close() }
    }
}
