/// Everything `rtml diff` found, for the formatters and the gates.
public struct DiffReport: Sendable {
    public var pathA: String
    public var pathB: String
    /// meta keys that name a store (store_id, color, ...): (key, a, b); never a difference.
    public var identity: [(key: String, a: String?, b: String?)] = []
    public var schema: [SchemaDifference] = []
    public var tables: [TableDiff] = []
    /// Present when sequence_ids or item_ids were compared.
    public var sequences: SequenceDiff?
    public var gates: [GateResult] = []

    /// True when the stores differ within the tolerance (schema or rows).
    public var hasDifferences: Bool {
        !schema.isEmpty || tables.contains { $0.hasDifferences }
    }

    public func table(_ name: String) -> TableDiff? { tables.first { $0.name == name } }
}

public struct SchemaDifference: Sendable, Equatable {
    public var table: String
    public var column: String?
    /// One lowercase phrase: "only in b", "type REAL in a, TEXT in b", ...
    public var what: String
}

/// How one table differs: keys only in A or B, rows changed, rows the same.
public struct TableDiff: Sendable {
    public var name: String
    public var keyColumns: [String]
    public var inA = true
    public var inB = true
    public var rowsA = 0
    public var rowsB = 0
    public var onlyInA = 0
    public var onlyInB = 0
    public var changed = 0
    public var same = 0
    public var columns: [ColumnDiff] = []
    /// The first few row differences, for the text summary.
    public var examples: [RowChange] = []
    /// Why the table's rows were not compared (e.g. different primary keys).
    public var skipped: String?

    public var keys: Int { onlyInA + onlyInB + changed + same }
    public var hasDifferences: Bool { onlyInA + onlyInB + changed > 0 }
    public func column(_ name: String) -> ColumnDiff? { columns.first { $0.name == name } }
}

public struct RowChange: Sendable {
    public enum Kind: String, Sendable { case onlyInA = "only_in_a", onlyInB = "only_in_b", changed }
    public var kind: Kind
    public var key: [DiffValue]
    /// For `changed`: the columns that differ, with both values.
    public var cells: [(column: String, a: DiffValue, b: DiffValue)] = []
}

/// One column's differences over the rows whose key is in both stores, and
/// (for features) the two distributions.
public struct ColumnDiff: Sendable {
    public enum Kind: String, Sendable { case numeric, text, vector, other }
    public var name: String
    public var typeA: String?
    public var typeB: String?
    public var kind: Kind
    public var isVector: Bool { kind == .vector }
    /// Rows with the key in both stores whose values differ beyond the tolerance.
    public var changed = 0
    /// Rows with the key in both stores.
    public var paired = 0
    /// Paired rows where both values are numbers (vectors: of equal length).
    public var numericPairs = 0
    public var maxAbsDiff = 0.0
    public var sumAbsDiff = 0.0
    public var meanAbsDiff: Double? { numericPairs > 0 ? sumAbsDiff / Double(numericPairs) : nil }
    /// Changed share of paired rows (the categorical "share that changed").
    public var changedShare: Double? { paired > 0 ? Double(changed) / Double(paired) : nil }
    public var drift: Drift?
}

/// Two distributions of one feature column, over all rows of each store.
public struct Drift: Sendable {
    public var countA = 0
    public var countB = 0
    public var nullsA = 0
    public var nullsB = 0
    public var sumA = 0.0
    public var sumB = 0.0
    public var meanA: Double? { countA > 0 ? sumA / Double(countA) : nil }
    public var meanB: Double? { countB > 0 ? sumB / Double(countB) : nil }
    /// mean(B) - mean(A) over the non-null values.
    public var meanShift: Double? {
        guard let a = meanA, let b = meanB else { return nil }
        return b - a
    }
    /// Population stability index (docs/diff.md: bins, epsilon, NULL bin).
    public var psi: Double?
    /// Two-sample Kolmogorov-Smirnov statistic over the non-null values.
    public var ks: Double?
    /// Bins used for PSI (after merging equal quantiles, plus a NULL bin).
    public var bins = 0
    /// Text columns: count per category in each store (bounded; nil when there were too many).
    var categoriesA: [String: Int]? = [:]
    var categoriesB: [String: Int]? = [:]
}

/// The stale-id hazard: users and items whose dense id differs between the stores.
public struct SequenceDiff: Sendable {
    /// Users in both stores whose seq_id differs: a model trained on A scores them as another user.
    public var remappedUsers = 0
    public var remappedItems = 0
    public var usersOnlyInA = 0
    public var usersOnlyInB = 0
    public var itemsOnlyInA = 0
    public var itemsOnlyInB = 0
    public var usersInBoth = 0
    public var itemsInBoth = 0
    /// `meta.sequence_map_fingerprint` as stored.
    public var storedA: String?
    public var storedB: String?
    /// Recomputed from the tables while comparing them.
    public var computedA = SequenceMapFingerprint()
    public var computedB = SequenceMapFingerprint()
    public var fingerprintsMatch: Bool { storedA == storedB }
}
