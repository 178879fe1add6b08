/// What `rtml diff` compares and how strictly.
public struct DiffOptions: Sendable {
    /// Tables compared when `--tables` is not given: every table rtml owns
    /// except featurize's checkpoint (its contents are featurize's own).
    public static let defaultTables = [
        "meta", "features", "feature_history", "user_windows", "events",
        "sequence_ids", "item_ids", "predictions",
    ]
    /// Tables that can be named with `--tables`.
    public static let ownedTables = defaultTables + ["checkpoint", "state_users", "state_windows"]
    /// meta keys that name a store rather than describe its data: shown, never a difference.
    public static let identityMetaKeys: Set<String> = ["store_id", "created_at", "color", "rtml_version"]
    /// Tables whose columns get distribution statistics (PSI, KS, mean shift).
    public static let driftTables: Set<String> = ["features"]
    /// Tables whose BLOB columns hold float32 vectors.
    public static let vectorTables: Set<String> = ["features", "feature_history"]

    public var tables: [String] = DiffOptions.defaultTables
    /// Only these columns (of any table) are compared; nil compares all. Keys are always read.
    public var columns: Set<String>? = nil
    public var tolerance = Tolerance()
    /// Whether to compute PSI and KS (one sorted read per feature column per store).
    public var drift = true
    /// Changed rows kept per table for the text summary.
    public var examples = 5
    public var busyTimeout: Double = FeatureStore.defaultBusyTimeout
    /// How many numbers per store the drift statistics may hold in memory
    /// (8 bytes each; 4M = 32 MB a store). Columns are read and sorted in
    /// memory in batches that fit; a single column larger than this is
    /// sorted by SQLite instead (spilling to temporary files), so memory
    /// stays bounded whatever the store's size.
    public var sortBudget = 4_000_000

    public init() {}
}

/// When two numbers count as equal: `|a - b| <= abs` or `|a - b| <= rel * max(|a|, |b|)`.
/// Both zero (the default) means exactly equal. Vectors compare elementwise.
public struct Tolerance: Sendable {
    public var absolute: Double = 0
    public var relative: Double = 0

    public init(absolute: Double = 0, relative: Double = 0) {
        self.absolute = absolute
        self.relative = relative
    }

    @inline(__always) public func equal(_ a: Double, _ b: Double) -> Bool {
        if a == b { return true }
        let d = abs(a - b)
        return d <= absolute || d <= relative * max(abs(a), abs(b))
    }
}
