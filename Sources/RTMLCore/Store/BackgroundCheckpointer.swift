import Foundation
import GRDBSQLite

/// Copies the WAL's committed pages into the store's file on a thread of
/// its own while featurize's writer goes on writing.
///
/// In WAL mode every page is written twice: appended to the WAL at commit,
/// copied to the database file by a checkpoint. SQLite's automatic
/// checkpoint runs inside the commit that crosses `wal_autocheckpoint`, on
/// the writer's thread, which is featurize's busiest. A checkpoint may run
/// on another connection at the same time as a write transaction (SQLite
/// copies only committed frames and never the writer's), so here a second
/// connection does that work on the core the driver leaves idle.
///
/// The WAL restarts from its beginning only when a transaction begins after
/// a checkpoint copied all of it. `beforeTransaction` waits, once the WAL has
/// grown past `restartFrames`, until a checkpoint has covered every frame, so
/// it stays bounded (as with the automatic checkpoint) instead of growing to
/// the size of the store.
///
/// Kill-safety is SQLite's: a checkpoint interrupted at any point is
/// redone from the WAL by the next connection.
final class BackgroundCheckpointer: @unchecked Sendable {
    private var connection: OpaquePointer?
    private let condition = NSCondition()
    /// WAL frames after the last commit (from the writer's WAL hook).
    private var walFrames: Int32 = 0
    /// The WAL frames the last requested checkpoint was asked to copy.
    private var requestedFrames: Int32 = 0
    /// The WAL frames the last finished checkpoint was asked to copy.
    private var copiedFrames: Int32 = 0
    /// A checkpoint is requested and has not started.
    private var pending = false
    private var running = false
    private var stopping = false
    private var stopped = false
    private let restartFrames: Int32
    private let stepFrames: Int32
    /// CPU seconds of the checkpointing thread (set when it ends).
    private(set) var cpuSeconds = 0.0
    private(set) var checkpoints = 0
    /// Commits the WAL hook reported.
    private(set) var commits = 0
    /// `beforeTransaction` waited for a checkpoint of the whole WAL: the
    /// next commit starts it again from its beginning.
    private var restartExpected = false
    /// Counts WAL restarts: a checkpoint that started before one says nothing of the new frames.
    private var generation = 0

    /// Opens the second connection and starts its thread.
    /// A checkpoint starts when the WAL has grown by `stepFrames` since the
    /// last one started (not at every commit: a live trickle commits every few
    /// milliseconds, and each checkpoint syncs the file); the writer waits
    /// for one before its next transaction once the WAL holds `restartFrames`.
    init(path: String, restartFrames: Int32, stepFrames: Int32) throws {
        self.restartFrames = restartFrames
        self.stepFrames = max(1, stepFrames)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            sqlite3_close_v2(db)
            throw RTMLError("\(path): cannot open a checkpoint connection: \(message)")
        }
        sqlite3_busy_timeout(db, 5000)
        // A connection learns that the file is in WAL mode when it first
        // reads it; until then a checkpoint on it does nothing.
        guard sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil) == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            throw RTMLError("\(path): cannot read the store from a checkpoint connection: \(message)")
        }
        connection = db
        let thread = Thread { [self] in self.main() }
        thread.name = "rtml-checkpoint"
        thread.start()
    }

    /// The writer connection's WAL hook: a transaction committed and the WAL holds `frames`.
    func committed(walFrames frames: Int32) {
        condition.lock()
        defer { condition.unlock() }
        commits += 1
        if frames < walFrames || restartExpected {
            // The commit restarted the WAL from its beginning (SQLite does so
            // whenever a transaction begins on a WAL checkpointed to its end).
            requestedFrames = 0
            copiedFrames = 0
            generation += 1
        }
        restartExpected = false
        walFrames = frames
        if frames - requestedFrames >= stepFrames { request() }
    }

    private func request() {
        requestedFrames = walFrames
        pending = true
        condition.broadcast()
    }

    /// Called by the writer before it begins a transaction: when the WAL is
    /// past its bound, waits until a checkpoint has copied every commit, so
    /// this transaction can restart the WAL.
    func beforeTransaction() {
        condition.lock()
        defer { condition.unlock() }
        guard walFrames >= restartFrames else { return }
        // A checkpoint requested earlier may cover fewer frames than the WAL
        // holds now (commits below the step came after it): ask again
        // whenever none is pending or running until one has covered them all.
        while !stopped && copiedFrames < walFrames {
            if !pending && !running { request() }
            condition.wait()
        }
        restartExpected = true
    }

    /// Finishes the checkpoint in progress, ends the thread and closes the connection.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        sqlite3_close_v2(connection)
        connection = nil
    }

    private func main() {
        condition.lock()
        while true {
            while !pending && !stopping { condition.wait() }
            if stopping { break }
            pending = false
            running = true
            let target = requestedFrames
            let startedIn = generation
            condition.unlock()
            // PASSIVE: copies what it can without waiting for or blocking the
            // writer or readers; a busy WAL is simply left for the next round.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
            running = false
            // Frames the writer committed up to the request; a reader's
            // snapshot can hold a PASSIVE checkpoint back, and the writer
            // then goes on without the restart, as with SQLite's own.
            if generation == startedIn { copiedFrames = max(copiedFrames, target) }
            checkpoints += 1
            condition.broadcast()
        }
        cpuSeconds = StoreWriter.threadCPUSeconds()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

extension FeatureStore {
    /// Moves the writer connection's WAL checkpoints to a `BackgroundCheckpointer`
    /// until `stopBackgroundCheckpoints` (featurize's writer thread, while it writes).
    func startBackgroundCheckpoints(
        restartFrames: Int32 = walAutocheckpointPages, stepFrames: Int32 = walAutocheckpointPages / 4
    ) throws -> BackgroundCheckpointer {
        try guardUsable()
        try guardWritable()
        let checkpointer = try BackgroundCheckpointer(path: path, restartFrames: restartFrames, stepFrames: stepFrames)
        let context = Unmanaged.passUnretained(checkpointer).toOpaque()
        queue.inDatabase { db in
            // Installing a WAL hook replaces SQLite's automatic checkpoint on this connection.
            _ = sqlite3_wal_hook(db.sqliteConnection, { context, _, _, frames in
                Unmanaged<BackgroundCheckpointer>.fromOpaque(context!).takeUnretainedValue().committed(walFrames: frames)
                return SQLITE_OK
            }, context)
        }
        return checkpointer
    }

    /// Gives the writer connection its automatic checkpoint back and stops the checkpointer.
    func stopBackgroundCheckpoints(_ checkpointer: BackgroundCheckpointer) {
        queue.inDatabase { db in
            _ = sqlite3_wal_autocheckpoint(db.sqliteConnection, Self.walAutocheckpointPages)
        }
        checkpointer.stop()
    }
}
