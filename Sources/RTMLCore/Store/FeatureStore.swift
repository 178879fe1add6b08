import Foundation
import GRDB

/// One SQLite feature store: the online features, their history, the event
/// history, dense ids, predictions and featurize's checkpoint.
///
/// A store opened for writing holds one connection and is used from one
/// thread; write through ``transaction(_:)``, one micro-batch per call.
/// Any number of other processes or instances may read at the same time
/// (WAL mode): they see the last committed micro-batch. docs/store.md
/// describes the schema and the rules.
public final class FeatureStore {
    public enum CreateMode: Sendable {
        /// Open the store, creating it when the file is missing or empty.
        case createIfMissing
        /// Open an existing store; a missing file is an error.
        case mustExist
        /// Create a new store; an existing file is an error.
        case mustCreate
    }

    /// The store's file, as given.
    public let path: String
    /// The UUID made when the store was created.
    public let storeId: String
    /// The store's `schema_version` (this binary writes ``currentSchemaVersion``).
    public let schemaVersion: Int
    public let isReadOnly: Bool
    /// `meta.sequence_map_fingerprint`: as read at open, and kept current by
    /// every commit of this instance.
    public internal(set) var sequenceMapFingerprint: String

    /// The schema version this binary creates, and the newest it opens.
    public static let currentSchemaVersion = StoreSchema.version
    /// The writer connection's page cache (`PRAGMA cache_size`: negative is KiB): 64 MiB.
    static let writerCacheSize = -65536
    /// The page cache (KiB) while the read indexes are built: the size of the sorter's lists.
    static let indexBuildCacheKiB = 4096
    /// WAL pages after which a commit checkpoints (featurize's writer hands
    /// this to a `BackgroundCheckpointer`): 64 MiB of 4 KiB pages.
    static let walAutocheckpointPages: Int32 = 16384
    /// How long a connection waits for another one's lock before failing, by default.
    public static let defaultBusyTimeout: Double = 5

    let queue: DatabaseQueue
    let busyTimeout: Double
    var isClosed = false
    var isInTransaction = false

    // Writer state, cached in memory across transactions.
    var statements: WriteStatements?
    var userIds = DenseIdMap()
    var itemIds = DenseIdMap()
    var idsLoaded = false
    var fingerprint = SequenceMapFingerprint()
    var fingerprintDirty = false
    /// Per user: where the latest history row's vectors are (see `insertHistory`).
    var vectorRefs: [String: VectorRef] = [:]
    /// Whether `vectorRefs` holds every user's (loaded by one scan, then kept current).
    var vectorRefsLoaded = false
    var nextHistoryRowId: Int64?

    private init(path: String, queue: DatabaseQueue, meta: [String: String], readOnly: Bool, busyTimeout: Double) {
        self.path = path
        self.queue = queue
        self.isReadOnly = readOnly
        self.busyTimeout = busyTimeout
        self.storeId = meta["store_id"] ?? ""
        self.schemaVersion = Int(meta["schema_version"] ?? "") ?? 0
        self.sequenceMapFingerprint = meta["sequence_map_fingerprint"] ?? SequenceMapFingerprint().hex
    }

    deinit {
        if !isClosed {
            let statements = self.statements
            queue.inDatabase { _ in statements?.finalizeAll() }
        }
    }

    // MARK: Opening

