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

    var hasPull: Bool { pull != nil }

    /// Batches served since the last write, in order: their predictions go
    /// to the pull sink in one transaction (a failure there fails all of
    /// their jobs), then each batch's push lines and dead letters.
    func write(_ batches: [ServeBatch]) throws {
        var pullFailure: String?
        if let pull {
            var predictions: [Prediction] = []
            for batch in batches where batch.results.failure == nil {
                let jobs = batch.jobs
                for j in jobs.indices {
                    predictions.append(batch.results.prediction(j, job: jobs[j], scorer: scorer, classes: classes))
                }
            }
            if !predictions.isEmpty {
                do {
                    stats.pullCommits += 1
                    try pull.write(predictions)
                } catch {
                    // The pull sink failing fails these jobs, not the run.
                    pullFailure = "pull sink: \((error as? RTMLError)?.message ?? "\(error)")"
                }
            }
        }
        for batch in batches { try write(batch, pullFailure: pullFailure) }
    }

    private func write(_ batch: ServeBatch, pullFailure: String?) throws {
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
        let failure = results.failure ?? (jobs.isEmpty ? nil : pullFailure)
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
