import Foundation
import GRDB

/// Settings of the in-process replay.
public struct ReplayOptions: Sendable {
    public var pace = PaceOptions()
    /// The store whose sequence ids and feature settings the replay starts from (the model's store).
    public var sourceStore = ""
    /// The replay's own store, made afresh from `sourceStore` (replaced if it exists).
    public var workStore = ""
    public var serve = PredictionServer.Options()
    public var batchJobs = 512
    /// Judge the served lists against what users started next (and serve the baselines).
    public var quality = true
    public var triggers: Set<String> = FeaturizeOptions.defaultTriggers
    public init() {}
}

/// Everything one replay measured (what `ReplayReport` shows).
public struct ReplayResult {
    /// `in-process` (rtml replay) or `measure` (rtml replay measure at the end of a pipe).
    public var mode = "in-process"
    public var input: String
    public var pace: PaceStats
    public var ingest: IngestStats
    public var featurize: FeaturizeStats
    public var serve: ServeLoop.Stats
    public var measure: ReplayMeasure
    /// Model with rerank (when given), model alone, popularity.
    public var quality: [ReplayQuality.Row] = []
    public var k = 10
    /// From the first emission to the last prediction read.
    public var elapsedSeconds = 0.0
    public var qualitySeconds = 0.0
    public var workStore = ""
    public var model = ""
    public var rerank: String?
    /// Jobs the commit gate held until their event's features were committed, and jobs it let go after 5 s without.
    public var jobsWaitedForCommit = 0
    public var jobsPassedUncommitted = 0

    public init(mode: String = "in-process", input: String, pace: PaceStats, ingest: IngestStats, featurize: FeaturizeStats,
                serve: ServeLoop.Stats, measure: ReplayMeasure, k: Int = 10, workStore: String = "", model: String = "", rerank: String? = nil) {
        self.mode = mode
        self.input = input
        self.pace = pace
        self.ingest = ingest
        self.featurize = featurize
        self.serve = serve
        self.measure = measure
        self.k = k
        self.workStore = workStore
        self.model = model
        self.rerank = rerank
    }
}

/// The whole pipeline over a recorded day in one process: pace → ingest →
/// featurize → serve-once → measure, each stage the same library code as its
/// command (`Pacer`, `Ingestor`, `Featurizer`, `ServeLoop`), on its own thread,
/// joined by OS pipes exactly as a shell pipeline joins the commands.
///
/// The replay never writes the model's store: it featurizes into a working
/// store made from the source store's sequence ids, item ids and feature
/// settings, with no feature state, so the model's fingerprint check passes,
/// the day's features are rebuilt from its own events, and every run starts
/// from the same place.
public final class ReplayRun {
    public let options: ReplayOptions
    private let scorer: ALSScorer
    private let reranker: CategoryReranker?

    public init(options: ReplayOptions, scorer: ALSScorer, reranker: CategoryReranker?) {
        self.options = options
        self.scorer = scorer
        self.reranker = reranker
    }

    public var onLag: ((Double, Int64) -> Void)?