    /// Opens a store for writing (and reading).
    ///
    /// - Parameters:
    ///   - color: `blue` or `green`. Recorded in a new store, or in an old
    ///     one that has none; a store with another color is refused.
    ///   - busyTimeout: seconds to wait for another connection's lock.
    public static func open(
        path: String, mode: CreateMode = .createIfMissing, color: String? = nil,
        busyTimeout: Double = defaultBusyTimeout
    ) throws -> FeatureStore {
        if let color, color != "blue", color != "green" {
            throw RTMLError.usage("store color must be 'blue' or 'green', not '\(color)'")
        }
        let file = StoreFile.inspect(path)
        switch (mode, file) {
        case (_, .directory):
            throw RTMLError("\(path): is a directory, not a store")
        case (.mustExist, .missing):
            throw RTMLError("\(path): no such store")
        case (.mustCreate, .empty), (.mustCreate, .nonEmpty):
            throw RTMLError("\(path): already exists; refusing to create a store over it")
        default:
            break
        }

        SQLiteSetup.apply()
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            // NORMAL in WAL mode syncs at checkpoints, not at each commit: a
            // killed process loses nothing committed (the WAL is in the OS's
            // page cache); only a power cut can lose the last commits, never
            // corrupt the file. docs/store.md says more.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The history and events indexes take inserts at random users: a
            // larger cache keeps their pages in memory, and a larger WAL
            // between checkpoints copies each hot page to the file once per
            // checkpoint instead of once per commit.
            try db.execute(sql: "PRAGMA cache_size = \(writerCacheSize)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(walAutocheckpointPages)")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw StoreErrors.opening(path, error, busyTimeout: busyTimeout)
        }

