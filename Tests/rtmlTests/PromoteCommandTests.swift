import Foundation
import Testing

@Suite struct PromoteCommandTests {
    /// The documented retrain cycle: featurize green while blue serves, train
    /// on green, promote green with its model, serving follows; the old
    /// model is refused against the new store.
    @Test func theRetrainCycleSwitchesStoreAndModelTogether() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let stores = dir.path("stores")
        try FileManager.default.createDirectory(atPath: stores, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.blue, toPath: stores + "/blue.db")
        try "blue\n".write(toFile: stores + "/ACTIVE", atomically: true, encoding: .utf8)
        // The next day, same users, into green (ids assigned in another order).
        let day2 = try RTML.bash("""
            '\(RTML.binary)' simulate --users 300 --date 2026-11-27 --seed 43 --quiet | '\(RTML.binary)' ingest --quiet \
              | '\(RTML.binary)' featurize --store '\(stores)/green.db' --color green -q > /dev/null
            """)
        #expect(day2.status == 0, "\(day2.stderr)")
        let job = #"{"jobId":"j-1","userId":"u7","eventTime":"2026-11-27T12:00:00Z"}"# + "\n"
        // Blue serves with blue's model.
        let before = try RTML.run(["serve-once", "--stores", stores, "--model", f.recs], stdin: Data(job.utf8))
        #expect(before.status == 0, "\(before.stderr)")
        // Promoting green with blue's model is refused; ACTIVE stays blue.
        let refused = try RTML.run(["promote", "--stores", stores, "--to", "green", "--model", f.recs])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("FAIL"))
        #expect(try String(contentsOfFile: stores + "/ACTIVE", encoding: .utf8) == "blue\n")
        // Train on green, dry-run, then promote with it.
        let trained = try RTML.run(["train", "als", "--store", stores + "/green.db", "--factors", "8", "--iterations", "4",
                                    "-q", "-o", dir.path("models/recs"), "--alias", "green"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let model = dir.path("models/recs") + "@green"
        let dry = try RTML.run(["promote", "--stores", stores, "--to", "green", "--model", model, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try String(contentsOfFile: stores + "/ACTIVE", encoding: .utf8) == "blue\n")
        let promoted = try RTML.run(["promote", "--stores", stores, "--to", "green", "--model", model])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        #expect(try String(contentsOfFile: stores + "/ACTIVE", encoding: .utf8) == "green\n")
        // serve-once follows ACTIVE: the new model serves, the old one is refused.
        let after = try RTML.run(["serve-once", "--stores", stores, "--model", model, "--stats", dir.path("s.json")], stdin: Data(job.utf8))
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stderr.contains("green.db"))
        let stale = try RTML.run(["serve-once", "--stores", stores, "--model", f.recs], stdin: Data(job.utf8))
        #expect(stale.status == 2)
        #expect(stale.stderr.contains("fingerprint"))
        // The summary names the active color and both stores.
        let shown = try RTML.run(["promote", "--stores", stores])
        #expect(shown.status == 0)
        #expect(shown.lines.first == "active: green")
        #expect(shown.stdoutText.contains("blue.db") && shown.stdoutText.contains("green.db"))
    }

    @Test func refusesMissingEmptyAndForeignTargets() throws {
        let dir = Workdir()
        let stores = dir.path("stores")
        try FileManager.default.createDirectory(atPath: stores, withIntermediateDirectories: true)
        let missing = try RTML.run(["promote", "--stores", stores, "--to", "green"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such store"))
        dir.write("stores/green.db", "not a database at all, just text that is long enough to not be empty\n")
        let foreign = try RTML.run(["promote", "--stores", stores, "--to", "green"])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("not a SQLite database") || foreign.stderr.contains("not an rtml store"))
        try FileManager.default.removeItem(atPath: stores + "/green.db")
        let created = try RTML.run(["featurize", "--store", stores + "/green.db", "-q"], stdin: Data())
        #expect(created.status == 0, "\(created.stderr)")
        let empty = try RTML.run(["promote", "--stores", stores, "--to", "green"])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("has no features"))
        #expect(!FileManager.default.fileExists(atPath: stores + "/ACTIVE"))
    }
}