    public func run(_ sources: [InputSource]) throws -> ReplayResult {
        let config = try Self.prepareWorkStore(source: options.sourceStore, path: options.workStore)
        let paced = options.pace.speed != nil

        let p1 = try Self.makePipe(), p2 = try Self.makePipe(), p3 = try Self.makePipe(), p4 = try Self.makePipe()
        let p3b = try Self.makePipe()
        let name = sources.map(\.displayName).joined(separator: ",")

        // Stage objects are made here so that setup errors surface before any thread starts.
        let pacer = Pacer(options: options.pace, output: OutputWriter(descriptor: p1.write, name: "<replay pace>"))
        pacer.onLag = onLag
        var ingestOptions = IngestOptions()
        ingestOptions.maxLineBytes = options.pace.maxLineBytes
        ingestOptions.receivedAtDefault = .timestamp
        if paced { ingestOptions.idleFlushSeconds = 0.001 }
        let ingestOut = OutputWriter(descriptor: p2.write, name: "<replay ingest>")
        let ingestor = Ingestor(options: ingestOptions, output: ingestOut, rejects: try RejectsWriter(path: nil))

        var featurizeOptions = FeaturizeOptions()
        featurizeOptions.config = config
        featurizeOptions.flushAtEnd = false
        featurizeOptions.triggers = options.triggers
        featurizeOptions.maxLineBytes = options.pace.maxLineBytes
        // Paced, events trickle: commit (and hand over jobs) as soon as the input pauses.
        featurizeOptions.batchInterval = paced ? 0.001 : 0.05
        let store = try FeatureStore.open(path: options.workStore, mode: .mustExist)
        let jobsOut = OutputWriter(descriptor: p3.write, name: "<replay jobs>")
        let featurizer = try Featurizer(options: featurizeOptions, store: store,
                                        embeddings: TermEmbeddings.hashing(dimensions: config.embeddingDimensions),
                                        jobs: jobsOut, rejects: try RejectsWriter(path: nil))

        let server = try PredictionServer(location: .file(options.workStore), scorer: scorer, reranker: reranker, options: options.serve)
        var loopOptions = ServeLoop.Options()
        loopOptions.batchJobs = options.batchJobs
        loopOptions.idleFlushSeconds = 0.001
        let pushOut = OutputWriter(descriptor: p4.write, name: "<replay predictions>")
        let loop = ServeLoop(server: server, push: pushOut, pull: nil, deadLetter: nil, options: loopOptions)
        let gateOut = OutputWriter(descriptor: p3b.write, name: "<replay committed jobs>")
        let gate = CommitGate(output: gateOut)
        featurizer.onJobsCommitted = { [gate] n in gate.committed(jobs: n) }

        let errors = ErrorBox()
        var serveStats = ServeLoop.Stats()
        let group = DispatchGroup()
        func stage(_ label: String, input: Int32?, output: OutputWriter, _ body: @escaping () throws -> Void) {
            group.enter()
            let thread = Thread {
                do { try body() } catch is BrokenPipe {} catch { errors.add(label, error) }
                try? output.close()
                if let input { close(input) }
                group.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        stage("pace", input: nil, output: pacer.outputWriter) { try pacer.run(sources) }
        stage("ingest", input: p1.read, output: ingestOut) {
            try ingestor.ingest(InputSource(descriptor: p1.read, name: name))
        }
        stage("featurize", input: p2.read, output: jobsOut) {
            defer { gate.upstreamFinished() }
            try featurizer.run([InputSource(descriptor: p2.read, name: name)])
        }
        stage("commit gate", input: p3.read, output: gateOut) {
            try gate.run(InputSource(descriptor: p3.read, name: "<replay jobs>"))
        }
        stage("serve", input: p3b.read, output: pushOut) {
            serveStats = try loop.run([InputSource(descriptor: p3b.read, name: "<replay jobs>")])
        }

        let measure = ReplayMeasure(collectServed: options.quality)
        let measureReader = LineReader(source: InputSource(descriptor: p4.read, name: "<replay predictions>"))
        var measureError: Error?
        do {
            try measureReader.forEachLine { line in measure.accept(line.bytes) }
        } catch { measureError = error }
        let endMicros = ReplayStamp.nowMicros()
        close(p4.read)
        group.wait()
        try? store.close()
        if let measureError { throw measureError }
        if let error = errors.first { throw error }

        let paceStats = pacer.stats
        measure.originMicros = paceStats.startedMicros
        var result = ReplayResult(
            input: name, pace: paceStats, ingest: ingestor.stats, featurize: featurizer.stats, serve: serveStats,
            measure: measure, k: options.serve.k, workStore: options.workStore,
            model: scorer.name + (scorer.version.map { "/\($0)" } ?? ""),
            rerank: reranker.map { $0.name + ($0.version.map { "/\($0)" } ?? "") })
        result.elapsedSeconds = Double(endMicros - paceStats.startedMicros) / 1e6
        result.jobsWaitedForCommit = gate.waited
        result.jobsPassedUncommitted = gate.timedOut
        if options.quality {
            let started = Monotonic.now()
            result.quality = try judge(measure.served)
            result.qualitySeconds = Monotonic.now() - started
        }
        return result
    }

    /// The same jobs served again after the replay, each with the user's
    /// features as of the job's event time: with the rerank, without it, and
    /// by popularity; and the lists served live. The live lists' rerank read
    /// the online row when the job was served, which (when the end of the
    /// pipeline trails the pace) can hold the user's later events: a look-ahead
    /// the point-in-time rows cannot have.
    private func judge(_ served: [ReplayMeasure.Served]) throws -> [ReplayQuality.Row] {
        // The point-in-time reads need the read indexes featurize builds only for a finished store.
        let writable = try FeatureStore.open(path: options.workStore, mode: .mustExist)
        try writable.buildReadIndexes()
        try writable.close()
        let store = try FeatureStore.openReadOnly(path: options.workStore)
        defer { try? store.close() }
        let truth = try ReplayQuality(store: store)
        let k = options.serve.k
        let live = served.map { (userId: $0.userId, eventTime: $0.eventTime, items: $0.items) }
        var rows: [ReplayQuality.Row] = []
        let jobs = served.map { PredictionJob(jobId: $0.jobId, userId: $0.userId, eventTime: $0.eventTime) }
        func again(popularity: Bool, rerank: CategoryReranker? = nil) throws -> [(userId: String, eventTime: Int64, items: [String])] {
            var serveOptions = options.serve
            serveOptions.popularityOnly = popularity
            serveOptions.featuresAsOfJob = true
            // The replay checked the ids at its start; since then featurize has only
            // added new users and items, which moves the fingerprint but no existing id.
            serveOptions.allowStaleIds = true
            let server = try PredictionServer(location: .file(options.workStore), scorer: scorer, reranker: rerank, options: serveOptions)
            var out: [(userId: String, eventTime: Int64, items: [String])] = []
            out.reserveCapacity(jobs.count)
            var start = 0
            while start < jobs.count {
                let batch = Array(jobs[start..<min(start + 512, jobs.count)])
                for (job, r) in zip(batch, server.serve(batch, now: EventNormalizer.nowMillis)) {
                    if case .success(let p) = r { out.append((job.userId, job.eventTime, p.items.map(\.contentId))) }
                }
                start += 512
            }
            return out
        }
        if let reranker {
            rows.append(truth.evaluate(name: "model + rerank", k: k, try again(popularity: false, rerank: reranker)))
            rows.append(truth.evaluate(name: "model + rerank (live)", k: k, live))
            rows.append(truth.evaluate(name: "model alone", k: k, try again(popularity: false)))
        } else {
            rows.append(truth.evaluate(name: "model alone", k: k, live))
        }
        rows.append(truth.evaluate(name: "popularity", k: k, try again(popularity: true)))
        return rows
    }

    /// Makes the working store: a new store holding the source store's
    /// sequence ids, item ids, their fingerprint and its feature settings.
    /// Returns those settings.
    public static func prepareWorkStore(source: String, path: String) throws -> FeatureConfig {
        guard FileManager.default.fileExists(atPath: source) else { throw RTMLError("\(source): no such store") }
        guard URL(fileURLWithPath: source).standardizedFileURL.path != URL(fileURLWithPath: path).standardizedFileURL.path else {
            throw RTMLError("\(path): the replay's working store must not be the model's store")
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let created = try FeatureStore.open(path: path, mode: .mustCreate)
        try created.close()
        var settings: String?
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [source])
                try db.inTransaction {
                    try db.execute(sql: "INSERT INTO sequence_ids SELECT user_id, seq_id FROM src.sequence_ids")
                    try db.execute(sql: "INSERT INTO item_ids SELECT content_id, seq_id FROM src.item_ids")
                    try db.execute(sql: "INSERT OR REPLACE INTO meta SELECT key, value FROM src.meta WHERE key IN ('sequence_map_fingerprint', 'feature_config')")
                    return .commit
                }
                settings = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'feature_config'")
                try db.execute(sql: "DETACH DATABASE src")
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw RTMLError("\(source): cannot start the replay's store from it: \(error.message ?? "\(error)")")
        }
        return try settings.map(featureConfig) ?? FeatureConfig()
    }

    /// The feature settings recorded in a store's meta (`Featurizer.describe`).
    static func featureConfig(_ json: String) throws -> FeatureConfig {
        let value = try JSONValue.parse(json, source: "feature_config")
        var c = FeatureConfig()
        func millis(_ key: String, _ into: inout Int64) {
            if let text = value[key]?.stringValue, let ms = DurationText.parseMillis(text) { into = ms }
        }
        millis("window", &c.windowMillis)
        millis("slide", &c.slideMillis)
        millis("window_offset", &c.windowOffsetMillis)
        millis("watermark", &c.watermarkDelayMillis)
        millis("session_gap", &c.sessionGapMillis)
        millis("bounce_threshold", &c.bounceThresholdMillis)
        millis("search_memory", &c.searchMemoryMillis)
        if let dims = value["embedding_dimensions"]?.intValue { c.embeddingDimensions = dims }
        return c
    }

    static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RTMLError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        #if os(Linux)
        // Bigger pipes: fewer wake-ups between stages when replaying as fast as possible.
        _ = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
        #endif
        return (fds[0], fds[1])
    }
}

