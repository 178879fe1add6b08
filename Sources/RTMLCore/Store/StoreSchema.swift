/// The SQL of the feature store: tables, indexes, the history view and the
/// statements the hot path reuses. docs/store.md describes every part.
///
/// Built from `FeatureSchema.columns`, so adding a feature adds a column to
/// `features` and `feature_history` without touching this file.
enum StoreSchema {
    /// The version this binary writes and the newest it can read.
    /// Version 1 kept accepted events in a table of their own beside
    /// `feature_history`; version 2 keeps them in the history row each
    /// event made (`StoreUpgrade` moves a version 1 store's events over).
    static let version = 2

    static let featureColumns = FeatureSchema.columns
    /// The columns' types alone, for the write path's loops (no strings to retain).
    static let featureTypes: [FeatureSchema.ColumnType] = featureColumns.map(\.type)
    /// `last_event`: in a row an event made, that event's name (the `events` view's `event`).
    static let lastEventIndex = FeatureSchema.index(of: "last_event")!

    /// Indices (into `featureColumns`) of the vector columns: in history each
    /// is stored only when it changed, with a `<name>_row` pointer beside it.
    static let vectorColumnIndices: [Int] = featureColumns.indices.filter { featureColumns[$0].type == .vector }

    static func rowPointerName(_ vectorColumn: String) -> String { "\(vectorColumn)_row" }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private static var featureColumnDefinitions: [String] {
        featureColumns.map { "\(quoted($0.name)) \($0.type.rawValue)" }
    }

    /// `features` and `feature_history` column names between `user_id` and `event_ts`.
    static var historyFeatureColumnNames: [String] {
        var names: [String] = []
        for column in featureColumns {
            names.append(column.name)
            if column.type == .vector { names.append(rowPointerName(column.name)) }
        }
        return names
    }

    static var createStatements: [String] {
        var sql: [String] = []
        sql.append("CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")

        sql.append("""
            CREATE TABLE features (
              user_id TEXT PRIMARY KEY NOT NULL,
              \(featureColumnDefinitions.joined(separator: ",\n  ")),
              event_ts INTEGER NOT NULL,
              updated_at INTEGER NOT NULL
            )
            """)

        var historyColumns: [String] = []
        for column in featureColumns {
            historyColumns.append("\(quoted(column.name)) \(column.type.rawValue)")
            if column.type == .vector {
                historyColumns.append("\(quoted(rowPointerName(column.name))) INTEGER")
            }
        }
        sql.append("""
            CREATE TABLE feature_history (
              row_id INTEGER PRIMARY KEY,
              user_id TEXT NOT NULL,
              \(historyColumns.joined(separator: ",\n  ")),
              event_ts INTEGER NOT NULL,
              updated_at INTEGER NOT NULL,
              \(eventColumnDefinitions.joined(separator: ",\n  "))
            )
            """)

        // The view resolves each vector through its pointer: one self-join per vector column.
        var selected: [String] = ["h.row_id", "h.user_id"]
        var joins: [String] = []
        for (k, column) in featureColumns.enumerated() {
            if column.type == .vector {
                let alias = "v\(k)"
                selected.append("\(alias).\(quoted(column.name)) AS \(quoted(column.name))")
                joins.append("LEFT JOIN feature_history \(alias) ON \(alias).row_id = h.\(quoted(rowPointerName(column.name)))")
            } else {
                selected.append("h.\(quoted(column.name))")
            }
        }
        selected += ["h.event_ts", "h.updated_at"]
        sql.append("""
            CREATE VIEW feature_history_full AS
            SELECT \(selected.joined(separator: ", "))
            FROM feature_history h
            \(joins.joined(separator: "\n"))
            """)

        // Keyed by window start first: featurize finalises windows in
        // (window_start, user_id, event) order, so its inserts append to the
        // B-tree instead of landing on random leaves. The key is the same set
        // of columns, so a window written twice is still refused.
        sql.append("""
            CREATE TABLE user_windows (
              user_id TEXT NOT NULL,
              event TEXT NOT NULL,
              window_start INTEGER NOT NULL,
              window_end INTEGER NOT NULL,
              n INTEGER NOT NULL,
              PRIMARY KEY (window_start, user_id, event)
            ) WITHOUT ROWID
            """)

        sql.append(eventsViewSQL)

        sql.append("CREATE TABLE sequence_ids (user_id TEXT PRIMARY KEY NOT NULL, seq_id INTEGER NOT NULL UNIQUE)")
        sql.append("CREATE TABLE item_ids (content_id TEXT PRIMARY KEY NOT NULL, seq_id INTEGER NOT NULL UNIQUE)")

        sql.append("""
            CREATE TABLE predictions (
              user_id TEXT NOT NULL,
              model TEXT NOT NULL,
              version INTEGER NOT NULL,
              job_id TEXT,
              items TEXT NOT NULL,
              cold_start INTEGER NOT NULL,
              event_time INTEGER,
              predicted_at INTEGER NOT NULL,
              PRIMARY KEY (user_id, model)
            ) WITHOUT ROWID
            """)

        sql.append("CREATE TABLE checkpoint (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)")
        sql.append("CREATE TABLE state_users (user_id TEXT PRIMARY KEY NOT NULL, state BLOB NOT NULL)")
        sql.append("""
            CREATE TABLE state_windows (
              user_id TEXT NOT NULL,
              event TEXT NOT NULL,
              window_start INTEGER NOT NULL,
              n INTEGER NOT NULL,
              PRIMARY KEY (user_id, event, window_start)
            ) WITHOUT ROWID
            """)
        return sql
    }

