/// The feature columns of the store's `features` and `feature_history`
/// tables, in order: the single list both the feature code and the store use.
public enum FeatureSchema {
    public enum ColumnType: String, Sendable {
        case integer = "INTEGER"
        case real = "REAL"
        case text = "TEXT"
        /// A vector of little-endian float32 (the search embedding), not a scalar.
        case vector = "BLOB"
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: ColumnType
    }

    /// Every feature column (without `user_id`, `event_ts`, `updated_at`).
    public static let columns: [Column] = {
        var columns: [Column] = [
            Column(name: "session_sleep_starts", type: .integer),
            Column(name: "session_sleep_bounces", type: .integer),
            Column(name: "session_sleep_bounce_rate", type: .real),
            Column(name: "search_embedding", type: .vector),
        ]
        for category in ContentCategory.allCases {
            columns.append(Column(name: "search_affinity_\(category.name)", type: .real))
        }
        columns += [
            Column(name: "steps_slope_10m", type: .real),
            Column(name: "steps_mean_10m", type: .real),
            Column(name: "heart_rate_slope_10m", type: .real),
            Column(name: "heart_rate_mean_10m", type: .real),
        ]
        for category in ContentCategory.allCases {
            columns.append(Column(name: "starts_\(category.name)_10m", type: .integer))
        }
        for category in ContentCategory.allCases {
            columns.append(Column(name: "completes_\(category.name)_10m", type: .integer))
        }
        columns += [
            Column(name: "last_event", type: .text),
            Column(name: "last_event_ts", type: .integer),
        ]
        return columns
    }()

    /// Position of a column by name.
    public static func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

/// One value of a feature column.
public enum FeatureValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case vector([Float])
}

extension FeatureValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .vector: "vector"
        }
    }
}

/// A user's features as of one event time: a row of `features` or `feature_history`.
public struct FeatureRow: Sendable, Equatable {
    public var userId: String
    /// Event time of the latest event the values include (epoch ms).
    public var eventTs: Int64
    /// Arrival time (receivedAt, epoch ms) of that event: when the online
    /// system learned the values. Deterministic, unlike a wall clock, so a
    /// re-run makes the same store.
    public var updatedAt: Int64
    /// Values aligned with `FeatureSchema.columns`.
    public var values: [FeatureValue]

    public init(userId: String, eventTs: Int64, updatedAt: Int64, values: [FeatureValue]) {
        self.userId = userId
        self.eventTs = eventTs
        self.updatedAt = updatedAt
        self.values = values
    }
}

/// A finalised per-window count, as Spark's
/// `groupBy(userId, event, window(...)).count()` writes it in append mode.
public struct WindowCount: Sendable, Equatable, Hashable {
    public var userId: String
    public var event: String
    /// Window bounds, epoch ms, half-open `[start, end)`.
    public var windowStart: Int64
    public var windowEnd: Int64
    public var count: Int64

    public init(userId: String, event: String, windowStart: Int64, windowEnd: Int64, count: Int64) {
        self.userId = userId
        self.event = event
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.count = count
    }
}
