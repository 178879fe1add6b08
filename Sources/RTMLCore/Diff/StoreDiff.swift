import Foundation
import GRDB

/// Compares two feature stores table by table with a merge-join over their
/// primary keys, streaming both in key order, so memory does not grow with
/// the number of rows. docs/diff.md describes what is compared and how.
public final class StoreDiff {
    public let options: DiffOptions
    private let sink: DiffSink?
    /// Filled while sequence_ids and item_ids are compared.
    private var sequences: SequenceDiff?

    public init(options: DiffOptions, sink: DiffSink? = nil) {
        self.options = options
        self.sink = sink
    }

    /// Opens both stores read-only and compares them (each in one consistent snapshot).
    public func run(pathA: String, pathB: String) throws -> DiffReport {
        let storeA = try FeatureStore.openReadOnly(path: pathA, busyTimeout: options.busyTimeout, acceptNewerSchema: true)
        defer { try? storeA.close() }
        let storeB = try FeatureStore.openReadOnly(path: pathB, busyTimeout: options.busyTimeout, acceptNewerSchema: true)
        defer { try? storeB.close() }
        return try storeA.read { dbA in
            try storeB.read { dbB in
                try compare(Side(db: dbA, path: pathA), Side(db: dbB, path: pathB))
            }
        }
    }

    struct Side {
        let db: Database
        let path: String
        var connection: OpaquePointer? { db.sqliteConnection }
    }

    private func compare(_ a: Side, _ b: Side) throws -> DiffReport {
        var report = DiffReport(pathA: a.path, pathB: b.path)
        for side in [a, b] {
            // The sorter may use a helper thread for the drift statistics' ORDER BY.
            if let c = side.connection { RawStatement.pragma(connection: c, "PRAGMA threads = 2") }
        }
        let metaA = try meta(a), metaB = try meta(b)
        for key in DiffOptions.identityMetaKeys.sorted() where metaA[key] != nil || metaB[key] != nil {
            report.identity.append((key, metaA[key], metaB[key]))
        }
        if metaA["schema_version"] != metaB["schema_version"] {
            report.schema.append(SchemaDifference(
                table: "meta", column: nil,
                what: "schema_version \(metaA["schema_version"] ?? "-") in a, \(metaB["schema_version"] ?? "-") in b"))
        }
        let tablesA = try userTables(a), tablesB = try userTables(b)
        for name in tablesA.keys.sorted() where tablesB[name] == nil {
            report.schema.append(SchemaDifference(table: name, column: nil, what: "table only in a"))
        }
        for name in tablesB.keys.sorted() where tablesA[name] == nil {
            report.schema.append(SchemaDifference(table: name, column: nil, what: "table only in b"))
        }
        sequences = nil
        if options.tables.contains("sequence_ids") || options.tables.contains("item_ids") {
            var s = SequenceDiff()
            s.storedA = metaA["sequence_map_fingerprint"]
            s.storedB = metaB["sequence_map_fingerprint"]
            sequences = s
        }
        for name in options.tables {
            guard tablesA[name] != nil || tablesB[name] != nil else { continue }
            let layout = try self.layout(name, a, b, createB: tablesB[name] ?? nil, report: &report)
            guard let layout else { continue }
            var diff = TableDiff(name: name, keyColumns: layout.keyColumns, inA: layout.inA, inB: layout.inB)
            diff.columns = layout.columns.map { ColumnDiff(name: $0.name, typeA: $0.typeA, typeB: $0.typeB, kind: $0.kind) }
            try sink?.beginTable(layout)
            if sink?.wantsDeletesFirst(layout) == true {
                var scratch = diff
                try mergeJoin(layout, a, b, into: &scratch, pass: .deletes)
            }
            try mergeJoin(layout, a, b, into: &diff, pass: .all(reinsert: sink?.wantsDeletesFirst(layout) == true))
            if options.drift && DiffOptions.driftTables.contains(name) {
                try driftStatistics(layout, a, b, into: &diff)
            }
            try sink?.endTable(layout)
            report.tables.append(diff)
        }
        if var s = sequences {
            if let t = report.table("sequence_ids") {
                s.remappedUsers = t.changed; s.usersOnlyInA = t.onlyInA; s.usersOnlyInB = t.onlyInB; s.usersInBoth = t.changed + t.same
            }
            if let t = report.table("item_ids") {
                s.remappedItems = t.changed; s.itemsOnlyInA = t.onlyInA; s.itemsOnlyInB = t.onlyInB; s.itemsInBoth = t.changed + t.same
            }
            report.sequences = s
        }
        return report
    }

