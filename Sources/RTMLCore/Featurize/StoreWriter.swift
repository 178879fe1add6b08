import Foundation

/// One micro-batch's writes, handed by the featurize driver to the store's
/// writer thread: its rows, the engine's changed state and the checkpoint
/// that covers them.
struct BatchWrites {
    /// The micro-batch's number in this run (1, 2, ...).
    var number: Int
    /// Input lines the batch covers (at least 1), for the queue's bound.
    var lines: Int
    /// Jobs this run wrote up to and including this batch's.
    var jobsThrough = 0
    /// Row i of `history`'s event at i.
    var events: HistoryEvents
    var history: [PackedFeatureRow]
    /// Users and contents of `events` first seen this run, in the order
    /// they first appear: whose dense ids to look up, or assign in that order.
    var users: [String]
    var items: [String]
    var online: [PackedFeatureRow]
    var windows: FinalWindows
    /// Changed user states, each with its open windows (`takeDirtyUserCheckpoints`),
    /// when the batch checkpoints the engine's state; empty otherwise.
    var userStates: [(userId: String, state: [UInt8]?)]
    /// The engine's global state and the input lines it covers (`state_position`),
    /// when the batch checkpoints the state.
    var state: (global: [UInt8], position: [UInt8])?
    var position: [UInt8]
}

/// The store's writer thread: SQLite on one core while the driver reads,
/// parses and runs the engine on the other.
///
/// The driver hands each micro-batch over after flushing its jobs and
/// rejects, so they are out before the transaction that commits the batch.
/// The writer commits whatever is queued when it is free in one transaction
/// (group commit), the checkpoint of the last batch in it: under load the
/// transactions grow to the queue's bound, which amortises SQLite's per-commit
/// page writes; on a trickle each batch commits as soon as it arrives. The
/// store then is exactly what one transaction per batch would make: rows in
/// the same order, ids in the same order, the same state.
///
/// The queue holds at most `maxQueuedLines` input lines (and always one
/// batch): `submit` waits when it is full, so memory stays bounded when
/// SQLite is the slower side. An error of the writer ends it; the next
/// `submit`, `waitCommitted` or `finish` throws it.
final class StoreWriter: @unchecked Sendable {
    private let store: FeatureStore
    private let maxQueuedLines: Int
    private let condition = NSCondition()
    private var queue: [BatchWrites] = []
    private var queuedLines = 0
    private var closed = false
    private var done = false
    private var failure: Error?
    private var committedThrough = 0
    /// Committed batches, for the driver to free.
    private var spent: [BatchWrites] = []
    /// Set once the writer thread ends.
    private var threadCPU = 0.0
    private var transactions = 0
    /// CPU seconds by part of the work, in `Part` order (read after `finish`).
    private(set) var cpuByPart = [Double](repeating: 0, count: Part.allCases.count)

    /// What a transaction's CPU time is spent on, for `--stats`.
    enum Part: String, CaseIterable {
        case fold = "fold", ids = "ids", history = "history", features = "features", windows = "windows"
        case state = "state", commit = "commit"

        var index: Int { Self.allCases.firstIndex(of: self)! }
    }
    /// Seconds the driver waited for room in the queue or for a commit.
    private(set) var driverWaitSeconds = 0.0
    /// Called on the writer thread after each commit with the jobs its
    /// batches wrote so far (`BatchWrites.jobsThrough`).
    private let onCommitted: (@Sendable (Int) -> Void)?
    /// Work the writer does once, in its first transaction's place.
    private var beforeFirst: (() throws -> Void)?

    /// Copies the WAL into the store on its own thread while this one writes.
    private var checkpointer: BackgroundCheckpointer?
    /// CPU seconds of the checkpoint thread (read after `finish`).
    private(set) var checkpointerCPU = 0.0

    /// Delete the `state_windows` rows of an older checkpoint format in the first transaction.
    private var clearWindowRows: Bool

    init(store: FeatureStore, maxQueuedLines: Int, clearWindowRows: Bool = false,
         beforeFirst: (() throws -> Void)? = nil, onCommitted: (@Sendable (Int) -> Void)? = nil) {
        self.store = store
        self.onCommitted = onCommitted
        self.clearWindowRows = clearWindowRows
        self.maxQueuedLines = max(1, maxQueuedLines)
        self.beforeFirst = beforeFirst
        let thread = Thread { [self] in self.main() }
        thread.name = "rtml-store-writer"
        thread.start()
    }

    /// Queues a batch, waiting while the queue is full.
    func submit(_ batch: BatchWrites) throws {
        let garbage = try enqueue(batch)
        _ = garbage.count  // committed batches die here, outside the lock, on the driver's core
    }

    private func enqueue(_ batch: BatchWrites) throws -> [BatchWrites] {
        condition.lock()
        defer { condition.unlock() }
        let start = Monotonic.now()
        while failure == nil && !queue.isEmpty && queuedLines + batch.lines > maxQueuedLines {
            condition.wait()
        }
        driverWaitSeconds += Monotonic.now() - start
        if let failure { throw failure }
        var garbage: [BatchWrites] = []
        swap(&garbage, &spent)
        queue.append(batch)
        queuedLines += batch.lines
        condition.broadcast()
        return garbage
    }

