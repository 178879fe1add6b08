import Foundation

/// Compares one store with the union of partition stores, table by table,
/// in sqlite3 with the parts ATTACHed: rows only one side has, by EXCEPT both
/// ways, and row counts (EXCEPT alone would hide repeated rows).
enum StoreUnion {
    struct TableCheck: CustomStringConvertible {
        var table: String
        var single: Int
        var union: Int
        var onlySingle: Int
        var onlyUnion: Int
        var isEqual: Bool { single == union && onlySingle == 0 && onlyUnion == 0 }
        var description: String { "\(table): \(single) rows in one store, \(union) in the parts, \(onlySingle) only in one, \(onlyUnion) only in the parts" }
    }

    /// `features` and `user_windows` compared whole (every column); the
    /// history per user, in arrival order, with vectors resolved
    /// (`feature_history_full`) and without `row_id`, which numbers rows
    /// across all users of a store and so differs between stores.
    static func compare(single: String, parts: [String]) throws -> [TableCheck] {
        let columns = try RTML.shell(["sqlite3", "-readonly", single, "SELECT name FROM pragma_table_info('feature_history_full') WHERE name <> 'row_id'"])
            .lines.map { "\"\($0)\"" }.joined(separator: ", ")
        let history = { (schema: String) in
            "SELECT \(columns), row_number() OVER (PARTITION BY user_id ORDER BY row_id) AS k FROM \(schema).feature_history_full"
        }
        var sql = ""
        for (i, part) in parts.enumerated() { sql += "ATTACH '\(part)' AS p\(i);\n" }
        let tables: [(String, String, (String) -> String)] = [
            ("features", "features", { "SELECT * FROM \($0).features" }),
            ("user_windows", "user_windows", { "SELECT * FROM \($0).user_windows" }),
            ("feature_history", "feature_history", history),
        ]
        for (name, _, select) in tables {
            let union = parts.indices.map { select("p\($0)") }.joined(separator: " UNION ALL ")
            sql += "CREATE TEMP VIEW u_\(name) AS \(union);\n"
            sql += "CREATE TEMP VIEW s_\(name) AS \(select("main"));\n"
            sql += "SELECT '\(name)', (SELECT count(*) FROM s_\(name)), (SELECT count(*) FROM u_\(name)), "
            sql += "(SELECT count(*) FROM (SELECT * FROM s_\(name) EXCEPT SELECT * FROM u_\(name))), "
            sql += "(SELECT count(*) FROM (SELECT * FROM u_\(name) EXCEPT SELECT * FROM s_\(name)));\n"
        }
        let result = try RTML.shell(["sqlite3", "-readonly", "-separator", " ", single], stdin: Data(sql.utf8))
        guard result.status == 0 else { throw CompareError(message: result.stderr) }
        return result.lines.map { line in
            let f = line.split(separator: " ").map(String.init)
            return TableCheck(table: f[0], single: Int(f[1]) ?? -1, union: Int(f[2]) ?? -1, onlySingle: Int(f[3]) ?? -1, onlyUnion: Int(f[4]) ?? -1)
        }
    }

    struct CompareError: Error { var message: String }
}
