import GRDB

/// Turns SQLite's errors into rtml's: one lowercase sentence naming the
/// store file (and the table when known) and why. RTMLErrors pass through.
enum StoreErrors {
    static func opening(_ path: String, _ error: Error, busyTimeout: Double) -> Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return RTMLError("\(path): not a SQLite database, so not an rtml store")
        case .SQLITE_CORRUPT:
            return RTMLError("\(path): the store's SQLite file is corrupt")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return RTMLError("\(path): store is locked by another connection (waited \(seconds(busyTimeout)))")
        case .SQLITE_CANTOPEN:
            return RTMLError("\(path): cannot open the store (missing directory or no permission)")
        case .SQLITE_READONLY:
            return RTMLError("\(path): cannot write the store (read-only file or directory)")
        default:
            return RTMLError("\(path): cannot open the store: \(error.message ?? "\(error.resultCode)")")
        }
    }

    static func reading(_ path: String, _ error: Error, table: String?, busyTimeout: Double) -> Error {
        mapped(path, error, verb: "read", table: table, busyTimeout: busyTimeout)
    }

    static func writing(_ path: String, _ error: Error, table: String?, busyTimeout: Double) -> Error {
        mapped(path, error, verb: "write", table: table, busyTimeout: busyTimeout)
    }

    private static func mapped(_ path: String, _ error: Error, verb: String, table: String?, busyTimeout: Double) -> Error {
        guard let error = error as? DatabaseError else { return error }
        let what = table.map { " \($0)" } ?? " the store"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return RTMLError("\(path): store is locked by another connection (waited \(seconds(busyTimeout)))")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return RTMLError("\(path): the store's SQLite file is corrupt")
        default:
            return RTMLError("\(path): cannot \(verb)\(what): \(error.message ?? "\(error.resultCode)")")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(Int((value * 1000).rounded()))ms"
    }
}
