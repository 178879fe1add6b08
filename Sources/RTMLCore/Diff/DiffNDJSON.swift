/// `--format ndjson`: one line per changed cell or row as the diff finds it,
/// then one line per table, per column, the sequence ids, each gate and a
/// final summary. docs/diff.md lists the fields.
public final class DiffNDJSONSink: DiffSink {
    private let write: (String) throws -> Void

    public init(write: @escaping (String) throws -> Void) { self.write = write }

    public func wantsDeletesFirst(_ table: TableLayout) -> Bool { false }
    public func beginTable(_ table: TableLayout) throws {}
    public func endTable(_ table: TableLayout) throws {}

    static func key(_ table: TableLayout, _ key: [DiffValue]) -> JSONValue {
        .object(zip(table.keyColumns, key).map { ($0, $1.json(vector: false)) })
    }

    static func rowObject(_ table: TableLayout, _ row: [DiffValue]) -> JSONValue {
        let names = table.keyColumns + table.columns.map(\.name)
        let vector = table.columns.map { $0.kind == .vector }
        let k = table.keyColumns.count
        return .object(zip(names, row).enumerated().map { i, pair in (pair.0, pair.1.json(vector: i >= k && vector[i - k])) })
    }

    public func row(_ e: RowEvent) throws {
        let table = JSONValue.string(e.table.name)
        switch e.kind {
        case .changed:
            for cell in e.cells {
                let column = e.table.columns[cell.index]
                try write(JSONValue.object([
                    ("type", .string("row")), ("change", .string("changed")), ("table", table),
                    ("key", Self.key(e.table, e.key)), ("column", .string(column.name)),
                    ("a", cell.a.json(vector: column.kind == .vector)), ("b", cell.b.json(vector: column.kind == .vector)),
                ]).rendered() + "\n")
            }
        case .onlyInA:
            try write(JSONValue.object([
                ("type", .string("row")), ("change", .string("only_in_a")), ("table", table),
                ("key", Self.key(e.table, e.key)), ("column", .null), ("a", Self.rowObject(e.table, e.row())), ("b", .null),
            ]).rendered() + "\n")
        case .onlyInB:
            try write(JSONValue.object([
                ("type", .string("row")), ("change", .string("only_in_b")), ("table", table),
                ("key", Self.key(e.table, e.key)), ("column", .null), ("a", .null), ("b", Self.rowObject(e.table, e.row())),
            ]).rendered() + "\n")
        case .deleteFirst:
            break
        }
    }

    /// The summary lines, after every row line.
    public static func summaryLines(_ r: DiffReport) -> [String] {
        func opt(_ v: Double?) -> JSONValue { v.map(JSONValue.double) ?? .null }
        func optString(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        var lines: [JSONValue] = []
        for (key, a, b) in r.identity {
            lines.append(.object([("type", .string("identity")), ("key", .string(key)), ("a", optString(a)), ("b", optString(b))]))
        }
        for s in r.schema {
            lines.append(.object([("type", .string("schema")), ("table", .string(s.table)), ("column", optString(s.column)), ("what", .string(s.what))]))
        }
        for t in r.tables {
            lines.append(.object([
                ("type", .string("table")), ("table", .string(t.name)), ("compared", .bool(t.skipped == nil)),
                ("in_a", .bool(t.inA)), ("in_b", .bool(t.inB)),
                ("rows_a", .int(t.rowsA)), ("rows_b", .int(t.rowsB)), ("only_in_a", .int(t.onlyInA)),
                ("only_in_b", .int(t.onlyInB)), ("changed", .int(t.changed)), ("same", .int(t.same)),
            ]))
            for c in t.columns {
                var members: [(String, JSONValue)] = [
                    ("type", .string("column")), ("table", .string(t.name)), ("column", .string(c.name)),
                    ("kind", .string(c.kind.rawValue)), ("changed_rows", .int(c.changed)), ("paired_rows", .int(c.paired)),
                    ("max_abs_diff", c.numericPairs > 0 ? .double(c.maxAbsDiff) : .null), ("mean_abs_diff", opt(c.meanAbsDiff)),
                    ("changed_share", opt(c.changedShare)),
                ]
                if let d = c.drift {
                    members += [
                        ("count_a", .int(d.countA)), ("count_b", .int(d.countB)), ("nulls_a", .int(d.nullsA)), ("nulls_b", .int(d.nullsB)),
                        ("mean_a", opt(d.meanA)), ("mean_b", opt(d.meanB)), ("mean_shift", opt(d.meanShift)),
                        ("psi", opt(d.psi)), ("psi_bins", .int(d.bins)), ("ks", opt(d.ks)),
                    ]
                }
                lines.append(.object(members))
            }
        }
        if let s = r.sequences {
            lines.append(.object([
                ("type", .string("sequence_ids")), ("remapped_users", .int(s.remappedUsers)), ("remapped_items", .int(s.remappedItems)),
                ("users_only_in_a", .int(s.usersOnlyInA)), ("users_only_in_b", .int(s.usersOnlyInB)),
                ("items_only_in_a", .int(s.itemsOnlyInA)), ("items_only_in_b", .int(s.itemsOnlyInB)),
                ("fingerprint_a", optString(s.storedA)), ("fingerprint_b", optString(s.storedB)),
                ("fingerprints_match", .bool(s.fingerprintsMatch)),
                ("fingerprint_a_current", .bool(s.storedA == s.computedA.hex)), ("fingerprint_b_current", .bool(s.storedB == s.computedB.hex)),
            ]))
        }
        for g in r.gates {
            lines.append(.object([
                ("type", .string("gate")), ("gate", .string(g.gate.text)), ("tripped", .bool(g.tripped)),
                ("at", optString(g.place)), ("value", opt(g.value)), ("limit", .double(g.gate.limit)),
            ]))
        }
        lines.append(.object([
            ("type", .string("summary")), ("differences", .bool(r.hasDifferences)),
            ("gates_tripped", .int(r.gates.filter(\.tripped).count)),
        ]))
        return lines.map { $0.rendered() }
    }
}