    /// Waits until batch `number` is committed.
    func waitCommitted(through number: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        let start = Monotonic.now()
        while failure == nil && committedThrough < number { condition.wait() }
        driverWaitSeconds += Monotonic.now() - start
        if let failure { throw failure }
    }

    /// Commits everything queued, ends the thread and returns its CPU seconds
    /// and the number of transactions; throws the writer's error if it had one.
    func finish() throws -> (cpuSeconds: Double, transactions: Int) {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        let start = Monotonic.now()
        while !done { condition.wait() }
        driverWaitSeconds += Monotonic.now() - start
        if let failure { throw failure }
        return (threadCPU, transactions)
    }

    private func main() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                stopCheckpoints()
                condition.lock()
                threadCPU = Self.threadCPUSeconds()
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batches = queue
            queue.removeAll(keepingCapacity: true)
            queuedLines = 0
            condition.broadcast()
            condition.unlock()
            do {
                if let first = beforeFirst {
                    beforeFirst = nil
                    try first()
                }
                if checkpointer == nil { checkpointer = try store.startBackgroundCheckpoints() }
                checkpointer!.beforeTransaction()
                try write(batches)
            } catch {
                stopCheckpoints()
                condition.lock()
                failure = error
                threadCPU = Self.threadCPUSeconds()
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            onCommitted?(batches[batches.count - 1].jobsThrough)
            condition.lock()
            committedThrough = batches[batches.count - 1].number
            transactions += 1
            // Freed by the driver at its next submit: its core has time to spare.
            spent.append(contentsOf: batches)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Ends background checkpoints (the writer connection checkpoints itself again).
    private func stopCheckpoints() {
        guard let checkpointer else { return }
        store.stopBackgroundCheckpoints(checkpointer)
        checkpointerCPU = checkpointer.cpuSeconds
        self.checkpointer = nil
    }

    /// The batches in one transaction. History rows (each with its event)
    /// go in in processing order (their row_id is that order); rows of tables keyed
    /// by user go in sorted by key, so SQLite walks each B-tree once in
    /// order instead of jumping between random leaves. Online rows and
    /// state of the same key across batches collapse to the one the last
    /// write would leave (the online upsert rule keeps the newest event
    /// time, ties to the later write, so the fold gives the same row).
    /// Finalised windows come in emission order, which is `user_windows`'
    /// key order (window_start, user_id, event) across batches too: appends.
    private func write(_ batches: [BatchWrites]) throws {
        var clock = Self.threadCPUSeconds()
        // Where each user's surviving online row is, not the row: a packed
        // row is 300 bytes with references the driver's core shares.
        var online: [String: (batch: Int, row: Int, eventTs: Int64)] = [:]
        online.reserveCapacity(batches.reduce(0) { $0 + $1.online.count })
        var userStates: [String: [UInt8]?] = [:]
        for (bi, b) in batches.enumerated() {
            b.online.withUnsafeBufferPointer { rows in
                for i in rows.indices {
                    let user = rows[i].userId, eventTs = rows[i].eventTs
                    if let kept = online[user], kept.eventTs > eventTs { continue }
                    online[user] = (bi, i, eventTs)
                }
            }
            for (user, state) in b.userStates { userStates[user] = .some(state) }
        }
        let last = batches[batches.count - 1]
        let state = batches.last { $0.state != nil }?.state
        let clearWindowRows = self.clearWindowRows
        self.clearWindowRows = false

        func spent(_ part: Part) {
            let now = Self.threadCPUSeconds()
            cpuByPart[part.index] += now - clock
            clock = now
        }
        spent(.fold)
        try store.transaction { batch in
            // Index loops over the arrays' buffers: rows are read in place, not copied (retained) first.
            // Ids are assigned in first-appearance order, then the rows go in in multi-row statements.
            for b in batches {
                for user in b.users { _ = try batch.sequenceId(forUser: user) }
                for content in b.items { _ = try batch.itemId(forContent: content) }
                spent(.ids)
                // One row per event: its features as of the event, and the event.
                try b.history.withUnsafeBufferPointer { try batch.insertHistory($0, events: b.events) }
                spent(.history)
            }
            for user in online.keys.sorted() {
                let at = online[user]!
                try batches[at.batch].online.withUnsafeBufferPointer { try batch.upsertFeatures($0.baseAddress! + at.row) }
            }
            spent(.features)
            for b in batches {
                try batch.insertWindows(b.windows)
            }
            spent(.windows)
            if clearWindowRows { try batch.deleteAllWindowStates() }
            for user in userStates.keys.sorted() { try batch.putUserState(user, userStates[user]!) }
            if let state {
                try batch.setCheckpoint("engine", state.global)
                try batch.setCheckpoint("state_position", state.position)
            }
            try batch.setCheckpoint("position", last.position)
            spent(.state)
        }
        spent(.commit)
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
