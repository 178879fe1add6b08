import Foundation
import GRDB
import RTMLCore
import Testing

@Suite struct FeatureStoreErrorTests {
    /// The error's message, after checking it is one line, an error status, and names the file.
    func message(_ path: String, _ body: () throws -> Void) -> String {
        guard let error = rtmlError(body) else {
            Issue.record("no error for \(path)")
            return ""
        }
        #expect(error.status == .error)
        #expect(error.message.hasPrefix(path + ": "))
        #expect(!error.message.contains("\n"))
        return error.message
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let dir = TempDir()
        let path = dir.write("notes.db", Array("this is not a database, just text that is long enough\n".utf8) + [UInt8](repeating: 7, count: 600))
        #expect(message(path) { _ = try FeatureStore.open(path: path) }.contains("not a SQLite database"))
        #expect(message(path) { _ = try FeatureStore.openReadOnly(path: path) }.contains("not a SQLite database"))
    }

    @Test func aSQLiteFileWithoutRTMLMetaIsRefusedAndLeftAlone() throws {
        let dir = TempDir()
        let path = dir.path("other.db")
        let db = try DatabaseQueue(path: path)
        try db.write { try $0.execute(sql: "CREATE TABLE people (name TEXT)") }
        try db.close()
        #expect(message(path) { _ = try FeatureStore.open(path: path) }.contains("not an rtml store"))
        #expect(message(path) { _ = try FeatureStore.openReadOnly(path: path) }.contains("not an rtml store"))
        let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "delete")

        let metaOnly = dir.path("meta.db")
        let other = try DatabaseQueue(path: metaOnly)
        try other.write { try $0.execute(sql: "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('owner', 'someone')") }
        try other.close()
        #expect(message(metaOnly) { _ = try FeatureStore.open(path: metaOnly) }.contains("not an rtml store (meta has no schema_version"))
    }

    @Test func aStoreFromANewerSchemaNamesBothVersions() throws {
        let dir = TempDir()
        let path = dir.path("future.db")
        try FeatureStore.open(path: path).close()
        let db = try DatabaseQueue(path: path)
        try db.write { try $0.execute(sql: "UPDATE meta SET value = '7' WHERE key = 'schema_version'") }
        try db.close()
        let text = message(path) { _ = try FeatureStore.open(path: path) }
        #expect(text.contains("schema version 7 is newer than this rtml"))
        #expect(text.contains("supports (\(FeatureStore.currentSchemaVersion))"))
        #expect(message(path) { _ = try FeatureStore.openReadOnly(path: path) }.contains("schema version 7"))
    }

    @Test func createModesCheckWhetherTheFileExists() throws {
        let dir = TempDir()
        let missing = dir.path("missing.db")
        #expect(message(missing) { _ = try FeatureStore.open(path: missing, mode: .mustExist) }.contains("no such store"))
        #expect(message(missing) { _ = try FeatureStore.openReadOnly(path: missing) }.contains("no such store"))
        #expect(!FileManager.default.fileExists(atPath: missing))

        let existing = dir.path("existing.db")
        try FeatureStore.open(path: existing, mode: .mustCreate).close()
        #expect(message(existing) { _ = try FeatureStore.open(path: existing, mode: .mustCreate) }.contains("already exists"))

        // An empty file (touch) becomes a store unless the store must exist.
        let empty = dir.write("empty.db", [])
        #expect(message(empty) { _ = try FeatureStore.open(path: empty, mode: .mustExist) }.contains("not an rtml store"))
        try FeatureStore.open(path: empty).close()
        #expect(try FeatureStore.openReadOnly(path: empty).schemaVersion == FeatureStore.currentSchemaVersion)

        let noDir = dir.path("no/such/dir/s.db")
        #expect(message(noDir) { _ = try FeatureStore.open(path: noDir) }.contains("cannot open"))
        #expect(message(dir.url.path) { _ = try FeatureStore.open(path: dir.url.path) }.contains("is a directory"))
    }

    @Test func anotherColorIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        try FeatureStore.open(path: path).close()
        let colored = try FeatureStore.open(path: path, color: "green")
        #expect(try colored.meta("color") == "green")
        try colored.close()
        #expect(message(path) { _ = try FeatureStore.open(path: path, color: "blue") }.contains("store is green, not blue"))
        #expect(rtmlError { _ = try FeatureStore.open(path: path, color: "red") }?.status == .usage)
    }

    @Test func aStoreLockedByAnotherWriterIsReportedNotWaitedOnForever() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path, busyTimeout: 0.05)

        // Another writer holds the write lock: a second writer cannot open, readers still can.
        var config = Configuration()
        config.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: config)
        try other.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE; INSERT INTO meta VALUES ('pending', 'x')") }
        #expect(message(path) { _ = try FeatureStore.open(path: path, busyTimeout: 0.05) }.contains("locked by another connection"))
        #expect(message(path) { try store.transaction { _ throws in } }.contains("locked"))
        #expect(try FeatureStore.openReadOnly(path: path, busyTimeout: 0.05).meta("pending") == nil)
        try other.inDatabase { try $0.execute(sql: "ROLLBACK") }
        try store.transaction { b throws in _ = try b.sequenceId(forUser: "u") }

        // A connection in exclusive locking mode keeps even readers out.
        try store.close()
        try other.inDatabase { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE meta SET value = value")
        }
        #expect(message(path) { _ = try FeatureStore.openReadOnly(path: path, busyTimeout: 0.05) }.contains("locked"))
        try other.inDatabase { try $0.execute(sql: "ROLLBACK") }
        try other.close()
    }

    @Test func aReadOnlyStoreRefusesWrites() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        try FeatureStore.open(path: path).close()
        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(message(path) { try reader.transaction { _ throws in } }.contains("read-only"))
    }
}