        do {
            let meta: [String: String] = try queue.writeWithoutTransaction { db in
                var tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                if tables.isEmpty {
                    if mode == .mustExist {
                        throw RTMLError("\(path): not an rtml store (the database is empty)")
                    }
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                    try create(db, color: color)
                    tables = ["meta"]
                }
                var meta = try readMeta(db, path: path, tables: tables)
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                // Fail now, with a clear message, when another writer holds the store.
                try db.execute(sql: "BEGIN IMMEDIATE")
                defer { try? db.execute(sql: "ROLLBACK") }
                var changed = false
                if let color {
                    if let stored = meta["color"], stored != color {
                        throw RTMLError("\(path): store is \(stored), not \(color)")
                    }
                    if meta["color"] == nil {
                        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('color', ?)", arguments: [color])
                        meta["color"] = color
                        changed = true
                    }
                }
                // A writer keeps the store at the schema it writes (StoreUpgrade.swift).
                if let version = Int(meta["schema_version"] ?? ""), version < StoreSchema.version {
                    try upgradeOneToTwo(db, path: path)
                    meta["schema_version"] = String(StoreSchema.version)
                    changed = true
                }
                if changed { try db.execute(sql: "COMMIT") }
                return meta
            }
            return FeatureStore(path: path, queue: queue, meta: meta, readOnly: false, busyTimeout: busyTimeout)
        } catch {
            try? queue.close()
            throw StoreErrors.opening(path, error, busyTimeout: busyTimeout)
        }
    }

    /// Opens a store for reading only: what serve-once, train and diff use
    /// while featurize may be writing.
    ///
    /// - Parameter acceptNewerSchema: open a store whose schema version is
    ///   newer than this binary's (diff reads any store as plain tables and
    ///   reports the version as a difference); others refuse it.
    public static func openReadOnly(
        path: String, busyTimeout: Double = defaultBusyTimeout, acceptNewerSchema: Bool = false
    ) throws -> FeatureStore {
        switch StoreFile.inspect(path) {
        case .directory: throw RTMLError("\(path): is a directory, not a store")
        case .missing: throw RTMLError("\(path): no such store")
        case .empty: throw RTMLError("\(path): not an rtml store (the file is empty)")
        case .nonEmpty: break
        }
        SQLiteSetup.apply()
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw StoreErrors.opening(path, error, busyTimeout: busyTimeout)
        }
        do {
            let meta = try queue.read { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                return try readMeta(db, path: path, tables: tables, acceptNewer: acceptNewerSchema)
            }
            return FeatureStore(path: path, queue: queue, meta: meta, readOnly: true, busyTimeout: busyTimeout)
        } catch {
            try? queue.close()
            throw StoreErrors.opening(path, error, busyTimeout: busyTimeout)
        }
    }

    private static func create(_ db: Database, color: String?) throws {
        try db.inTransaction(.immediate) {
            for sql in StoreSchema.createStatements {
                try db.execute(sql: sql)
            }
            let nowMs = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
            var meta: [(String, String)] = [
                ("schema_version", String(StoreSchema.version)),
                ("store_id", UUID().uuidString.lowercased()),
                ("created_at", EventTime.formatRFC3339(nowMs)),
                ("sequence_map_fingerprint", SequenceMapFingerprint().hex),
                ("rtml_version", RTMLVersion.string),
            ]
            if let color { meta.append(("color", color)) }
            for (key, value) in meta {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
            return .commit
        }
    }

    private static func readMeta(_ db: Database, path: String, tables: [String], acceptNewer: Bool = false) throws -> [String: String] {
        guard tables.contains("meta") else {
            throw RTMLError("\(path): not an rtml store (no meta table)")
        }
        var meta: [String: String] = [:]
        do {
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") {
                if let key = row[0] as String?, let value = row[1] as String? { meta[key] = value }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            throw RTMLError("\(path): not an rtml store (meta has no key and value columns)")
        }
        guard let versionText = meta["schema_version"], meta["store_id"] != nil else {
            throw RTMLError("\(path): not an rtml store (meta has no schema_version or store_id)")
        }
        guard let version = Int(versionText), version >= 1 else {
            throw RTMLError("\(path): corrupt store: schema_version '\(versionText)' is not a version number")
        }
        if version > StoreSchema.version && !acceptNewer {
            throw RTMLError(
                "\(path): store schema version \(version) is newer than this rtml \(RTMLVersion.string) supports (\(StoreSchema.version)); use a newer rtml")
        }
        return meta
    }

    /// Finalises the prepared statements and closes the connection.
    public func close() throws {
        guard !isClosed else { return }
        guard !isInTransaction else {
            throw RTMLError("\(path): cannot close the store inside its own transaction")
        }
        let statements = self.statements
        self.statements = nil
        queue.inDatabase { _ in statements?.finalizeAll() }
        isClosed = true
        do {
            try queue.close()
        } catch {
            throw StoreErrors.reading(path, error, table: nil, busyTimeout: busyTimeout)
        }
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try reading("meta") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
        }
    }

    /// All meta keys and values.
    public func allMeta() throws -> [String: String] {
        try reading("meta") { db in
            var meta: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") { meta[row[0]] = row[1] }
            return meta
        }
    }

    /// Sets a meta key in its own transaction (not for the keys the store keeps itself).
    public func setMeta(_ key: String, _ value: String) throws {
        if ["schema_version", "store_id", "sequence_map_fingerprint", "color"].contains(key) {
            throw RTMLError("\(path): meta key '\(key)' is kept by the store and cannot be set")
        }
        try guardWritable()
        try writing("meta") { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    // MARK: Plumbing

    func guardUsable() throws {
        if isClosed { throw RTMLError("\(path): the store is closed") }
        if isInTransaction {
            throw RTMLError("\(path): the store cannot be read or written directly inside its own transaction; use the batch")
        }
    }

    func guardWritable() throws {
        if isReadOnly { throw RTMLError("\(path): the store was opened read-only") }
    }

    /// Runs a read in one consistent snapshot, mapping SQLite errors to RTMLError.
    func reading<T>(_ table: String?, _ body: (Database) throws -> T) throws -> T {
        try guardUsable()
        do {
            return try queue.read(body)
        } catch {
            throw StoreErrors.reading(path, error, table: table, busyTimeout: busyTimeout)
        }
    }

    func writing<T>(_ table: String?, _ body: (Database) throws -> T) throws -> T {
        try guardUsable()
        do {
            return try queue.write(body)
        } catch {
            throw StoreErrors.writing(path, error, table: table, busyTimeout: busyTimeout)
        }
    }

    /// Reads with GRDB in one consistent snapshot of the store (for SQL the
    /// typed methods do not cover: training sets, diff). Do not call other
    /// methods of this store inside `body`.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try reading(nil, body)
    }
}

/// What is at a store's path before it is opened.
enum StoreFile {
    case missing, directory, empty, nonEmpty

    static func inspect(_ path: String) -> StoreFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        if isDirectory.boolValue { return .directory }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return size == 0 ? .empty : .nonEmpty
    }
}
