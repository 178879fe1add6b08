import Foundation

/// One table of one store read row by row in primary-key order through a
/// raw statement: the merge-join's input. Keys come first in each row, then
/// the compared columns (NULL for a column the store does not have), so the
/// two cursors of a table have the same layout.
final class TableCursor {
    private let statement: RawStatement?
    let keyCount: Int32
    private(set) var hasRow = false
    private(set) var rows = 0

    /// A cursor over `sql`; nil `connection` gives a cursor with no rows (a table the store lacks).
    init(connection: OpaquePointer?, sql: String, path: String, table: String, keyCount: Int) throws {
        self.keyCount = Int32(keyCount)
        if let connection {
            statement = try RawStatement(connection: connection, sql: sql, path: path, table: table, verb: "read")
        } else {
            statement = nil
        }
    }

    deinit { statement?.finalize() }

    func advance() throws {
        guard let statement else { return }
        hasRow = try statement.step()
        if hasRow { rows += 1 }
    }

    func finish() {
        statement?.finalize()
        hasRow = false
    }

    // MARK: Cells

    func kind(_ i: Int32) -> SQLiteKind { statement!.columnKind(i) }
    func int64(_ i: Int32) -> Int64 { statement!.columnInt64(i) }
    func double(_ i: Int32) -> Double { statement!.columnDouble(i) }
    func bytes(_ i: Int32) -> UnsafeRawBufferPointer {
        statement!.columnKind(i) == .text ? statement!.columnTextBytes(i) : statement!.columnBytes(i)
    }

    func value(_ i: Int32) -> DiffValue {
        switch kind(i) {
        case .null: return .null
        case .integer: return .integer(int64(i))
        case .real: return .real(double(i))
        case .text: return .text(String(decoding: statement!.columnTextBytes(i), as: UTF8.self))
        case .blob: return .blob(Array(statement!.columnBytes(i)))
        }
    }

    /// The numeric value of a cell, or nil when it is not a number.
    func number(_ i: Int32) -> Double? {
        switch kind(i) {
        case .integer: return Double(int64(i))
        case .real: return double(i)
        default: return nil
        }
    }

    func keyValues() -> [DiffValue] { (0..<keyCount).map(value) }

    // MARK: Ordering

    /// Orders this row's key against `other`'s as SQLite's ORDER BY does
    /// with the BINARY collation: NULL, then numbers, then text, then
    /// blobs; text and blobs bytewise.
    func compareKey(_ other: TableCursor) -> Int {
        for i in 0..<keyCount {
            let c = TableCursor.compare(self, i, other, i)
            if c != 0 { return c }
        }
        return 0
    }

    static func compare(_ a: TableCursor, _ i: Int32, _ b: TableCursor, _ j: Int32) -> Int {
        let ka = a.kind(i), kb = b.kind(j)
        let ca = ka == .real ? 1 : ka.rawValue, cb = kb == .real ? 1 : kb.rawValue
        if ca != cb { return ca < cb ? -1 : 1 }
        switch ka {
        case .null:
            return 0
        case .integer where kb == .integer:
            let x = a.int64(i), y = b.int64(j)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .integer, .real:
            let x = a.double(i), y = b.double(j)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .text, .blob:
            return compareBytes(a.bytes(i), b.bytes(j))
        }
    }

    static func compareBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let n = min(x.count, y.count)
        if n > 0, let px = x.baseAddress, let py = y.baseAddress {
            let c = memcmp(px, py, n)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }
}
