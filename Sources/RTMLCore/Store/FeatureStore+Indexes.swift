import GRDB

/// The read indexes of `feature_history` and `events` (`StoreSchema.readIndexes`):
/// absent while featurize writes, built when it finishes. docs/store.md,
/// "Read indexes", describes the rule.
extension FeatureStore {
    /// The read indexes the store has now.
    public func readIndexes() throws -> [String] {
        try reading(nil) { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('feature_history_user_time', 'events_user_time') ORDER BY name")
        }
    }

    /// Whether both read indexes exist (point-in-time and per-user reads are indexed).
    public func hasReadIndexes() throws -> Bool {
        try readIndexes().count == StoreSchema.readIndexes.count
    }

    /// Creates the read indexes that are missing, in one transaction (needs a
    /// writable store). Building from the full tables is a sort: about a
    /// second of CPU per million rows for each.
    public func buildReadIndexes() throws {
        try guardWritable()
        try writing(nil) { db in
            // Let SQLite's sorter use a second thread for the index builds.
            try db.execute(sql: "PRAGMA threads = 2")
            // The sorter fills lists of up to cache_size of keys and hands
            // each full one to the second thread to sort while the first
            // goes on reading the table; a list as large as the table's keys
            // (1M rows are ~25 MB) leaves all the sorting to the end, on one
            // thread. 4 MiB lists: 1M rows indexed in 0.40 s instead of
            // 0.76 s at 32 MiB (sqlite3 shell, same file), and the sorter's
            // memory stays small whatever the table's size.
            try db.execute(sql: "PRAGMA cache_size = -\(FeatureStore.indexBuildCacheKiB)")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(FeatureStore.writerCacheSize)") }
            for index in StoreSchema.readIndexes {
                try db.execute(sql: index.sql)
            }
        }
    }

    /// Drops the read indexes (before a long run of inserts), in one transaction.
    public func dropReadIndexes() throws {
        try guardWritable()
        try writing(nil) { db in
            for index in StoreSchema.readIndexes {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)")
            }
        }
    }
}
