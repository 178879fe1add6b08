import Foundation
import GRDB
@testable import RTMLCore
import Testing

@Suite struct BackgroundCheckpointerTests {
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// The writer's automatic checkpoint is off while the checkpointer runs:
    /// without the second connection the WAL would only grow. With it, the
    /// pages reach the database file during the run and the WAL restarts
    /// once it passes its bound; nothing committed is lost.
    @Test func theWALStaysBoundedAndThePagesReachTheFileWhileTheWriterWrites() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path)
        let initialFileSize = fileSize(path)
        let checkpointer = try store.startBackgroundCheckpoints(restartFrames: 64, stepFrames: 16)
        #expect(try store.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } == 0)

        var maxWAL = 0, maxFramesPerCommit = 0, previousWAL = 0
        var rows = 0
        for batch in 0..<40 {
            checkpointer.beforeTransaction()
            try store.transaction { b throws in
                for i in 0..<300 {
                    try b.insertHistory(sampleRow("u\(i % 13)", eventTs: Int64(batch * 300 + i), seed: Int64(i)))
                }
            }
            rows += 300
            let wal = fileSize(path + "-wal")
            maxWAL = max(maxWAL, wal)
            maxFramesPerCommit = max(maxFramesPerCommit, max(0, wal - previousWAL) / 4096)
            previousWAL = wal
        }
        let fileSizeWhileWriting = fileSize(path)
        store.stopBackgroundCheckpoints(checkpointer)

        #expect(checkpointer.checkpoints > 0)
        #expect(maxFramesPerCommit > 0)
        // At most the bound, the commit that crossed it and the next one (4 KiB pages, 24-byte frame headers).
        let bound = (64 + 2 * maxFramesPerCommit + 2) * (4096 + 24) + 32
        #expect(maxWAL <= bound, "WAL grew to \(maxWAL) bytes (bound \(bound))")
        #expect(fileSizeWhileWriting > initialFileSize + 20 * 4096, "the checkpointer copied nothing into the file")
        #expect(try store.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } == 16384)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM feature_history") } == rows)
        try store.close()

        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(try reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM feature_history") } == rows)
        #expect(try reader.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    /// A live trickle commits every few milliseconds: a checkpoint (and its
    /// syncs) runs once the WAL has grown by the step, not after every commit.
    @Test func smallCommitsAreCheckpointedOnceTheWALHasGrownByTheStep() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let store = try FeatureStore.open(path: path)
        let checkpointer = try store.startBackgroundCheckpoints(restartFrames: 100_000, stepFrames: 40)
        let commits = 200
        for i in 0..<commits {
            checkpointer.beforeTransaction()
            try store.transaction { b throws in try b.insertHistory(sampleRow("u\(i % 5)", eventTs: Int64(i), seed: Int64(i))) }
        }
        store.stopBackgroundCheckpoints(checkpointer)
        // Each commit appends a few frames: one checkpoint per ~40 frames is
        // far fewer than one per commit.
        #expect(checkpointer.commits == commits)
        #expect(checkpointer.checkpoints >= 1)
        #expect(checkpointer.checkpoints < commits / 4, "\(checkpointer.checkpoints) checkpoints for \(commits) commits")
        try store.close()
    }

    @Test func aStoreOpenedReadOnlyGetsNoCheckpointer() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        try FeatureStore.open(path: path).close()
        let reader = try FeatureStore.openReadOnly(path: path)
        #expect(rtmlError { _ = try reader.startBackgroundCheckpoints() } != nil)
    }
}
