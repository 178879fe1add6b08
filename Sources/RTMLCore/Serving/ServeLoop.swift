import Foundation

/// serve-once's driver: reads job lines, serves them in micro-batches,
/// writes the push output and the pull sink, dead-letters what fails, and
/// measures each job's latency (from reading its line to its prediction
/// being written to every sink).
public final class ServeLoop {
    public struct Options: Sendable {
        /// Jobs per micro-batch (one read transaction; one pull commit, or
        /// one for the batches served while the last commit ran).
        public var batchJobs = 512
        public var maxAttempts = 3
        /// A live pipe: serve what has arrived after this much quiet instead of waiting for a full batch.
        public var idleFlushSeconds: Double? = nil
        public var maxLineBytes = 1 << 20
        /// Serve only this partition's users; the other jobs are counted as skipped.
        public var partition: UserPartition?
        public init() {}
    }

    public struct Stats: Sendable {
        public var read = 0
        public var served = 0
        public var coldStart = 0
        public var deadLettered = 0
        /// Jobs that failed at their last allowed attempt: counted, not re-queued.
        public var failed = 0
        public var malformed = 0
        /// Jobs of other partitions' users (`--partition`): neither served nor dead-lettered.
        public var skipped = 0
        public var batches = 0
        /// Transactions of the pull sink (fewer than batches when it fell behind).
        public var pullCommits = 0
        /// From reading a job's line to its prediction written to every sink.
        public var latency = LatencyRecorder()
        /// The job's own store reads and scoring (PredictionServer.serviceLatency).
        public var service = LatencyRecorder()
        public var elapsedSeconds = 0.0

        public init() {}

        public var json: JSONValue {
            .object([
                ("stage", .string("serve-once")), ("read", .int(read)), ("served", .int(served)),
                ("cold_start", .int(coldStart)), ("dead_lettered", .int(deadLettered)), ("failed", .int(failed)),
                ("malformed", .int(malformed)), ("skipped", .int(skipped)), ("batches", .int(batches)),
                ("pull_commits", .int(pullCommits)),
                ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
                ("jobs_per_s", .double(elapsedSeconds > 0 ? (Double(read) / elapsedSeconds).rounded() : 0)),
                ("latency", latency.json), ("service", service.json),
            ])
        }
    }

    /// One store (PredictionServer) or a store set (StoreSetServer).
    let server: any BatchServing
    private let options: Options
    /// What the reading side counts: read, malformed, skipped, batches.
    private var readStats = Stats()
    private let sinks: ServeSinkStage
    /// Counters and latencies; complete once `run` has returned.
    public var stats: Stats {
        var merged = sinks.stats
        merged.read = readStats.read
        merged.malformed = readStats.malformed
        merged.skipped = readStats.skipped
        merged.batches = readStats.batches
        merged.elapsedSeconds = readStats.elapsedSeconds
        merged.service = server.serviceLatency
        return merged
    }
    private var scanner = JSONScanner()
    private var keyReader = PartitionKeyReader()
    /// The batch being filled by `accept`.
    private var current = ServeBatch()
    /// Set while `run` serves on the stage threads; nil: `accept` and `flush` serve on the caller's thread.
    private var pipeline: ServePipeline?

    public convenience init(server: PredictionServer, push: OutputWriter?, pull: (any PredictionPullSink)?, deadLetter: DeadLetterWriter?, options: Options) {
        self.init(backend: server, push: push, pull: pull, deadLetter: deadLetter, options: options)
    }

    /// Serving a store set: each job from its user's shard; the pull sink may be a ShardedPullSink.
    public convenience init(server: StoreSetServer, push: OutputWriter?, pull: (any PredictionPullSink)?, deadLetter: DeadLetterWriter?, options: Options) {
        self.init(backend: server, push: push, pull: pull, deadLetter: deadLetter, options: options)
    }

    init(backend server: any BatchServing, push: OutputWriter?, pull: (any PredictionPullSink)?, deadLetter: DeadLetterWriter?, options: Options) {
        self.server = server
        self.options = options
        sinks = ServeSinkStage(server: server, push: push, pull: pull, deadLetter: deadLetter, maxAttempts: options.maxAttempts)
    }

    /// Reads every input to its end, serving as it goes. Reading and parsing
    /// stay on this thread; serving and writing to the sinks each run on a
    /// thread of their own (ServePipeline.swift), batch after batch in order.
    public func run(_ inputs: [InputSource]) throws -> Stats {
        let started = Monotonic.nanoseconds()
        // Two batches besides the one being read: one being served, one being
        // written. More only lengthens the wait of a job read ahead of its turn,
        // except with a pull sink: its commit costs about the same for one
        // batch or several (the pages of the users it touches), so when it
        // falls behind, the batches served meanwhile go in one transaction.
        let pipeline = ServePipeline(
            batches: sinks.hasPull ? 8 : 2,
            serve: { [server] batch in server.serve(batch.jobs, into: batch.results, now: EventNormalizer.nowMillis) },
            write: { [sinks] batches in try sinks.write(batches) })
        self.pipeline = pipeline
        do {
            for source in inputs {
                let reader = LineReader(source: source, maxLineBytes: options.maxLineBytes)
                try reader.forEachLine(idleTimeout: options.idleFlushSeconds, onIdle: { try self.flush() }) { input in
                    try self.accept(input.bytes, oversize: input.isOversize)
                }
            }
            try flush()
        } catch {
            // Unreadable input (or a stopped stage): what was handed on is still
            // written, as when serving was not split, then the error stops the run.
            self.pipeline = nil
            try? pipeline.finish()
            throw error
        }
        self.pipeline = nil
        try pipeline.finish()
        readStats.elapsedSeconds = Double(Monotonic.nanoseconds() - started) / 1e9
        return stats
    }

    /// One job line (also the entry point for replay's in-process pipeline).
    public func accept(_ bytes: UnsafeRawBufferPointer, oversize: Bool = false) throws {
        let start = Monotonic.nanoseconds()
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        readStats.read += 1
        let parsed = oversize
            ? .failure(PredictionJob.Malformed(reason: "line longer than \(options.maxLineBytes) bytes", attempt: 1))
            : PredictionJob.parse(bytes, scanner: &scanner)
        if let partition = options.partition {
            let index: Int
            switch parsed {
            case .success(let job): index = UserPartition.of(key: job.userId, count: partition.count)
            case .failure: index = oversize ? 0 : keyReader.partition(ofLine: bytes, count: partition.count).index
            }
            if index != partition.index {
                readStats.skipped += 1
                return
            }
        }
        switch parsed {
        case .success(let job):
            current.jobs.append(job)
            current.starts.append(start)
            if current.jobs.count >= options.batchJobs { try flush() }
        case .failure(let malformed):
            readStats.malformed += 1
            current.malformed.append((Array(bytes), malformed.attempt, malformed.reason))
        }
    }

    /// Serves the pending jobs now (hands them to the serving thread while `run` is running).
    public func flush() throws {
        guard !current.isEmpty else {
            if pipeline == nil { try sinks.flushOutputs() }
            return
        }
        if !current.jobs.isEmpty { readStats.batches += 1 }
        if let pipeline {
            current = try pipeline.submit(current)
        } else {
            server.serve(current.jobs, into: current.results, now: EventNormalizer.nowMillis)
            try sinks.write([current])
            current.clear()
        }
    }
}
