import Foundation
import GRDB

/// The featurize stage: canonical events in, features into a SQLite store,
/// prediction jobs out, exactly once across crashes.
///
/// Events are processed one at a time in arrival order by the
/// `FeatureEngine`; a micro-batch only decides when results are committed,
/// so the store never depends on batch size. Each commit writes, in one
/// transaction, the batch's history and event rows, changed online rows,
/// finalised windows, new sequence ids, the engine's changed state and the
/// input position. A run started again on the same input and store skips the
/// lines already committed and continues from the restored state.
///
/// Jobs and rejects of a batch are written and flushed before its commit, so
/// none is lost to a crash; a batch that was not committed is processed again
/// and its jobs and rejects appear again (at-least-once for those streams;
/// job ids are deterministic, so consumers can drop repeats).
public final class Featurizer {
    public private(set) var stats = FeaturizeStats()

    private let options: FeaturizeOptions
    private let store: FeatureStore
    private let engine: FeatureEngine
    private let jobs: OutputWriter
    private let rejects: RejectsWriter
    private let progress: ProgressLine?
    /// Called (on the store's writer thread) after each commit with the
    /// number of jobs this run wrote whose batches are committed: the jobs
    /// whose features a reader of the store now sees.
    public var onJobsCommitted: (@Sendable (Int) -> Void)?
    /// Jobs written by this run (the stats count includes a resumed run's).
    private var jobsWritten = 0
    /// Called for each rejection (e.g. to print the first few to stderr).
    public var onReject: ((String, InputLine, Rejection) -> Void)?

    // The input position: lines across all inputs, in order.
    private var lineNumber = 0
    /// Lines the store has committed: the ones after `stateLines` up to
    /// here are re-read to rebuild the engine's state, writing nothing.
    private var skipThrough = 0
    /// Lines the engine's restored state covers (`state_position`).
    private var stateLines = 0
    /// Whether the lines being read are re-read to rebuild the state.
    private var recovering = false
    private var linesAtState = 0
    private var stateTime = Monotonic.now()
    private var resumeIdentity: Hash128?
    private var identity = Hash128(high: 0, low: 0)
    private var finished = false
    /// The store's writer thread, started at the first commit.
    private var writer: StoreWriter?
    /// Whether the store's checkpoint had open windows as rows of
    /// `state_windows` (an older rtml's format): the first commit deletes
    /// them and rewrites every user's state with its windows.
    private var hadWindowRows = false

    // The pending micro-batch.
    private var pendingLines = 0
    private var history: [PackedFeatureRow] = []
    /// Content ids of this run's accepted events, and those first seen in
    /// the pending micro-batch: the writer looks up (or assigns) the dense
    /// item id of each content once per run, not once per event.
    private var seenItems = Set<String>()
    private var newItems: [String] = []
    private var events = HistoryEvents()
    private var users = Set<String>()
    private let started = Monotonic.now()
    private var parser = FeatureEventParser()
    private var keyReader = PartitionKeyReader()
    private var ignoredBefore = 0
    private var jobLine: [UInt8] = []