    // MARK: Schema

    private func meta(_ side: Side) throws -> [String: String] {
        var meta: [String: String] = [:]
        for row in try Row.fetchAll(side.db, sql: "SELECT key, value FROM meta") {
            if let k = row[0] as String?, let v = row[1] as String? { meta[k] = v }
        }
        return meta
    }

    /// Table name → CREATE statement.
    private func userTables(_ side: Side) throws -> [String: String?] {
        var out: [String: String?] = [:]
        for row in try Row.fetchAll(side.db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
            out[row[0] as String] = row[1] as String?
        }
        return out
    }

    private struct ColumnInfo { var name: String; var type: String; var pk: Int }

    private func columnsOf(_ table: String, _ side: Side) throws -> [ColumnInfo] {
        try Row.fetchAll(side.db, sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
            .map { ColumnInfo(name: $0[0], type: ($0[1] as String?)?.uppercased() ?? "", pk: $0[2]) }
    }

    private func hasOtherUniqueIndex(_ table: String, _ side: Side) throws -> Bool {
        try Int.fetchOne(side.db, sql: "SELECT count(*) FROM pragma_index_list(?) WHERE \"unique\" AND origin = 'u'", arguments: [table]) ?? 0 > 0
    }

    private func layout(_ name: String, _ a: Side, _ b: Side, createB: String?, report: inout DiffReport) throws -> TableLayout? {
        let colsA = try columnsOf(name, a), colsB = try columnsOf(name, b)
        let inA = !colsA.isEmpty, inB = !colsB.isEmpty
        let keyA = colsA.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
        let keyB = colsB.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
        let key = inA ? keyA : keyB
        if inA && inB && keyA != keyB {
            report.schema.append(SchemaDifference(table: name, column: nil, what: "primary key (\(keyA.joined(separator: ", "))) in a, (\(keyB.joined(separator: ", "))) in b"))
            var skipped = TableDiff(name: name, keyColumns: keyA)
            skipped.skipped = "primary keys differ"
            report.tables.append(skipped)
            return nil
        }
        if key.isEmpty {
            var skipped = TableDiff(name: name, keyColumns: [])
            skipped.skipped = "no primary key"
            report.tables.append(skipped)
            return nil
        }
        var columns: [TableLayout.Column] = []
        var names: [String] = colsA.map(\.name)
        for c in colsB where !names.contains(c.name) { names.append(c.name) }
        for n in names where !key.contains(n) {
            let ta = colsA.first { $0.name == n }?.type, tb = colsB.first { $0.name == n }?.type
            if inA && inB {
                if ta == nil {
                    report.schema.append(SchemaDifference(table: name, column: n, what: "column only in b (\(tb ?? ""))"))
                } else if tb == nil {
                    report.schema.append(SchemaDifference(table: name, column: n, what: "column only in a (\(ta ?? ""))"))
                } else if ta != tb {
                    report.schema.append(SchemaDifference(table: name, column: n, what: "type \(ta ?? "") in a, \(tb ?? "") in b"))
                }
            }
            if let wanted = options.columns, !wanted.contains(n) { continue }
            let declared = tb ?? ta ?? ""
            let kind: ColumnDiff.Kind
            switch declared {
            case "INTEGER", "REAL", "NUMERIC", "INT", "FLOAT", "DOUBLE": kind = .numeric
            case "TEXT": kind = .text
            case "BLOB" where DiffOptions.vectorTables.contains(name): kind = .vector
            default: kind = .other
            }
            columns.append(.init(name: n, typeA: ta, typeB: tb, kind: kind))
        }
        return TableLayout(
            name: name, keyColumns: key, columns: columns, inA: inA, inB: inB,
            createSQL: inA ? nil : createB, hasOtherUniqueIndex: inA ? try hasOtherUniqueIndex(name, a) : false)
    }

    // MARK: The merge-join

    enum Pass { case deletes, all(reinsert: Bool) }

    private func selectSQL(_ layout: TableLayout, has: (TableLayout.Column) -> Bool, where filter: String = "") -> String {
        let keys = layout.keyColumns.map(StoreSchema.quoted)
        let cols = layout.columns.map { has($0) ? StoreSchema.quoted($0.name) : "NULL" }
        return "SELECT \((keys + cols).joined(separator: ", ")) FROM \(StoreSchema.quoted(layout.name))\(filter) ORDER BY \(keys.joined(separator: ", "))"
    }

    private func mergeJoin(_ layout: TableLayout, _ a: Side, _ b: Side, into diff: inout TableDiff, pass: Pass) throws {
        let ca = try TableCursor(
            connection: layout.inA ? a.connection : nil, sql: selectSQL(layout, has: { $0.typeA != nil }),
            path: a.path, table: layout.name, keyCount: layout.keyColumns.count)
        let cb = try TableCursor(
            connection: layout.inB ? b.connection : nil, sql: selectSQL(layout, has: { $0.typeB != nil }),
            path: b.path, table: layout.name, keyCount: layout.keyColumns.count)
        defer { ca.finish(); cb.finish() }

        let deletesOnly: Bool, reinsert: Bool
        switch pass {
        case .deletes: deletesOnly = true; reinsert = false
        case .all(let r): deletesOnly = false; reinsert = r
        }
        let keyCount = Int32(layout.keyColumns.count)
        let columnCount = layout.columns.count
        let drift = !deletesOnly && options.drift && DiffOptions.driftTables.contains(layout.name)
        if drift {
            // event_ts and updated_at move with every new day by construction: rows compare them, drift does not.
            for k in 0..<columnCount where !["event_ts", "updated_at"].contains(layout.columns[k].name) {
                diff.columns[k].drift = Drift()
            }
        }
        let isMeta = layout.name == "meta"
        let fingerprintKind: SequenceMapFingerprint.Kind? =
            layout.name == "sequence_ids" ? .user : (layout.name == "item_ids" ? .item : nil)
        let fingerprintColumn = layout.columns.firstIndex { $0.name == "seq_id" }
        let tolerance = options.tolerance
        var changedCells: [(index: Int, a: DiffValue, b: DiffValue)] = []

        func wholeRow(_ c: TableCursor) -> () -> [DiffValue] {
            { (0..<(keyCount + Int32(columnCount))).map(c.value) }
        }
        func account(_ c: TableCursor, isA: Bool) {
            if drift {
                for k in 0..<columnCount where diff.columns[k].drift != nil {
                    let i = keyCount + Int32(k)
                    // Mutated in place: a copy of the drift would copy its category counts on every row.
                    switch diff.columns[k].kind {
                    case .numeric:
                        if let x = c.number(i) {
                            if isA {
                                diff.columns[k].drift!.countA += 1
                                diff.columns[k].drift!.sumA += x
                            } else {
                                diff.columns[k].drift!.countB += 1
                                diff.columns[k].drift!.sumB += x
                            }
                        } else if c.kind(i) == .null {
                            if isA { diff.columns[k].drift!.nullsA += 1 } else { diff.columns[k].drift!.nullsB += 1 }
                        }
                    case .text:
                        let v: String? = c.kind(i) == .null ? nil : String(decoding: c.bytes(i), as: UTF8.self)
                        if isA {
                            CategoricalDrift.count(v, into: &diff.columns[k].drift!.categoriesA)
                        } else {
                            CategoricalDrift.count(v, into: &diff.columns[k].drift!.categoriesB)
                        }
                    default:
                        break
                    }
                }
            }
            if let kind = fingerprintKind, let fc = fingerprintColumn, sequences != nil {
                let key = String(decoding: c.bytes(0), as: UTF8.self)
                let id = c.int64(keyCount + Int32(fc))
                if isA { sequences!.computedA.add(kind: kind, key: key, seqId: id) } else { sequences!.computedB.add(kind: kind, key: key, seqId: id) }
            }
        }
        func example(_ change: RowChange) {
            if diff.examples.count < options.examples { diff.examples.append(change) }
        }

        /// meta rows that name a store are not data: skipped whether in one store or both.
        func identity(_ c: TableCursor) -> Bool {
            isMeta && DiffOptions.identityMetaKeys.contains(String(decoding: c.bytes(0), as: UTF8.self))
        }
        func advance(_ c: TableCursor) throws {
            repeat { try c.advance() } while c.hasRow && identity(c)
        }

        try advance(ca)
        try advance(cb)
        while ca.hasRow || cb.hasRow {
            let order = !ca.hasRow ? 1 : (!cb.hasRow ? -1 : ca.compareKey(cb))
            if order < 0 {
                if deletesOnly {
                    try sink?.row(RowEvent(kind: .deleteFirst, table: layout, key: ca.keyValues(), row: wholeRow(ca), cells: [], reinsert: false))
                } else {
                    diff.onlyInA += 1
                    account(ca, isA: true)
                    if diff.examples.count < options.examples { example(RowChange(kind: .onlyInA, key: ca.keyValues())) }
                    try sink?.row(RowEvent(kind: .onlyInA, table: layout, key: ca.keyValues(), row: wholeRow(ca), cells: [], reinsert: reinsert))
                }
                try advance(ca)
                continue
            }
            if order > 0 {
                if !deletesOnly {
                    diff.onlyInB += 1
                    account(cb, isA: false)
                    if diff.examples.count < options.examples { example(RowChange(kind: .onlyInB, key: cb.keyValues())) }
                    try sink?.row(RowEvent(kind: .onlyInB, table: layout, key: cb.keyValues(), row: wholeRow(cb), cells: [], reinsert: reinsert))
                }
                try advance(cb)
                continue
            }
            // Same key: compare the columns.
            changedCells.removeAll(keepingCapacity: true)
            for k in 0..<columnCount {
                let i = keyCount + Int32(k)
                if !deletesOnly { diff.columns[k].paired += 1 }
                let (equal, absDiff) = compareCells(ca, cb, i, kind: diff.columns[k].kind, tolerance: tolerance)
                if deletesOnly {
                    if !equal { changedCells.append((k, .null, .null)) }
                    continue
                }
                if let d = absDiff {
                    diff.columns[k].numericPairs += 1
                    diff.columns[k].sumAbsDiff += d
                    if d > diff.columns[k].maxAbsDiff { diff.columns[k].maxAbsDiff = d }
                }
                if !equal {
                    diff.columns[k].changed += 1
                    changedCells.append((k, ca.value(i), cb.value(i)))
                }
            }
            if deletesOnly {
                if !changedCells.isEmpty {
                    try sink?.row(RowEvent(kind: .deleteFirst, table: layout, key: ca.keyValues(), row: wholeRow(ca), cells: [], reinsert: false))
                }
            } else {
                account(ca, isA: true)
                account(cb, isA: false)
                if changedCells.isEmpty {
                    diff.same += 1
                } else {
                    diff.changed += 1
                    let key = ca.keyValues()
                    if diff.examples.count < options.examples {
                        example(RowChange(kind: .changed, key: key, cells: changedCells.map { (layout.columns[$0.index].name, $0.a, $0.b) }))
                    }
                    try sink?.row(RowEvent(kind: .changed, table: layout, key: key, row: wholeRow(cb), cells: changedCells, reinsert: reinsert))
                }
            }
            try advance(ca)
            try advance(cb)
        }
        if !deletesOnly {
            diff.rowsA = ca.rows
            diff.rowsB = cb.rows
        }
    }

    /// Whether two cells are equal within the tolerance, and their absolute
    /// difference when both are numbers (vectors: the largest elementwise one).
    @inline(__always)
    private func compareCells(_ a: TableCursor, _ b: TableCursor, _ i: Int32, kind: ColumnDiff.Kind, tolerance: Tolerance) -> (Bool, Double?) {
        let ka = a.kind(i), kb = b.kind(i)
        if ka == .null || kb == .null { return (ka == kb, nil) }
        if (ka == .integer || ka == .real) && (kb == .integer || kb == .real) {
            if ka == .integer && kb == .integer {
                let x = a.int64(i), y = b.int64(i)
                if x == y { return (true, 0) }
                let d = abs(Double(x) - Double(y))
                return (tolerance.equal(Double(x), Double(y)), d)
            }
            let x = a.double(i), y = b.double(i)
            return (tolerance.equal(x, y), abs(x - y))
        }
        if ka != kb { return (false, nil) }
        let x = a.bytes(i), y = b.bytes(i)
        if TableCursor.compareBytes(x, y) == 0 { return (true, kind == .vector ? 0 : nil) }
        guard kind == .vector, ka == .blob, x.count == y.count, x.count % 4 == 0 else { return (false, nil) }
        var maxDiff = 0.0
        var equal = true
        for e in 0..<(x.count / 4) {
            let p = Double(Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(fromByteOffset: e * 4, as: UInt32.self))))
            let q = Double(Float(bitPattern: UInt32(littleEndian: y.loadUnaligned(fromByteOffset: e * 4, as: UInt32.self))))
            maxDiff = max(maxDiff, abs(p - q))
            if !tolerance.equal(p, q) { equal = false }
        }
        return (equal, maxDiff)
    }

    // MARK: Drift

    /// PSI and KS of each numeric column, from both columns in ascending
    /// order. Columns are read in batches that fit `sortBudget` numbers per
    /// store (one scan per batch and store) and sorted in memory; a column
    /// larger than the budget is read sorted from SQLite, whose sorter
    /// spills to temporary files, so memory stays bounded either way.
    private func driftStatistics(_ layout: TableLayout, _ a: Side, _ b: Side, into diff: inout TableDiff) throws {
        var numeric: [Int] = []
        for (k, column) in layout.columns.enumerated() {
            guard var d = diff.columns[k].drift else { continue }
            if column.kind == .text {
                (d.psi, d.bins) = CategoricalDrift.psi(d.categoriesA, d.categoriesB)
            } else if column.kind == .numeric {
                numeric.append(k)
            }
            d.categoriesA = nil
            d.categoriesB = nil
            diff.columns[k].drift = d
        }
        let largest = numeric.map { max(diff.columns[$0].drift!.countA, diff.columns[$0].drift!.countB) }.max() ?? 0
        let perBatch = largest == 0 ? max(1, numeric.count) : options.sortBudget / largest
        if perBatch >= 1 {
            for start in stride(from: 0, to: numeric.count, by: perBatch) {
                let batch = Array(numeric[start..<min(start + perBatch, numeric.count)])
                var valuesA = try columnValues(
                    layout, batch, a, counts: batch.map { diff.columns[$0].drift!.countA }, has: { layout.inA && $0.typeA != nil })
                var valuesB = try columnValues(
                    layout, batch, b, counts: batch.map { diff.columns[$0].drift!.countB }, has: { layout.inB && $0.typeB != nil })
                for (j, k) in batch.enumerated() {
                    let d = diff.columns[k].drift!
                    // Sorted in place, and each column's memory freed once used.
                    valuesA[j].sort()
                    valuesB[j].sort()
                    let stats = NumericDriftAccumulator.ofSorted(valuesA[j], valuesB[j], nullsA: d.nullsA, nullsB: d.nullsB)
                    valuesA[j] = []
                    valuesB[j] = []
                    diff.columns[k].drift!.psi = stats.psi
                    diff.columns[k].drift!.ks = stats.ks
                    diff.columns[k].drift!.bins = stats.bins
                }
            }
        } else {
            for k in numeric { try sortedBySQLite(layout, k, a, b, into: &diff) }
        }
    }

    /// The numbers of some columns of one store, one array per column, by one scan.
    /// `counts`: how many numbers each column holds (from the merge-join), to allocate exactly.
    private func columnValues(
        _ layout: TableLayout, _ ks: [Int], _ side: Side, counts: [Int], has: (TableLayout.Column) -> Bool
    ) throws -> [[Double]] {
        let present = ks.filter { has(layout.columns[$0]) }
        var values: [[Double]] = counts.map { n in
            var v: [Double] = []
            v.reserveCapacity(n)
            return v
        }
        guard !present.isEmpty else { return values }
        let names = ks.map { has(layout.columns[$0]) ? StoreSchema.quoted(layout.columns[$0].name) : "NULL" }
        let cursor = try TableCursor(
            connection: side.connection, sql: "SELECT \(names.joined(separator: ", ")) FROM \(StoreSchema.quoted(layout.name))",
            path: side.path, table: layout.name, keyCount: 0)
        defer { cursor.finish() }
        try cursor.advance()
        while cursor.hasRow {
            for j in ks.indices {
                if let x = cursor.number(Int32(j)) { values[j].append(x) }
            }
            try cursor.advance()
        }
        return values
    }

    /// One column's statistics from both stores reading it in ascending order.
    private func sortedBySQLite(_ layout: TableLayout, _ k: Int, _ a: Side, _ b: Side, into diff: inout TableDiff) throws {
        let column = layout.columns[k]
        var d = diff.columns[k].drift!
        let name = StoreSchema.quoted(column.name)
        func cursor(_ side: Side, _ has: Bool) throws -> TableCursor {
            try TableCursor(
                connection: has ? side.connection : nil,
                sql: "SELECT \(name) FROM \(StoreSchema.quoted(layout.name)) WHERE typeof(\(name)) IN ('integer', 'real') ORDER BY \(name)",
                path: side.path, table: layout.name, keyCount: 1)
        }
        let ca = try cursor(a, column.typeA != nil && layout.inA), cb = try cursor(b, column.typeB != nil && layout.inB)
        defer { ca.finish(); cb.finish() }
        var acc = NumericDriftAccumulator(countA: d.countA, countB: d.countB)
        try ca.advance()
        try cb.advance()
        while ca.hasRow || cb.hasRow {
            let va = ca.hasRow ? ca.double(0) : .infinity, vb = cb.hasRow ? cb.double(0) : .infinity
            let v = !cb.hasRow ? va : (!ca.hasRow ? vb : min(va, vb))
            var na = 0, nb = 0
            while ca.hasRow && ca.double(0) == v { na += 1; try ca.advance() }
            while cb.hasRow && cb.double(0) == v { nb += 1; try cb.advance() }
            acc.add(value: v, a: na, b: nb)
        }
        (d.psi, d.bins) = acc.psi(nullsA: d.nullsA, nullsB: d.nullsB)
        d.ks = d.countA > 0 && d.countB > 0 ? acc.ks : nil
        diff.columns[k].drift = d
    }
}
