import Foundation
import GRDB
import Testing
@testable import RTMLCore

/// The merge-join over two small stores written through the store API.
@Suite struct StoreDiffTests {
    final class Dir {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-diff-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    }

    /// A store with `users` users (u00, u01, ...), their features and ids.
    func makeStore(_ path: String, users: Int = 20) throws {
        let store = try FeatureStore.open(path: path)
        try store.transaction { batch in
            for i in 0..<users {
                let user = String(format: "u%02d", i)
                try batch.upsertFeatures(sampleRow(user, eventTs: 1_000 + Int64(i), seed: Int64(i)))
                _ = try batch.sequenceId(forUser: user)
            }
        }
        try store.close()
    }

    func sql(_ path: String, _ statements: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: statements) }
        try queue.close()
    }

    final class Recorder: DiffSink {
        var events: [(RowEvent.Kind, String, [String])] = []
        func wantsDeletesFirst(_ table: TableLayout) -> Bool { false }
        func beginTable(_ table: TableLayout) throws {}
        func endTable(_ table: TableLayout) throws {}
        func row(_ e: RowEvent) throws {
            let key = e.key.map { if case .text(let s) = $0 { return s } else { return "\($0)" } }.joined(separator: ",")
            events.append((e.kind, "\(e.table.name)/\(key)", e.cells.map { e.table.columns[$0.index].name }))
        }
    }

    @Test func copiesAreIdenticalAndEditsAreFoundExactly() throws {
        let dir = Dir()
        try makeStore(dir.path("a.db"))
        try FileManager.default.copyItem(atPath: dir.path("a.db"), toPath: dir.path("b.db"))
        var options = DiffOptions()
        let same = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        #expect(!same.hasDifferences)
        #expect(same.table("features")?.same == 20)

        try sql(dir.path("b.db"), """
            UPDATE features SET steps_mean_10m = steps_mean_10m + 0.001 WHERE user_id = 'u03';
            DELETE FROM features WHERE user_id = 'u07';
            INSERT INTO features SELECT 'u99', session_sleep_starts, session_sleep_bounces, session_sleep_bounce_rate,
              search_embedding, search_affinity_sleep, search_affinity_focus, search_affinity_move, search_affinity_meditate,
              search_affinity_stress, steps_slope_10m, steps_mean_10m, heart_rate_slope_10m, heart_rate_mean_10m,
              starts_sleep_10m, starts_focus_10m, starts_move_10m, starts_meditate_10m, starts_stress_10m,
              completes_sleep_10m, completes_focus_10m, completes_move_10m, completes_meditate_10m, completes_stress_10m,
              last_event, last_event_ts, event_ts, updated_at FROM features WHERE user_id = 'u01';
            """)
        let recorder = Recorder()
        let r = try StoreDiff(options: options, sink: recorder).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        let f = try #require(r.table("features"))
        #expect(f.changed == 1 && f.onlyInA == 1 && f.onlyInB == 1 && f.same == 18)
        #expect(f.column("steps_mean_10m")?.changed == 1)
        #expect(abs((f.column("steps_mean_10m")?.maxAbsDiff ?? 0) - 0.001) < 1e-9)
        let features = recorder.events.filter { $0.1.hasPrefix("features/") }
        #expect(features.map(\.1) == ["features/u03", "features/u07", "features/u99"])
        #expect(features[0].0 == .changed && features[0].2 == ["steps_mean_10m"])

        // Within the tolerance the change is not one.
        options.tolerance = Tolerance(absolute: 0.01)
        options.tables = ["features"]
        let tolerant = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        #expect(tolerant.table("features")?.changed == 0)
    }

    @Test func vectorsCompareElementwiseWithTheTolerance() throws {
        let dir = Dir()
        try makeStore(dir.path("a.db"), users: 3)
        try FileManager.default.copyItem(atPath: dir.path("a.db"), toPath: dir.path("b.db"))
        // [0.5, -1, 2] -> [0.5, -1, 2.0001]: one float32 changed by ~1e-4.
        let bytes = [Float(0.5), -1, 2.0001].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        try sql(dir.path("b.db"), "UPDATE features SET search_embedding = X'\(hex)' WHERE user_id = 'u01'")
        var options = DiffOptions()
        options.tables = ["features"]
        let exact = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        let column = try #require(exact.table("features")?.column("search_embedding"))
        #expect(column.changed == 1 && column.kind == .vector)
        #expect(column.maxAbsDiff > 5e-5 && column.maxAbsDiff < 2e-4)
        options.tolerance = Tolerance(absolute: 1e-3)
        #expect(try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db")).table("features")?.changed == 0)
    }

    @Test func swappedIdsAreRemappedUsersAndTheSQLAppliesInOrder() throws {
        let dir = Dir()
        try makeStore(dir.path("a.db"), users: 5)
        try FileManager.default.copyItem(atPath: dir.path("a.db"), toPath: dir.path("b.db"))
        try sql(dir.path("b.db"), """
            UPDATE sequence_ids SET seq_id = -1 WHERE user_id = 'u01';
            UPDATE sequence_ids SET seq_id = 1 WHERE user_id = 'u02';
            UPDATE sequence_ids SET seq_id = 2 WHERE user_id = 'u01';
            """)
        var script = ""
        let sink = DiffSQLSink { script += $0 }
        try sink.begin()
        let r = try StoreDiff(options: DiffOptions(), sink: sink).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        try sink.end()
        #expect(r.sequences?.remappedUsers == 2)
        #expect(r.sequences?.fingerprintsMatch == true)  // edited by hand: the stored one is stale
        #expect(r.sequences?.computedB.hex != r.sequences?.storedB)
        // The deletes come before the inserts, so the UNIQUE(seq_id) never collides; each row once.
        let statements = script.split(separator: "\n").filter { $0.contains("sequence_ids") }
        #expect(statements.map { $0.prefix(6) } == ["DELETE", "DELETE", "INSERT", "INSERT"], "\(statements)")
        try sql(dir.path("a.db"), script)
        let after = try StoreDiff(options: DiffOptions()).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        #expect(!after.hasDifferences)
    }
}

