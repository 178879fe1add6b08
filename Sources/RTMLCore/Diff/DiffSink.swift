/// Receives the row differences as the merge-join finds them (NDJSON lines,
/// SQL statements). Cursors are positioned on the rows in question; read
/// them before returning.
public protocol DiffSink: AnyObject {
    /// Whether changed rows of this table must be deleted in a first pass and
    /// inserted in a second (a UNIQUE constraint besides the key could
    /// otherwise be violated half-way, e.g. two users swapping ids).
    func wantsDeletesFirst(_ table: TableLayout) -> Bool
    func beginTable(_ table: TableLayout) throws
    func row(_ change: RowEvent) throws
    func endTable(_ table: TableLayout) throws
}

/// One row difference as the sink sees it.
public struct RowEvent {
    public enum Kind: Sendable {
        case onlyInA, onlyInB, changed
        /// First pass of a deletes-first table: a row of A to delete (only in A, or changed).
        case deleteFirst
    }
    public var kind: Kind
    public var table: TableLayout
    /// The key values (same in both rows when changed).
    public var key: [DiffValue]
    /// Every column of the row: B's for onlyInB and (after deleteFirst) changed, A's otherwise.
    public var row: () -> [DiffValue]
    /// For `changed`: indices into `table.columns` that differ, with A's and B's values.
    public var cells: [(index: Int, a: DiffValue, b: DiffValue)]
    /// For `changed` in a deletes-first table: the row was deleted already, insert it whole.
    public var reinsert: Bool
}

/// How a table is read from both stores: its key, and the union of the
/// compared columns (a column one store lacks reads as NULL there).
public struct TableLayout: Sendable {
    public struct Column: Sendable {
        public var name: String
        public var typeA: String?
        public var typeB: String?
        public var kind: ColumnDiff.Kind
    }
    public var name: String
    public var keyColumns: [String]
    public var columns: [Column]
    public var inA: Bool
    public var inB: Bool
    /// B's CREATE statement, for a table only B has.
    public var createSQL: String?
    /// A has a UNIQUE index besides the primary key.
    public var hasOtherUniqueIndex: Bool

    public var isVectorTable: Bool { DiffOptions.vectorTables.contains(name) }
}
