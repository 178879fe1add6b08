/// The pull sink: predictions upserted into a store's `predictions` table,
/// newest per user and model, one transaction per batch.
public final class PullSink {
    public let path: String
    private let store: FeatureStore

    /// `createIfMissing` for a separate `--predictions-db`; the feature
    /// store itself must exist.
    public init(path: String, createIfMissing: Bool) throws {
        self.path = path
        store = try FeatureStore.open(path: path, mode: createIfMissing ? .createIfMissing : .mustExist)
    }

    public func write(_ predictions: [Prediction]) throws {
        guard !predictions.isEmpty else { return }
        var items: [UInt8] = []
        try store.transaction { batch in
            for p in predictions {
                items.removeAll(keepingCapacity: true)
                p.itemsJSON(into: &items)
                try batch.upsertPrediction(StoredPrediction(
                    userId: p.userId, model: p.model, version: Int64(p.version ?? 0), jobId: p.jobId,
                    itemsJSON: String(decoding: items, as: UTF8.self), coldStart: p.coldStart,
                    eventTime: p.eventTime, predictedAt: p.predictedAt))
            }
        }
    }

    public func close() throws { try store.close() }
}

/// Jobs that could not be served, as NDJSON a later serve-once can read
/// again: the job's fields with `attempt` + 1, the `reason` and `failedAt`;
/// a line that was not a job keeps its text in `raw`.
public final class DeadLetterWriter {
    private let writer: OutputWriter
    private var line: [UInt8] = []

    public init(path: String) throws {
        writer = try OutputWriter(path: path, append: true)
    }

    public func write(_ job: PredictionJob, reason: String, now: Int64) throws {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: #"{"jobId":"#.utf8)
        JSONString.appendQuoted(job.jobId, to: &line)
        line.append(contentsOf: #","userId":"#.utf8)
        JSONString.appendQuoted(job.userId, to: &line)
        if let trigger = job.trigger {
            line.append(contentsOf: #","trigger":"#.utf8)
            JSONString.appendQuoted(trigger, to: &line)
        }
        line.append(contentsOf: #","eventTime":"#.utf8)
        JSONString.appendQuoted(job.eventTimeText, to: &line)
        if let emitted = job.emittedAt {
            line.append(contentsOf: #","emittedAt":"#.utf8)
            JSONString.appendQuoted(emitted, to: &line)
        }
        finish(attempt: job.attempt + 1, reason: reason, now: now)
        try writer.write(line)
    }

    public func writeMalformed(_ raw: UnsafeRawBufferPointer, attempt: Int, reason: String, now: Int64) throws {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: #"{"raw":"#.utf8)
        JSONString.appendQuoted(String(decoding: raw, as: UTF8.self), to: &line)
        finish(attempt: attempt + 1, reason: reason, now: now)
        try writer.write(line)
    }

    private func finish(attempt: Int, reason: String, now: Int64) {
        line.append(contentsOf: #","attempt":\#(attempt),"reason":"#.utf8)
        JSONString.appendQuoted(reason, to: &line)
        line.append(contentsOf: #","failedAt":""#.utf8)
        line.append(contentsOf: EventTime.formatRFC3339(now).utf8)
        line.append(contentsOf: "\"}\n".utf8)
    }

    public func flush() throws { try writer.flush() }
    public func close() throws { try writer.close() }
}
