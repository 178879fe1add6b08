import GRDBSQLite

/// A prepared statement bound and stepped through the SQLite C API.
///
/// The per-event inserts (a history row of ~30 columns, an events row)
/// are the store's hot path. GRDB's cached statements turn every argument
/// into a `DatabaseValue` inside a `StatementArguments` array and validate
/// the count on each call; binding directly is measurably faster
/// (Benchmarks/store prints both). This file, `BackgroundCheckpointer`
/// (a second connection and a WAL hook) and `SQLiteSetup` (process-wide
/// settings) are the only ones that call sqlite3 functions; everything else
/// goes through GRDB.
///
/// Statements are prepared on the connection GRDB opened
/// (`Database.sqliteConnection`), used only on that connection's queue, and
/// finalised before GRDB closes it.
final class RawStatement {
    private var handle: OpaquePointer?
    private let connection: OpaquePointer
    /// For error messages: the file and the table the statement writes.
    let path: String
    let table: String
    /// "write" or "read", for error messages.
    let verb: String

    /// Text and blob values of the row being bound are copied here and bound
    /// SQLITE_STATIC: one memcpy instead of SQLite's malloc, copy and free
    /// (each taking its allocator's mutex) per value. The buffer is never
    /// moved while bound (a value that does not fit is bound
    /// SQLITE_TRANSIENT instead) and is reused from the start after each
    /// `run()` or `reset()`, when SQLite no longer reads the old values
    /// (every user of a statement binds all its parameters before stepping).
    private let scratch: UnsafeMutableRawPointer
    private static let scratchBytes = 1 << 16
    private var scratchUsed = 0

    init(connection: OpaquePointer, sql: String, path: String, table: String, verb: String = "write") throws {
        self.connection = connection
        self.path = path
        self.table = table
        self.verb = verb
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw RawStatement.error(path: path, table: table, connection: connection, code: code, verb: verb)
        }
        handle = statement
        scratch = UnsafeMutableRawPointer.allocate(byteCount: Self.scratchBytes, alignment: 16)
    }

    deinit {
        finalize()
        scratch.deallocate()
    }

    /// Where `count` bytes can be copied for binding, or nil when they do not fit.
    @inline(__always) private func scratchSpace(_ count: Int) -> UnsafeMutableRawPointer? {
        guard Self.scratchBytes - scratchUsed >= count else { return nil }
        let p = scratch + scratchUsed
        scratchUsed += (count + 7) & ~7
        return p
    }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    // Parameters are 1-based, as in SQLite.

    @inline(__always) func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    @inline(__always) func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                // An empty string must stay '' (not NULL): SQLite needs a non-null pointer for that.
                if let base = chars.baseAddress {
                    if let copy = scratchSpace(chars.count) {
                        copy.copyMemory(from: base, byteCount: chars.count)
                        _ = sqlite3_bind_text(handle, index, copy.assumingMemoryBound(to: CChar.self), Int32(chars.count), RawStatement.static)
                    } else {
                        _ = sqlite3_bind_text(handle, index, base, Int32(chars.count), RawStatement.transient)
                    }
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, RawStatement.transient)
                }
            }
        }
    }

    /// Text SQLite reads where it is (SQLITE_STATIC): the caller keeps the
    /// bytes unchanged until the statement has run.
    @inline(__always) func bindText(_ index: Int32, _ utf8: UnsafeRawBufferPointer) {
        if let base = utf8.baseAddress {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(utf8.count), RawStatement.static)
        } else {
            sqlite3_bind_text(handle, index, "", 0, RawStatement.transient)
        }
    }

    @inline(__always) func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    /// A BLOB, never NULL: an empty buffer is stored as a zero-length blob.
    @inline(__always) func bind(_ index: Int32, bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            if let copy = scratchSpace(bytes.count) {
                copy.copyMemory(from: base, byteCount: bytes.count)
                sqlite3_bind_blob(handle, index, copy, Int32(bytes.count), RawStatement.static)
            } else {
                sqlite3_bind_blob(handle, index, base, Int32(bytes.count), RawStatement.transient)
            }
        } else {
            sqlite3_bind_zeroblob(handle, index, 0)
        }
    }

    /// Runs a statement that returns no rows, then resets it for the next use.
    @inline(__always) func run() throws {
        let code = sqlite3_step(handle)
        if code != SQLITE_DONE {
            let error = RawStatement.error(path: path, table: table, connection: connection, code: code)
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            scratchUsed = 0
            throw error
        }
        sqlite3_reset(handle)
        scratchUsed = 0
    }

    /// Steps a query once: true when it produced a row (read it with the
    /// column accessors, then call `reset()`).
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let error = RawStatement.error(path: path, table: table, connection: connection, code: code, verb: verb)
        sqlite3_reset(handle)
        throw error
    }

    func reset() {
        sqlite3_reset(handle)
        scratchUsed = 0
    }

    func columnIsNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    func columnInt64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    func columnDouble(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// The storage class of the column's value in the current row.
    func columnKind(_ index: Int32) -> SQLiteKind {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .real
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    /// A TEXT column's UTF-8 bytes (not NUL-terminated), valid until the next step or reset.
    func columnTextBytes(_ index: Int32) -> UnsafeRawBufferPointer {
        let base = sqlite3_column_text(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return UnsafeRawBufferPointer(start: base.map(UnsafeRawPointer.init), count: count)
    }

    /// The column as a String (a NULL gives "").
    func columnText(_ index: Int32) -> String {
        guard let text = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes, valid until the next step or reset.
    func columnBytes(_ index: Int32) -> UnsafeRawBufferPointer {
        let base = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Sets a per-connection pragma for a reader (e.g. sorter threads); failures are ignored.
    static func pragma(connection: OpaquePointer, _ sql: String) {
        sqlite3_exec(connection, sql, nil, nil, nil)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private static let `static` = unsafeBitCast(0, to: sqlite3_destructor_type.self)

    static func error(path: String, table: String, connection: OpaquePointer, code: Int32, verb: String = "write") -> RTMLError {
        let message = String(cString: sqlite3_errmsg(connection))
        let primary = code & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED {
            return RTMLError("\(path): store is locked by another connection while \(verb == "read" ? "reading" : "writing") \(table)")
        }
        if primary == SQLITE_CONSTRAINT {
            return RTMLError("\(path): \(table): \(message)")
        }
        return RTMLError("\(path): cannot \(verb) \(table): \(message)")
    }
}

/// SQLite's storage classes, in its sort order for mixed types (NULL first).
enum SQLiteKind: Int {
    case null = 0, integer = 1, real = 2, text = 3, blob = 4
}
