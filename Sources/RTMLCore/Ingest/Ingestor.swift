/// Settings of the ingest stage.
public struct IngestOptions: Sendable {
    public var maxLineBytes = 1 << 20
    public var maxDepth = 64
    public var dedupeWindowMillis: Int64 = 86_400_000
    public var dedupeCapacity = 4_000_000
    public var receivedAtDefault: ReceivedAtDefault = .now
    /// A live pipe: push buffered output on when the input is quiet this
    /// long, so a trickle of events is not held back (nil: only when full).
    public var idleFlushSeconds: Double? = nil
    /// Keep only this partition's users; the other lines are counted as skipped.
    public var partition: UserPartition?

    public init() {}
}

/// The receiver stage: raw event lines in, canonical events out.
///
/// Each line ends up accepted (written to `output`), rejected (written to
/// `rejects` with its reason) or counted as a duplicate; nothing else.
public final class Ingestor {
    public private(set) var stats = IngestStats()
    /// Called for each rejection (e.g. to print the first few to stderr).
    public var onReject: ((String, InputLine, Rejection) -> Void)?

    private let options: IngestOptions
    private let output: OutputWriter
    private let rejects: RejectsWriter
    private let progress: ProgressLine?
    private var normalizer: EventNormalizer
    private var deduplicator: Deduplicator
    private let started = Monotonic.now()
    private var keyReader = PartitionKeyReader()

    public init(options: IngestOptions, output: OutputWriter, rejects: RejectsWriter, progress: ProgressLine? = nil) {
        self.options = options
        self.output = output
        self.rejects = rejects
        self.progress = progress
        normalizer = EventNormalizer(receivedAtDefault: options.receivedAtDefault, maxDepth: options.maxDepth)
        deduplicator = Deduplicator(windowMillis: options.dedupeWindowMillis, capacity: options.dedupeCapacity)
        stats.dedupeWindowMillis = options.dedupeWindowMillis
        stats.partition = options.partition
    }

    /// Reads one input to its end. A read error (damaged gzip, unreadable
    /// file) is recorded in the stats and rethrown after every line before it
    /// has been processed; errors from the outputs propagate as they are.
    public func ingest(_ source: InputSource) throws {
        let reader = LineReader(source: source, maxLineBytes: options.maxLineBytes)
        var sourceStats = IngestStats.SourceStats(source: source.displayName)
        defer {
            sourceStats.lines = reader.linesRead
            sourceStats.bytes = reader.bytesRead
            sourceStats.gzip = reader.wasGzip
            stats.sources.append(sourceStats)
            finishCounters()
        }
        // The per-line state lives in locals for the loop: class properties
        // would cost a dynamic exclusivity check on every access.
        var normalizer = self.normalizer
        var deduplicator = self.deduplicator
        var counts = self.stats
        defer {
            self.normalizer = normalizer
            self.deduplicator = deduplicator
            self.stats = counts
        }
        do {
            let output = self.output
            try reader.forEachLine(idleTimeout: options.idleFlushSeconds, onIdle: { try output.flush() }) { line in
                try process(line, source: source, &normalizer, &deduplicator, &counts)
            }
        } catch let error as RTMLError {
            sourceStats.error = error.message
            throw error
        }
    }

    @inline(__always)
    private func process(_ line: InputLine, source: InputSource, _ normalizer: inout EventNormalizer,
                         _ deduplicator: inout Deduplicator, _ stats: inout IngestStats) throws {
        if line.isOversize {
            stats.read += 1
            if let partition = options.partition, partition.index != 0 {
                stats.skipped += 1
                return
            }
            try reject(line, source, Rejection(.lineTooLong, "line is \(line.length) bytes, longer than --max-line-bytes \(options.maxLineBytes)"), &stats)
            return
        }
        if JSONAccess.isBlank(line.bytes) {
            stats.blank += 1
            return
        }
        stats.read += 1
        progress?.tick(stats.read)
        let accepted: EventNormalizer.Accepted
        do {
            accepted = try normalizer.normalize(line.bytes, prefetch: { deduplicator.prefetch($0) })
        } catch {
            if let partition = options.partition,
               keyReader.partition(ofLine: line.bytes, count: partition.count).index != partition.index {
                stats.skipped += 1
                return
            }
            try reject(line, source, error, &stats)
            return
        }
        // Before deduplication: another partition's ids need no memory here.
        if let partition = options.partition, normalizer.entityPartition(count: partition.count) != partition.index {
            stats.skipped += 1
            return
        }
        if deduplicator.isDuplicate(accepted.dedupeKey, eventTime: accepted.eventTime) {
            stats.duplicates += 1
            return
        }
        try normalizer.writeCanonical(to: output)
        stats.accepted += 1
        if let event = accepted.event {
            stats.acceptedByEvent[event.index] += 1
        } else {
            stats.otherEvents += 1
        }
    }

    private func reject(_ line: InputLine, _ source: InputSource, _ rejection: Rejection, _ stats: inout IngestStats) throws {
        stats.rejected += 1
        stats.rejectedByReason[rejection.reason, default: 0] += 1
        try rejects.write(source: source.displayName, line: line, rejection: rejection)
        onReject?(source.displayName, line, rejection)
    }

    private func finishCounters() {
        stats.derivedMessageIds = normalizer.derivedMessageIds
        stats.derivedTimestamps = normalizer.derivedTimestamps
        stats.addedReceivedAt = normalizer.addedReceivedAt
        stats.dedupeKeysHeld = deduplicator.count
        stats.dedupeEvictedForCapacity = deduplicator.evictedForCapacity
        stats.elapsedSeconds = Monotonic.now() - started
    }
}
