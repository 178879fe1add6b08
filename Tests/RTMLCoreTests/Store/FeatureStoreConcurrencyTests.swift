import Foundation
import GRDB
import RTMLCore
import Testing

@Suite struct FeatureStoreConcurrencyTests {
    @Test func aReaderSeesTheLastCommitWhileTheWriterHasATransactionOpen() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let writer = try FeatureStore.open(path: path)
        try writer.transaction { b throws in try b.upsertFeatures(sampleRow("u1", eventTs: 1, seed: 1)) }
        let reader = try FeatureStore.openReadOnly(path: path, busyTimeout: 0.2)
        try writer.transaction { b throws in
            try b.upsertFeatures(sampleRow("u1", eventTs: 2, seed: 2))
            try b.setCheckpoint("position", [2])
            // Not blocked, and nothing of the open transaction is visible.
            #expect(try reader.features(forUser: "u1").flatMap(seedOf) == 1)
            #expect(try reader.checkpoint("position") == nil)
        }
        #expect(try reader.features(forUser: "u1").flatMap(seedOf) == 2)
        #expect(try reader.checkpoint("position") == [2])
    }

    /// Each batch adds rows and records their running total in the
    /// checkpoint; a reader on another thread must always see the two agree.
    @Test func aReaderOnAnotherThreadSeesWholeBatchesWhileTheWriterCommits() throws {
        let dir = TempDir()
        let path = dir.path("s.db")
        let writer = try FeatureStore.open(path: path)
        try writer.transaction { b throws in try b.setCheckpoint("rows", Array("0".utf8)) }

        let done = DispatchSemaphore(value: 0)
        let stop = ManagedFlag()
        let results = ReadResults()
        Thread {
            defer { done.signal() }
            do {
                let reader = try FeatureStore.openReadOnly(path: path)
                while !stop.isSet {
                    let (recorded, counted) = try reader.read { db in
                        (try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM checkpoint WHERE key = 'rows'"),
                         try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_history"))
                    }
                    results.add(recorded.flatMap { Int($0) } == counted, counted ?? -1)
                }
            } catch {
                results.fail("\(error)")
            }
        }.start()

        var total = 0
        for batch in 0..<40 {
            try writer.transaction { b throws in
                for i in 0..<50 {
                    try b.insertHistory(sampleRow("u\(i % 7)", eventTs: Int64(batch * 50 + i), seed: Int64(i)))
                }
                total += 50
                try b.setCheckpoint("rows", Array(String(total).utf8))
            }
        }
        // Let the reader see the final state at least once.
        while results.maxSeen < total && results.failure == nil { usleep(1_000) }
        stop.set()
        done.wait()
        #expect(results.failure == nil)
        #expect(results.inconsistent == 0)
        #expect(results.reads > 0)
    }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class ReadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (reads: 0, inconsistent: 0, maxSeen: 0)
    private var error: String?

    var reads: Int { lock.withLock { counts.reads } }
    var inconsistent: Int { lock.withLock { counts.inconsistent } }
    var maxSeen: Int { lock.withLock { counts.maxSeen } }
    var failure: String? { lock.withLock { error } }

    func add(_ consistent: Bool, _ seen: Int) {
        lock.withLock {
            counts.reads += 1
            if !consistent { counts.inconsistent += 1 }
            counts.maxSeen = max(counts.maxSeen, seen)
        }
    }

    func fail(_ message: String) { lock.withLock { error = message } }
}