    /// The read indexes of `feature_history` and `events`: per-user lookups
    /// in event-time order (point-in-time reads, a user's events).
    ///
    /// They are not created with the tables. Maintained under inserts for
    /// random users they cost most of the write time (every commit rewrites
    /// the index pages it touched, thousands for a batch); built once from
    /// the finished tables they cost a sort. featurize drops them while it
    /// writes and builds them when its input ends (docs/store.md).
    ///
    /// SQLite appends the rowid (row_id) to every index entry, so each is
    /// ordered by (user_id, event_ts, row_id) without storing row_id twice.
    ///
    /// Version 2 has one: `events` is a view of `feature_history`, so the
    /// history index serves a user's events too.
    static let readIndexes: [(name: String, sql: String)] = [
        ("feature_history_user_time", "CREATE INDEX IF NOT EXISTS feature_history_user_time ON feature_history(user_id, event_ts)"),
    ]

    /// What a history row records of the event that made it, besides
    /// `user_id`, `last_event` (the event's name), `event_ts` and
    /// `updated_at` (its receivedAt). NULL in a row no event made.
    static let eventColumns: [(name: String, type: String)] = [
        ("message_id", "TEXT"), ("content_id", "TEXT"), ("category", "TEXT"),
        ("duration_sec", "REAL"), ("position_sec", "REAL"), ("rating", "REAL"),
    ]

    private static var eventColumnDefinitions: [String] { eventColumns.map { "\($0.name) \($0.type)" } }

    /// The accepted events, one per history row an event made, in processing
    /// order: the columns version 1's `events` table had, so readers do not
    /// care which version they read.
    static let eventsViewSQL = """
        CREATE VIEW events AS
        SELECT row_id, user_id, last_event AS event, event_ts, updated_at AS received_at,
          message_id, content_id, category, duration_sec, position_sec, rating
        FROM feature_history WHERE message_id IS NOT NULL
        """

    /// Every user's latest history row's vector pointers, by one scan in
    /// row_id order (the last row per user wins).
    static var allHistoryPointersSQL: String {
        let pointers = vectorColumnIndices.map { quoted(rowPointerName(featureColumns[$0].name)) }
        return "SELECT user_id\(pointers.map { ", " + $0 }.joined()) FROM feature_history ORDER BY row_id"
    }

    // MARK: Statements of the write path

    static var upsertFeaturesSQL: String {
        let names = featureColumns.map { quoted($0.name) } + ["event_ts", "updated_at"]
        let placeholders = Array(repeating: "?", count: names.count + 1).joined(separator: ", ")
        let updates = names.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO features (user_id, \(names.joined(separator: ", "))) VALUES (\(placeholders))
            ON CONFLICT(user_id) DO UPDATE SET \(updates)
            WHERE excluded.event_ts >= features.event_ts
            """
    }

    /// Rows per multi-row INSERT of the append-only tables: one statement
    /// execution (and its fixed cost in SQLite, about as much as a row's
    /// own work) per this many rows.
    static let rowsPerInsert = 64

    /// `INSERT INTO table (columns) VALUES (?, ...), ...` with `rows` rows.
    static func insertSQL(_ table: String, _ columns: [String], rows: Int = 1) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// Built once: the history insert binds by this width for every statement.
    static let historyInsertColumns: [String] = {
        ["row_id", "user_id"] + historyFeatureColumnNames.map(quoted) + ["event_ts", "updated_at"] + eventColumns.map(\.name)
    }()
    static let windowInsertColumns = ["user_id", "event", "window_start", "window_end", "n"]

    static var insertHistorySQL: String { insertSQL("feature_history", historyInsertColumns) }
    static var insertWindowSQL: String { insertSQL("user_windows", windowInsertColumns) }

    static let insertSequenceIdSQL = "INSERT INTO sequence_ids (user_id, seq_id) VALUES (?, ?)"
    static let insertItemIdSQL = "INSERT INTO item_ids (content_id, seq_id) VALUES (?, ?)"

    static let upsertCheckpointSQL =
        "INSERT INTO checkpoint (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
    static let upsertUserStateSQL =
        "INSERT INTO state_users (user_id, state) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET state = excluded.state"
    static let deleteUserStateSQL = "DELETE FROM state_users WHERE user_id = ?"
    static let upsertWindowStateSQL = """
        INSERT INTO state_windows (user_id, event, window_start, n) VALUES (?, ?, ?, ?)
        ON CONFLICT(user_id, event, window_start) DO UPDATE SET n = excluded.n
        """
    static let deleteWindowStateSQL = "DELETE FROM state_windows WHERE user_id = ? AND event = ? AND window_start = ?"

    static let upsertPredictionSQL = """
        INSERT INTO predictions (user_id, model, version, job_id, items, cold_start, event_time, predicted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(user_id, model) DO UPDATE SET version = excluded.version, job_id = excluded.job_id,
          items = excluded.items, cold_start = excluded.cold_start, event_time = excluded.event_time,
          predicted_at = excluded.predicted_at
        WHERE excluded.predicted_at >= predictions.predicted_at
        """

    static func vectorAtRowSQL(_ vectorIndex: Int) -> String {
        "SELECT \(quoted(featureColumns[vectorIndex].name)) FROM feature_history WHERE row_id = ?"
    }

    static let maxHistoryRowIdSQL = "SELECT coalesce(max(row_id), 0) FROM feature_history"
}