/// The first error of the stage threads.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ label: String, _ error: Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }
    var first: Error? {
        lock.lock()
        defer { lock.unlock() }
        return errors.first
    }
}

/// Between featurize and serve-once in the in-process replay: passes each job
/// on only once featurize has committed the micro-batch that wrote it, so the
/// store shows the job's event (its features and recent completes).
///
/// featurize writes a batch's jobs before committing the batch (so a crash
/// repeats jobs rather than losing them); served straight away, a job could
/// read the features and recent completes from before its own event. The
/// replay measures the prediction that reflects the event, so it waits, and the
/// wait is part of the latency. Jobs arrive in the order featurize wrote them,
/// and featurize reports after each commit how many it has written so far
/// (`Featurizer.onJobsCommitted`), so the check is a counter, not a read of
/// the store per job. (A job still uncommitted after 5 s, or after featurize
/// has ended, passes too and is counted.)
final class CommitGate: @unchecked Sendable {
    private let output: OutputWriter
    private let lock = NSLock()
    private var finished = false
    private var committedJobs = 0
    private(set) var waited = 0
    private(set) var timedOut = 0

    init(output: OutputWriter) {
        self.output = output
    }

    func upstreamFinished() {
        lock.lock()
        finished = true
        lock.unlock()
    }

    /// featurize has committed the batches holding its first `jobs` jobs.
    func committed(jobs: Int) {
        lock.lock()
        committedJobs = max(committedJobs, jobs)
        lock.unlock()
    }

    private var state: (committed: Int, finished: Bool) {
        lock.lock()
        defer { lock.unlock() }
        return (committedJobs, finished)
    }

    func run(_ source: InputSource) throws {
        let reader = LineReader(source: source)
        let output = self.output
        var jobs = 0
        var known = 0
        try reader.forEachLine(idleTimeout: 0.0005, onIdle: { try output.flush() }) { line in
            if JSONAccess.isBlank(line.bytes) { return }
            jobs += 1
            if jobs > known {
                var first = true
                let deadline = Monotonic.now() + 5
                while true {
                    let now = state
                    known = now.committed
                    if jobs <= known { break }
                    if first {
                        waited += 1
                        first = false
                        try output.flush()
                    }
                    if now.finished { break }  // featurize has committed all it ever will
                    if Monotonic.now() > deadline { timedOut += 1; break }
                    usleep(100)
                }
            }
            try output.write(line.bytes)
            try output.writeByte(0x0A)
        }
        try output.flush()
    }
}