extension StoreDiffTests {
    @Test func driftIsTheSameSortedInMemoryOrBySQLite() throws {
        let dir = Dir()
        try makeStore(dir.path("a.db"), users: 40)
        try FileManager.default.copyItem(atPath: dir.path("a.db"), toPath: dir.path("b.db"))
        try sql(dir.path("b.db"), """
            UPDATE features SET steps_mean_10m = steps_mean_10m * 3 WHERE rowid % 3 = 0;
            UPDATE features SET heart_rate_mean_10m = NULL WHERE rowid % 4 = 0;
            DELETE FROM features WHERE rowid % 5 = 0;
            """)
        var options = DiffOptions()
        options.tables = ["features"]
        let inMemory = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        options.sortBudget = 1  // no column fits: every column is sorted by SQLite
        let bySQLite = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        options.sortBudget = 45  // one column per batch
        let oneByOne = try StoreDiff(options: options).run(pathA: dir.path("a.db"), pathB: dir.path("b.db"))
        let columns = try #require(inMemory.table("features")?.columns)
        #expect((columns.first { $0.name == "steps_mean_10m" }?.drift?.ks ?? 0) > 0.1)
        #expect((columns.first { $0.name == "heart_rate_mean_10m" }?.drift?.psi ?? 0) > 0.1)
        for other in [bySQLite, oneByOne] {
            for c in columns where c.kind == .numeric && c.drift != nil {
                let o = other.table("features")?.column(c.name)?.drift
                #expect(o?.psi == c.drift?.psi && o?.ks == c.drift?.ks && o?.bins == c.drift?.bins, "\(c.name)")
            }
        }
    }
}
