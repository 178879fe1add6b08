import Foundation

/// serve-once's driver: reads job lines, serves them in micro-batches,
/// writes the push output and the pull sink, dead-letters what fails, and
/// measures each job's latency (from reading its line to its prediction
/// being written to every sink).
public final class ServeLoop {
    public struct Options: Sendable {
        /// Jobs per micro-batch (one read transaction, one pull commit).
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
                ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
                ("jobs_per_s", .double(elapsedSeconds > 0 ? (Double(read) / elapsedSeconds).rounded() : 0)),
                ("latency", latency.json), ("service", service.json),
            ])
        }
    }

    public let server: any PredictionServing
    private let push: OutputWriter?
    private let pull: (any PredictionPullSink)?
    private let deadLetter: DeadLetterWriter?
    private let options: Options
    public private(set) var stats = Stats()
    private var scanner = JSONScanner()
    private var keyReader = PartitionKeyReader()
    private var pending: [(job: PredictionJob, start: UInt64)] = []
    private var line: [UInt8] = []
    private var served: [Prediction] = []

    public init(server: any PredictionServing, push: OutputWriter?, pull: (any PredictionPullSink)?, deadLetter: DeadLetterWriter?, options: Options) {
        self.server = server
        self.push = push
        self.pull = pull
        self.deadLetter = deadLetter
        self.options = options
    }

    /// Reads every input to its end, serving as it goes.
    public func run(_ inputs: [InputSource]) throws -> Stats {
        let started = Monotonic.nanoseconds()
        for source in inputs {
            let reader = LineReader(source: source, maxLineBytes: options.maxLineBytes)
            try reader.forEachLine(idleTimeout: options.idleFlushSeconds, onIdle: { try self.flush() }) { input in
                try self.accept(input.bytes, oversize: input.isOversize)
            }
        }
        try flush()
        stats.elapsedSeconds = Double(Monotonic.nanoseconds() - started) / 1e9
        stats.service = server.serviceLatency
        return stats
    }

    /// One job line (also the entry point for replay's in-process pipeline).
    public func accept(_ bytes: UnsafeRawBufferPointer, oversize: Bool = false) throws {
        let start = Monotonic.nanoseconds()
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        stats.read += 1
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
                stats.skipped += 1
                return
            }
        }
        switch parsed {
        case .success(let job):
            pending.append((job, start))
            if pending.count >= options.batchJobs { try flush() }
        case .failure(let malformed):
            stats.malformed += 1
            if malformed.attempt >= options.maxAttempts {
                stats.failed += 1
            } else {
                stats.deadLettered += 1
                try deadLetter?.writeMalformed(bytes, attempt: malformed.attempt, reason: malformed.reason, now: EventNormalizer.nowMillis())
            }
        }
    }

    /// Serves the pending jobs now.
    public func flush() throws {
        guard !pending.isEmpty else {
            try push?.flush()
            try deadLetter?.flush()
            return
        }
        stats.batches += 1
        let jobs = pending.map(\.job)
        let results = server.serve(jobs, now: EventNormalizer.nowMillis)
        served.removeAll(keepingCapacity: true)
        var failures: [(PredictionJob, String)] = []
        for (job, result) in zip(jobs, results) {
            switch result {
            case .success(let p): served.append(p)
            case .failure(let f): failures.append((job, f.reason))
            }
        }
        if let pull {
            do { try pull.write(served) } catch {
                // The pull sink failing fails these jobs, not the run.
                let reason = "pull sink: \((error as? RTMLError)?.message ?? "\(error)")"
                failures += served.map { p in (jobs.first { $0.jobId == p.jobId }!, reason) }
                served.removeAll()
            }
        }
        if let push {
            line.removeAll(keepingCapacity: true)
            for p in served { p.line(into: &line) }
            try push.write(line)
            try push.flush()
        }
        let now = EventNormalizer.nowMillis()
        for (job, reason) in failures {
            if job.attempt >= options.maxAttempts {
                stats.failed += 1
            } else {
                stats.deadLettered += 1
                try deadLetter?.write(job, reason: reason, now: now)
            }
        }
        try deadLetter?.flush()
        stats.served += served.count
        stats.coldStart += served.filter(\.coldStart).count
        let end = Monotonic.nanoseconds()
        for (_, start) in pending { stats.latency.record(microseconds: (end - start) / 1000) }
        pending.removeAll(keepingCapacity: true)
    }
}
