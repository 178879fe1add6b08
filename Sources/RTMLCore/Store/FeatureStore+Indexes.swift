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
            // The sorter keeps up to cache_size of keys in memory per thread
            // (three lists with two threads): at the writer's 64 MiB a
            // 4M-row table took 150 MB more than a 1M-row one at the end of
            // featurize. 32 MiB bounds it at about 100 MB whatever the
            // table's size, for the same sort time (measured on 1M and 4M rows).
            try db.execute(sql: "PRAGMA cache_size = -32768")
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
