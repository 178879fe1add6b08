import Foundation
import GRDB

extension FeatureStore {
    private static var featureSelectList: String {
        (["user_id"] + StoreSchema.featureColumns.map { StoreSchema.quoted($0.name) } + ["event_ts", "updated_at"])
            .joined(separator: ", ")
    }

    /// The user's online features (the `features` row), or nil.
    public func features(forUser userId: String) throws -> FeatureRow? {
        try reading("features") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.featureSelectList) FROM features WHERE user_id = ?", arguments: [userId]
            ).map(Self.decodeFeatureRow)
        }
    }

    /// The user's features as of `time` (epoch ms): the latest history row
    /// with `event_ts <= time`, the later-inserted one among equal times,
    /// with vectors resolved. Nil when the user has no row that early.
    public func historyAsOf(userId: String, time: Int64) throws -> FeatureRow? {
        try reading("feature_history") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.featureSelectList) FROM feature_history_full
                    WHERE user_id = ? AND event_ts <= ? ORDER BY event_ts DESC, row_id DESC LIMIT 1
                    """,
                arguments: [userId, time]
            ).map(Self.decodeFeatureRow)
        }
    }

    /// Every history row of a user in insertion order, vectors resolved.
    public func history(forUser userId: String) throws -> [FeatureRow] {
        try reading("feature_history") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.featureSelectList) FROM feature_history_full WHERE user_id = ? ORDER BY row_id",
                arguments: [userId]
            ).map(Self.decodeFeatureRow)
        }
    }

    /// The user's finalised windows, by event then start.
    public func windows(forUser userId: String) throws -> [WindowCount] {
        try reading("user_windows") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT user_id, event, window_start, window_end, n FROM user_windows WHERE user_id = ? ORDER BY event, window_start",
                arguments: [userId]
            ).map { WindowCount(userId: $0[0], event: $0[1], windowStart: $0[2], windowEnd: $0[3], count: $0[4]) }
        }
    }

    /// The user's stored events in event-time order (ties by insertion).
    public func events(forUser userId: String) throws -> [StoredEvent] {
        try reading("events") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_id, event, event_ts, received_at, message_id, content_id, category,
                      duration_sec, position_sec, rating
                    FROM events WHERE user_id = ? ORDER BY event_ts, row_id
                    """,
                arguments: [userId]
            ).map {
                StoredEvent(
                    userId: $0[0], event: $0[1], eventTs: $0[2], receivedAt: $0[3], messageId: $0[4],
                    contentId: $0[5], category: $0[6], durationSec: $0[7], positionSec: $0[8], rating: $0[9])
            }
        }
    }

    /// The user's sequence id, when one was assigned (reads the table; does not assign).
    public func sequenceId(forUser userId: String) throws -> Int64? {
        try reading("sequence_ids") { db in
            try Int64.fetchOne(db, sql: "SELECT seq_id FROM sequence_ids WHERE user_id = ?", arguments: [userId])
        }
    }

    /// The content's item id, when one was assigned (reads the table; does not assign).
    public func itemId(forContent contentId: String) throws -> Int64? {
        try reading("item_ids") { db in
            try Int64.fetchOne(db, sql: "SELECT seq_id FROM item_ids WHERE content_id = ?", arguments: [contentId])
        }
    }

    /// The fingerprint computed from the `sequence_ids` and `item_ids` rows
    /// now in the file (a full scan), to check `meta` against.
    public func recomputeSequenceMapFingerprint() throws -> String {
        try reading("sequence_ids") { db in
            var print = SequenceMapFingerprint()
            let users = try Row.fetchCursor(db, sql: "SELECT user_id, seq_id FROM sequence_ids")
            while let row = try users.next() { print.add(kind: .user, key: row[0], seqId: row[1]) }
            let items = try Row.fetchCursor(db, sql: "SELECT content_id, seq_id FROM item_ids")
            while let row = try items.next() { print.add(kind: .item, key: row[0], seqId: row[1]) }
            return print.hex
        }
    }

    public func prediction(forUser userId: String, model: String) throws -> StoredPrediction? {
        try reading("predictions") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT user_id, model, version, job_id, items, cold_start, event_time, predicted_at
                    FROM predictions WHERE user_id = ? AND model = ?
                    """,
                arguments: [userId, model]
            ).map {
                StoredPrediction(
                    userId: $0[0], model: $0[1], version: $0[2], jobId: $0[3], itemsJSON: $0[4],
                    coldStart: ($0[5] as Int64) != 0, eventTime: $0[6], predictedAt: $0[7])
            }
        }
    }

    // MARK: Checkpoint

    public func checkpoint(_ key: String) throws -> [UInt8]? {
        try reading("checkpoint") { db in
            try Row.fetchOne(db, sql: "SELECT value FROM checkpoint WHERE key = ?", arguments: [key])
                .map { Self.bytes($0[0]) }
        }
    }

    /// Every user's engine state, by user id.
    public func allUserStates() throws -> [(String, [UInt8])] {
        try reading("state_users") { db in
            try Row.fetchAll(db, sql: "SELECT user_id, state FROM state_users ORDER BY user_id")
                .map { ($0[0], Self.bytes($0[1])) }
        }
    }

    /// Every open window's count, by user, event and start.
    public func allWindowStates() throws -> [(userId: String, event: String, windowStart: Int64, count: Int64)] {
        try reading("state_windows") { db in
            try Row.fetchAll(
                db, sql: "SELECT user_id, event, window_start, n FROM state_windows ORDER BY user_id, event, window_start"
            ).map { (userId: $0[0], event: $0[1], windowStart: $0[2], count: $0[3]) }
        }
    }

    // MARK: Decoding

    private static func bytes(_ value: DatabaseValue) -> [UInt8] {
        switch value.storage {
        case .blob(let data): [UInt8](data)
        case .string(let s): Array(s.utf8)
        default: []
        }
    }

    static func decodeFeatureRow(_ row: Row) -> FeatureRow {
        let columns = StoreSchema.featureColumns
        var values: [FeatureValue] = []
        values.reserveCapacity(columns.count)
        for (k, column) in columns.enumerated() {
            values.append(decodeValue(row[k + 1], column.type))
        }
        return FeatureRow(userId: row[0], eventTs: row[columns.count + 1], updatedAt: row[columns.count + 2], values: values)
    }

    static func decodeValue(_ value: DatabaseValue, _ type: FeatureSchema.ColumnType) -> FeatureValue {
        switch value.storage {
        case .null: return .null
        case .int64(let v): return type == .real ? .real(Double(v)) : .integer(v)
        case .double(let v):
            if type == .integer, let exact = Int64(exactly: v) { return .integer(exact) }
            return .real(v)
        case .string(let s): return .text(s)
        case .blob(let data): return .vector(decodeVector(data))
        }
    }

    /// Little-endian float32s to `[Float]`; a trailing partial float is ignored.
    static func decodeVector(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { i in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
    }
}
