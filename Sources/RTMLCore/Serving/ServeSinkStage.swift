/// serve-once's last stage: a served batch goes to the sinks (the pull
/// commit, the push lines, the dead letters), and each job is counted and
/// its read-to-written latency recorded. The only code that touches the sinks.
final class ServeSinkStage {
    private let push: OutputWriter?
    private let pull: (any PredictionPullSink)?
    private let deadLetter: DeadLetterWriter?
    private let maxAttempts: Int
    private let scorer: ALSScorer
    private let classes: [String]?
    private var formatter: PushLineFormatter
    private var line: [UInt8] = []
    /// served, coldStart, deadLettered, failed and latency (the reading side counts the rest).
    var stats = ServeLoop.Stats()

    init(server: any BatchServing, push: OutputWriter?, pull: (any PredictionPullSink)?, deadLetter: DeadLetterWriter?, maxAttempts: Int) {
        self.push = push
        self.pull = pull
        self.deadLetter = deadLetter
        self.maxAttempts = maxAttempts
        scorer = server.scorer
        classes = server.reranker?.classes
        formatter = PushLineFormatter(scorer: server.scorer, classes: server.reranker?.classes)
    }

    func write(_ batch: ServeBatch) throws {
        for m in batch.malformed {
            if m.attempt >= maxAttempts {
                stats.failed += 1
            } else {
                stats.deadLettered += 1
                try m.raw.withUnsafeBytes {
                    try deadLetter?.writeMalformed($0, attempt: m.attempt, reason: m.reason, now: EventNormalizer.nowMillis())
                }
            }
        }
        let jobs = batch.jobs
        let results = batch.results
        var failure = results.failure
        if failure == nil, let pull, !jobs.isEmpty {
            do {
                try pull.write(jobs.indices.map { results.prediction($0, job: jobs[$0], scorer: scorer, classes: classes) })
            } catch {
                // The pull sink failing fails these jobs, not the run.
                failure = "pull sink: \((error as? RTMLError)?.message ?? "\(error)")"
            }
        }
        if let push {
            if failure == nil {
                line.removeAll(keepingCapacity: true)
                formatter.lines(jobs, batch: results, into: &line)
                try push.write(line)
            }
            try push.flush()
        }
        if let failure {
            let now = EventNormalizer.nowMillis()
            for job in jobs {
                if job.attempt >= maxAttempts {
                    stats.failed += 1
                } else {
                    stats.deadLettered += 1
                    try deadLetter?.write(job, reason: failure, now: now)
                }
            }
        } else {
            stats.served += jobs.count
            let coldStart = results.coldStart
            for j in jobs.indices where coldStart[j] { stats.coldStart += 1 }
        }
        try deadLetter?.flush()
        let end = Monotonic.nanoseconds()
        for start in batch.starts { stats.latency.record(microseconds: (end - start) / 1000) }
    }

    /// Pushes out whatever the writers hold.
    func flushOutputs() throws {
        try push?.flush()
        try deadLetter?.flush()
    }
}
