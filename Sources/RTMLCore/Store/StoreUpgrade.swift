import GRDB

/// Brings a store written by an older rtml to the schema this one writes.
///
/// Version 1 kept each accepted event twice: a row of `events` and the
/// `feature_history` row the event made, two tables and two read indexes
/// for the same one-row-per-event data. Version 2 keeps the event's own
/// columns in its history row and makes `events` a view with the same
/// columns, so readers see no difference and featurize writes and indexes
/// one table (docs/store.md, "Schema versions").
extension FeatureStore {
    /// Upgrades a version 1 store, inside the transaction that opens it for
    /// writing (`open`): nothing changes when it fails. Readers do not
    /// upgrade: a version 1 store stays readable as it is.
    static func upgradeOneToTwo(_ db: Database, path: String) throws {
        // Each events row was written in the same transaction as its
        // history row, in the same order, so their row_ids pair up; a store
        // edited by hand may not, and then nothing is moved.
        let unpaired = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM events e LEFT JOIN feature_history h ON h.row_id = e.row_id
            WHERE h.row_id IS NULL OR h.user_id IS NOT e.user_id OR h.event_ts IS NOT e.event_ts
              OR h.updated_at IS NOT e.received_at OR h.last_event IS NOT e.event
            """) ?? 0
        guard unpaired == 0 else {
            throw RTMLError(
                "\(path): cannot upgrade the store from schema version 1: \(unpaired) rows of events have no matching feature_history row (same row_id, user, time and event); rebuild it with rtml featurize")
        }
        for column in StoreSchema.eventColumns {
            try db.execute(sql: "ALTER TABLE feature_history ADD COLUMN \(column.name) \(column.type)")
        }
        let names = StoreSchema.eventColumns.map(\.name).joined(separator: ", ")
        try db.execute(sql: """
            UPDATE feature_history SET (\(names)) = (SELECT \(names) FROM events e WHERE e.row_id = feature_history.row_id)
            WHERE row_id IN (SELECT row_id FROM events)
            """)
        try db.execute(sql: "DROP INDEX IF EXISTS events_user_time")
        try db.execute(sql: "DROP TABLE events")
        try db.execute(sql: StoreSchema.eventsViewSQL)
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'schema_version'", arguments: [String(StoreSchema.version)])
    }
}
