/// SQL that turns a store of this rtml into the schema version 1 layout an
/// older rtml wrote (accepted events in a table of their own, with its own
/// read index), so upgrade tests can start from one.
enum StoreVersions {
    static let downgradeToVersion1 = """
        BEGIN;
        DROP VIEW events;
        CREATE TABLE events (
          row_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, event TEXT NOT NULL, event_ts INTEGER NOT NULL,
          received_at INTEGER NOT NULL, message_id TEXT NOT NULL, content_id TEXT, category TEXT,
          duration_sec REAL, position_sec REAL, rating REAL);
        INSERT INTO events SELECT row_id, user_id, last_event, event_ts, updated_at, message_id, content_id,
          category, duration_sec, position_sec, rating FROM feature_history WHERE message_id IS NOT NULL;
        CREATE INDEX events_user_time ON events(user_id, event_ts);
        ALTER TABLE feature_history DROP COLUMN message_id;
        ALTER TABLE feature_history DROP COLUMN content_id;
        ALTER TABLE feature_history DROP COLUMN category;
        ALTER TABLE feature_history DROP COLUMN duration_sec;
        ALTER TABLE feature_history DROP COLUMN position_sec;
        ALTER TABLE feature_history DROP COLUMN rating;
        UPDATE meta SET value = '1' WHERE key = 'schema_version';
        COMMIT;
        """
}
