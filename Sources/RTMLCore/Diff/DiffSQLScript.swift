/// `--format sql`: statements that turn store A into store B, like
/// sqldiff's output, for the tables compared. Applied to A in one
/// transaction (`sqlite3 a.db < diff.sql`), A then holds B's rows.
///
/// A keeps its identity (store_id, color, created_at, rtml_version are not
/// written). Rows are deleted, updated and inserted in key order; a table
/// with a UNIQUE constraint besides its key (sequence_ids, item_ids) has
/// its changed rows deleted first and inserted after, so two users that
/// swapped ids never collide half-way.
public final class DiffSQLSink: DiffSink {
    private let write: (String) throws -> Void
    private var writable: [Bool] = []

    public init(write: @escaping (String) throws -> Void) { self.write = write }

    public func begin() throws {
        try write("-- rtml diff --format sql: turns a into b\nBEGIN;\n")
    }

    public func end() throws { try write("COMMIT;\n") }

    public func wantsDeletesFirst(_ table: TableLayout) -> Bool { table.inA && table.inB && table.hasOtherUniqueIndex }

    public func beginTable(_ table: TableLayout) throws {
        let name = StoreSchema.quoted(table.name)
        writable = table.columns.map { $0.typeB != nil }
        if !table.inB {
            try write("DROP TABLE \(name);\n")
            return
        }
        if !table.inA {
            if let create = table.createSQL { try write(create + ";\n") }
            return
        }
        for c in table.columns where c.typeA == nil {
            try write("ALTER TABLE \(name) ADD COLUMN \(StoreSchema.quoted(c.name)) \(c.typeB ?? "");\n")
        }
        for c in table.columns where c.typeB == nil {
            try write("ALTER TABLE \(name) DROP COLUMN \(StoreSchema.quoted(c.name));\n")
        }
    }

    public func endTable(_ table: TableLayout) throws {}

    private func whereKey(_ table: TableLayout, _ key: [DiffValue]) -> String {
        zip(table.keyColumns, key).map { "\(StoreSchema.quoted($0)) = \($1.sqlLiteral)" }.joined(separator: " AND ")
    }

    private func insert(_ table: TableLayout, _ row: [DiffValue]) throws {
        var names = table.keyColumns.map(StoreSchema.quoted)
        var values = row.prefix(table.keyColumns.count).map(\.sqlLiteral)
        for (k, c) in table.columns.enumerated() where writable[k] {
            names.append(StoreSchema.quoted(c.name))
            values.append(row[table.keyColumns.count + k].sqlLiteral)
        }
        try write("INSERT INTO \(StoreSchema.quoted(table.name)) (\(names.joined(separator: ", "))) VALUES (\(values.joined(separator: ", ")));\n")
    }

    public func row(_ e: RowEvent) throws {
        let table = e.table
        guard table.inB else { return }  // dropped whole
        let name = StoreSchema.quoted(table.name)
        switch e.kind {
        case .onlyInA where e.reinsert:
            return  // deleted in the first pass
        case .onlyInA, .deleteFirst:
            try write("DELETE FROM \(name) WHERE \(whereKey(table, e.key));\n")
        case .onlyInB:
            try insert(table, e.row())
        case .changed:
            if e.reinsert { return try insert(table, e.row()) }
            let sets = e.cells.filter { writable[$0.index] }
                .map { "\(StoreSchema.quoted(table.columns[$0.index].name)) = \($0.b.sqlLiteral)" }
            guard !sets.isEmpty else { return }
            try write("UPDATE \(name) SET \(sets.joined(separator: ", ")) WHERE \(whereKey(table, e.key));\n")
        }
    }
}
