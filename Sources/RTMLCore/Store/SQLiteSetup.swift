import CSupport

/// SQLite's process-wide settings, made once before any connection opens.
///
/// Debian's libsqlite3 is built serialized (`THREADSAFE=1`): every call on a
/// connection, each `sqlite3_bind_*` of featurize's ~40 per history row
/// included, locks and unlocks that connection's mutex, and every allocation
/// updates usage counters under a global one. rtml uses each connection from
/// one thread at a time (a GRDB queue, or the checkpointer's own), so
/// multi-thread mode is safe, and nothing reads the counters.
enum SQLiteSetup {
    /// Touch before opening a connection. If some other code opened one first,
    /// the settings are refused and SQLite keeps its defaults: slower, still correct.
    static let configured: Bool = {
        let multithread = rtml_sqlite_config_multithread()
        let memstatus = rtml_sqlite_config_memstatus(0)
        return multithread == 0 && memstatus == 0
    }()
}