    /// Opens the engine from the store's checkpoint (or fresh).
    public init(options: FeaturizeOptions, store: FeatureStore, embeddings: TermEmbeddings,
                jobs: OutputWriter, rejects: RejectsWriter, progress: ProgressLine? = nil) throws {
        self.options = options
        self.store = store
        self.jobs = jobs
        self.rejects = rejects
        self.progress = progress
        stats.store = store.path

        let configJSON = Self.describe(options.config)
        if let saved = try store.meta("feature_config") {
            guard saved == configJSON else {
                throw RTMLError("\(store.path): the store was built with features \(saved); this run asks for \(configJSON) (use another store, or the same flags)")
            }
        } else {
            try store.setMeta("feature_config", configJSON)
        }

        if let position = try store.checkpoint("position") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(position)) as? [String: Any],
                  let lines = object["lines"] as? Int,
                  let high = (object["input_high"] as? String).flatMap({ UInt64($0, radix: 16) }),
                  let low = (object["input_low"] as? String).flatMap({ UInt64($0, radix: 16) })
            else {
                throw RTMLError("\(store.path): the featurize checkpoint is unreadable")
            }
            resumeIdentity = Hash128(high: high, low: low)
            skipThrough = lines
            if let global = try store.checkpoint("engine") {
                let windows = try store.allWindowStates()
                hadWindowRows = !windows.isEmpty
                engine = try FeatureEngine.restore(
                    config: options.config, embeddings: embeddings, global: global,
                    users: try store.allUserStates(), windows: windows)
                if hadWindowRows { engine.markAllUsersDirty() }
                // A store from before state checkpoints had its state at every commit.
                if let statePosition = try store.checkpoint("state_position") {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(statePosition)) as? [String: Any],
                          let covered = object["lines"] as? Int, covered <= lines
                    else {
                        throw RTMLError("\(store.path): the featurize state checkpoint is unreadable")
                    }
                    stateLines = covered
                } else {
                    stateLines = lines
                }
            } else {
                // Rows committed before the run's first state checkpoint was:
                // the state is rebuilt from the first line.
                engine = FeatureEngine(config: options.config, embeddings: embeddings)
                stateLines = 0
            }
            linesAtState = stateLines
            finished = object["finished"] as? Bool ?? false
            stats.restore(from: object["stats"] as? [String: Any] ?? [:])
            ignoredBefore = stats.ignoredProperties
        } else {
            engine = FeatureEngine(config: options.config, embeddings: embeddings)
        }
        // Open windows are checkpointed inside the user states (takeDirtyUserCheckpoints).
        engine.tracksDirtyWindows = false
        engine.tracksTouchedUsers = true
    }

    /// The feature settings as recorded in the store's meta.
    static func describe(_ c: FeatureConfig) -> String {
        JSONValue.object([
            ("window", .string(DurationText.format(millis: c.windowMillis))),
            ("slide", .string(DurationText.format(millis: c.slideMillis))),
            ("window_offset", .string(DurationText.format(millis: c.windowOffsetMillis))),
            ("watermark", .string(DurationText.format(millis: c.watermarkDelayMillis))),
            ("session_gap", .string(DurationText.format(millis: c.sessionGapMillis))),
            ("bounce_threshold", .string(DurationText.format(millis: c.bounceThresholdMillis))),
            ("search_memory", .string(DurationText.format(millis: c.searchMemoryMillis))),
            ("embedding_dimensions", .int(c.embeddingDimensions)),
        ]).rendered()
    }

    /// Reads every input in order, committing a micro-batch every
    /// `batchEvents` lines and whenever a live input goes quiet.
    public func run(_ sources: [InputSource]) throws {
        do {
            for source in sources {
                let reader = LineReader(source: source, maxLineBytes: options.maxLineBytes)
                try reader.forEachLine(idleTimeout: options.batchInterval, onIdle: {
                    if pendingLines > 0 { try commit() }
                }) { line in
                    try handle(line, source: source)
                }
            }
            if recovering {
                throw RTMLError("\(store.path): the input ended at line \(lineNumber), but the store has committed \(skipThrough) lines of it: give featurize the same input the store was built from")
            }
            let alreadyFinished = finished
            if options.flushAtEnd {
                engine.flushAll()
                finished = true
            }
            if pendingLines > 0 || (finished && !alreadyFinished) {
                try commit()
            }
            try finishWriter()
            stats.driverCPUSeconds = StoreWriter.threadCPUSeconds()
        } catch {
            // Commit what was handed over (its jobs are out), then report the error.
            _ = try? writer?.finish()
            writer = nil
            throw error
        }
        // A finished store gets its read indexes, built once from the whole
        // tables rather than maintained under every insert (docs/store.md).
        if finished {
            let start = Monotonic.now()
            try store.buildReadIndexes()
            stats.indexSeconds = Monotonic.now() - start
        }
        finishStats()
    }

    private func finishWriter() throws {
        guard let writer else { return }
        let (cpu, transactions) = try writer.finish()
        stats.storeThreadCPUSeconds = cpu
        stats.storeCPUByPart = StoreWriter.Part.allCases.map { ($0.rawValue, writer.cpuByPart[$0.index]) }
        stats.storeWaitSeconds = writer.driverWaitSeconds
        stats.checkpointThreadCPUSeconds = writer.checkpointerCPU
        stats.transactions = transactions
        stats.sqliteMultithread = SQLiteSetup.configured
        self.writer = nil
    }

    private func handle(_ line: InputLine, source: InputSource) throws {
        lineNumber += 1
        if lineNumber == 1 {
            identity = Hash128(line.bytes)
            if let resumeIdentity, resumeIdentity != identity {
                // Another input than the checkpoint's: new data for this store,
                // unless the state is behind the committed rows and only that
                // input can bring it level.
                if stateLines < skipThrough {
                    throw RTMLError("\(store.path): the last featurize run into this store stopped at line \(skipThrough) of another input (its state is saved as of line \(stateLines)); run it again with that input to finish it, then give this one")
                }
                skipThrough = 0
                stateLines = 0
                linesAtState = 0
            }
            if skipThrough > 0 { stats.resumedAtLine = skipThrough }
            recovering = stateLines < skipThrough
        }
        if lineNumber <= stateLines { return }
        if lineNumber <= skipThrough {
            // Committed already: only the engine's state needs it.
            try recover(line)
            return
        }
        if case .afterLine(let n)? = options.killPoint, lineNumber == n + 1 { Self.killSelf() }
        pendingLines += 1
        try process(line, source: source)
        if pendingLines >= options.batchEvents { try commit() }
    }

    private func process(_ line: InputLine, source: InputSource) throws {
        if line.isOversize {
            stats.read += 1
            if let partition = options.partition, partition.index != 0 {
                stats.skipped += 1
                return
            }
            try reject(line, source, Rejection(.lineTooLong, "line is \(line.length) bytes, longer than --max-line-bytes \(options.maxLineBytes)"))
            return
        }
        if JSONAccess.isBlank(line.bytes) {
            stats.blank += 1
            return
        }
        stats.read += 1
        progress?.tick(stats.read)
        let event: FeatureEvent
        do {
            event = try parser.parse(line.bytes)
        } catch {
            if let partition = options.partition,
               keyReader.partition(ofLine: line.bytes, count: partition.count).index != partition.index {
                stats.skipped += 1
                return
            }
            try reject(line, source, error)
            return
        }
        if let partition = options.partition, !partition.contains(key: event.userId) {
            stats.skipped += 1
            return
        }
        switch engine.process(event) {
        case .late(let watermark):
            stats.late += 1
            try reject(line, source, Rejection(.late, "event time \(EventTime.formatRFC3339(event.eventTime)) is behind the watermark \(EventTime.formatRFC3339(max(0, watermark))): all its windows are final"))
        case .accepted(let row, let trigger):
            stats.accepted += 1
            history.append(row)
            events.append(event)
            if let content = event.contentId, seenItems.insert(content).inserted { newItems.append(content) }
            if let trigger, options.triggers.contains(trigger) {
                try writeJob(event, trigger: trigger, line: line.bytes)
            }
        }
    }

    /// Runs a committed line through the engine to rebuild its state: its
    /// rows, windows, jobs and rejects are in the store and the outputs
    /// already, so nothing it makes is kept.
    private func recover(_ line: InputLine) throws {
        if !line.isOversize, !JSONAccess.isBlank(line.bytes),
           let event = try? parser.parse(line.bytes),
           options.partition?.contains(key: event.userId) ?? true {
            _ = engine.process(event)
        }
        if lineNumber == skipThrough {
            _ = engine.takeFinalWindowList()
            _ = engine.takeChangedOnlineRows()
            _ = engine.takeTouchedUsers()
            parser.resetIgnoredProperties()
            recovering = false
        }
    }

    private func reject(_ line: InputLine, _ source: InputSource, _ rejection: Rejection) throws {
        stats.rejected += 1
        stats.rejectedByReason[rejection.reason, default: 0] += 1
        try rejects.write(source: source.displayName, line: line, rejection: rejection)
        onReject?(source.displayName, line, rejection)
    }

    /// `{"jobId":...,"userId":...,"trigger":...,"eventTime":...,"emittedAt":...,"attempt":1,"messageId":...}`,
    /// plus the event's replay stamp when it has one (`ReplayStamp`, docs/replay.md).
    private func writeJob(_ event: FeatureEvent, trigger: String, line: UnsafeRawBufferPointer) throws {
        stats.jobs += 1
        jobsWritten += 1
        stats.jobsByTrigger[trigger, default: 0] += 1
        // Built in a local array moved out of the property and back: appending
        // to a class's stored array checks exclusive access on every call.
        var out: [UInt8] = []
        swap(&out, &jobLine)
        defer { swap(&out, &jobLine) }
        // The job id: Hash128 of messageId, 0x1F, trigger (UTF-8), its first 20 hex digits.
        out.removeAll(keepingCapacity: true)
        Self.appendUTF8(event.messageId, to: &out)
        out.append(0x1F)
        Self.appendUTF8(trigger, to: &out)
        let id = out.withUnsafeBytes { Hash128($0) }
        out.removeAll(keepingCapacity: true)
        Self.appendLiteral(#"{"jobId":"j-"#, to: &out)
        Self.appendHex(id.high, digits: 16, to: &out)
        Self.appendHex(id.low, digits: 4, to: &out)
        Self.appendLiteral(#"","userId":"#, to: &out)
        JSONString.appendQuoted(event.userId, to: &out)
        Self.appendLiteral(#","trigger":"#, to: &out)
        JSONString.appendQuoted(trigger, to: &out)
        Self.appendLiteral(#","eventTime":""#, to: &out)
        Self.appendTime(event.eventTime, to: &out)
        Self.appendLiteral(#"","emittedAt":""#, to: &out)
        Self.appendTime(EventNormalizer.nowMillis(), to: &out)
        Self.appendLiteral(#"","attempt":1,"messageId":"#, to: &out)
        JSONString.appendQuoted(event.messageId, to: &out)
        ReplayStamp.carry(from: line, to: &out)
        Self.appendLiteral("}\n", to: &out)
        try jobs.write(out)
    }

    /// The first `digits` hex digits (lowercase) of `value`, most significant first.
    @inline(__always)
    private static func appendHex(_ value: UInt64, digits: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { hex in
            for i in 0..<digits {
                let nibble = UInt8((value >> UInt64(60 - 4 * i)) & 0xF)
                hex[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: hex[0..<digits]))
        }
    }

    /// A literal's bytes in one copy (not the generic append of a String's UTF-8 view).
    @inline(__always)
    private static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A string's UTF-8 bytes in one copy.
    @inline(__always)
    private static func appendUTF8(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    /// `EventTime.formatRFC3339`, written straight into the line.
    @inline(__always)
    private static func appendTime(_ millis: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: EventTime.canonicalLength) { text in
            EventTime.formatRFC3339(millis, into: UnsafeMutableRawPointer(text.baseAddress!))
            out.append(contentsOf: text)
        }
    }

    /// Commits the pending micro-batch (and the engine's progress) in one transaction.
    private func commit() throws {
        // Emission order is user_windows' key order (window_start, user_id, event): appends.
        let windows = engine.takeFinalWindowList()
        let online = engine.takeChangedOnlineRows()
        // Users first seen this run, in first-event order: the writer looks
        // up (or assigns) their dense ids once.
        var newUsers: [String] = []
        for user in engine.takeTouchedUsers() where users.insert(user).inserted {
            stats.usersTouched += 1
            newUsers.append(user)
        }
        // The state goes with some commits only: encoding and rewriting every
        // changed user at every commit cost more than the rows did.
        let linesNow = max(lineNumber, skipThrough)
        let withState = finished || hadWindowRows || linesNow - linesAtState >= options.stateEveryLines
            || Monotonic.now() - stateTime >= options.stateEverySeconds
        var dirtyUsers: [(userId: String, state: [UInt8]?)] = []
        var state: (global: [UInt8], position: [UInt8])?
        if withState {
            dirtyUsers = engine.takeDirtyUserCheckpoints()
            state = (engine.encodeGlobalState(), Array(JSONValue.object([("lines", .int(linesNow))]).rendered().utf8))
            linesAtState = linesNow
            stateTime = Monotonic.now()
        }
        stats.ignoredProperties = ignoredBefore + parser.ignoredProperties
        stats.historyRows += history.count
        stats.windowsWritten += windows.count
        stats.microBatches += 1

        // Jobs and rejects leave before the commit: a crash now repeats them, never loses them.
        try jobs.flush()
        try rejects.flush()
        if case .beforeCommit(let n)? = options.killPoint, stats.microBatches == n { Self.killSelf() }

        let position = JSONValue.object([
            ("lines", .int(linesNow)),
            ("input_high", .string(String(identity.high, radix: 16))),
            ("input_low", .string(String(identity.low, radix: 16))),
            ("finished", .bool(finished)),
            ("stats", stats.checkpointJSON),
        ]).rendered()

        var writes = BatchWrites(
            number: stats.microBatches, lines: max(1, pendingLines), events: events, history: history,
            users: newUsers, items: newItems,
            online: online, windows: windows, userStates: dirtyUsers,
            state: state, position: Array(position.utf8))
        writes.jobsThrough = jobsWritten
        if writer == nil {
            // The read indexes go while featurize writes; they are built when its input ends.
            let store = self.store
            writer = StoreWriter(store: store, maxQueuedLines: max(options.batchEvents, options.writerQueueLines),
                                 clearWindowRows: hadWindowRows,
                                 beforeFirst: { try store.dropReadIndexes() }, onCommitted: onJobsCommitted)
            hadWindowRows = false
        }
        try writer!.submit(writes)
        if case .afterCommit(let n)? = options.killPoint, stats.microBatches == n {
            try writer!.waitCommitted(through: n)
            Self.killSelf()
        }
        history = []
        events = HistoryEvents()
        newItems = []
        history.reserveCapacity(min(options.batchEvents, 1 << 16))
        events.reserveCapacity(min(options.batchEvents, 1 << 16))
        pendingLines = 0
    }

    private func finishStats() {
        stats.elapsedSeconds = Monotonic.now() - started
        stats.usersInMemory = engine.userCount
        stats.openWindows = engine.openWindowCount
        stats.watermark = engine.watermark
        stats.usersInStore = (try? store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM features") ?? 0 }) ?? 0
    }

    static func killSelf() -> Never {
        kill(getpid(), SIGKILL)
        while true { pause() }
    }
}
