import CSupport

/// SQLite's process-wide settings, made once before any connection opens.
///
/// Debian's libsqlite3 is built serialized (`THREADSAFE=1`): every call on a
/// connection, each `sqlite3_bind_*` of featurize's ~40 per history row
/// included, locks and unlocks that connection's mutex, and every allocation
/// updates usage counters under a global one. rtml uses each connection from
/// one thread at a time (a GRDB queue, or the checkpointer's own), so
/// multi-thread mode is safe, and nothing reads the counters.
public enum SQLiteSetup {
    /// Makes the settings (once). Call it before any thread opens a
    /// connection: `sqlite3_config` must not run beside an open. The CLI
    /// does at start; `FeatureStore`'s opens do too, for library users.
    public static func apply() { _ = configured }

    /// Whether SQLite took the settings. If some other code opened a
    /// connection first, they are refused and SQLite keeps its defaults:
    /// slower, still correct.
    static let configured: Bool = {
        let multithread = rtml_sqlite_config_multithread()
        let memstatus = rtml_sqlite_config_memstatus(0)
        return multithread == 0 && memstatus == 0
    }()
}
