import Foundation
import Testing

private let sharedStoreDir = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-diff-stores-\(getpid())").path

struct RTMLTestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// `rtml diff` through the real binary, on stores featurize built.
@Suite(.serialized) struct DiffCommandTests {
    /// Day 1 featurized into blue.db; green.db is days 1 and 2 in one run
    /// (the same users on the next day, so the two stores overlap on day 1).
    /// Built once per test run and copied into each test's directory.
    static func stores(_ dir: Workdir) throws -> (blue: String, green: String, day2Accepted: Int) {
        let day2Accepted = try builtStores.get()
        for name in ["blue.db", "green.db", "day2.ndjson"] {
            try FileManager.default.copyItem(atPath: sharedStoreDir + "/" + name, toPath: dir.path(name))
        }
        return (dir.path("blue.db"), dir.path("green.db"), day2Accepted)
    }

    private static let builtStores: Result<Int, Error> = Result {
        try FileManager.default.createDirectory(atPath: sharedStoreDir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: sharedStoreDir) }
        let b = RTML.binary
        let script = """
        set -eo pipefail
        '\(b)' simulate --users 100 --seed 4 --date 2026-11-26 --quiet | '\(b)' ingest --quiet --received-at-default timestamp > day1.ndjson
        '\(b)' simulate --users 100 --seed 5 --date 2026-11-27 --quiet | '\(b)' ingest --quiet --received-at-default timestamp > day2.ndjson
        '\(b)' featurize day1.ndjson --store blue.db --quiet -o /dev/null --stats blue.json
        '\(b)' featurize day1.ndjson day2.ndjson --store green.db --quiet -o /dev/null --stats green.json
        """
        let result = try RTML.bash(script, in: URL(fileURLWithPath: sharedStoreDir))
        guard result.status == 0 else { throw RTMLTestFailure(message: "building the diff test stores: \(result.stderr)") }
        func accepted(_ name: String) -> Int {
            let data = FileManager.default.contents(atPath: sharedStoreDir + "/" + name) ?? Data()
            return (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["accepted"] as? Int ?? -1
        }
        return accepted("green.json") - accepted("blue.json")
    }

    func ndjson(_ result: RTML.Result) -> [[String: Any]] { result.lines.map(parseJSON) }

    func summary(_ lines: [[String: Any]], type: String, table: String? = nil, column: String? = nil) -> [String: Any] {
        lines.first { ($0["type"] as? String) == type && (table == nil || ($0["table"] as? String) == table)
            && (column == nil || ($0["column"] as? String) == column) } ?? [:]
    }

    @Test func twoOverlappingDaysAndTheirGates() throws {
        let dir = Workdir()
        let (blue, green, day2) = try Self.stores(dir)
        #expect(try RTML.run(["diff", blue, blue]).status == 0)

        let text = try RTML.run(["diff", blue, green])
        #expect(text.status == 1, "\(text.stderr)")
        #expect(text.stdoutText.contains("result: the stores differ"))
        #expect(text.stdoutText.contains("fingerprints differ"))

        let result = try RTML.run(["diff", blue, green, "--format", "ndjson"])
        #expect(result.status == 1)
        let lines = ndjson(result)
        #expect(lines.allSatisfy { $0["type"] is String })
        // Row lines first, then the summaries.
        let firstSummary = lines.firstIndex { ($0["type"] as? String) != "row" } ?? 0
        #expect(lines[firstSummary...].allSatisfy { ($0["type"] as? String) != "row" })
        // Appending day 2 keeps every event (history row) of day 1 and adds day 2's at the end.
        let events = summary(lines, type: "table", table: "feature_history")
        #expect(events["only_in_b"] as? Int == day2)
        #expect(events["only_in_a"] as? Int == 0 && events["changed"] as? Int == 0)
        #expect(lines.filter { ($0["table"] as? String) == "feature_history" && ($0["type"] as? String) == "row" }.count == day2)
        // events is a view of feature_history, not a table of its own to compare.
        #expect(summary(lines, type: "table", table: "events").isEmpty)
        // Ids are never reassigned when a store grows.
        let seq = summary(lines, type: "sequence_ids")
        #expect(seq["remapped_users"] as? Int == 0)
        #expect(seq["fingerprints_match"] as? Bool == false)
        let features = summary(lines, type: "table", table: "features")
        #expect((features["changed"] as? Int ?? 0) > 10)
        let rowLines = lines.filter { ($0["type"] as? String) == "row" && ($0["table"] as? String) == "features" && ($0["change"] as? String) == "changed" }
        let steps = summary(lines, type: "column", table: "features", column: "steps_mean_10m")
        #expect(rowLines.filter { ($0["column"] as? String) == "steps_mean_10m" }.count == steps["changed_rows"] as? Int)
        #expect((steps["ks"] as? Double ?? -1) >= 0 && steps["psi"] is Double)

        // Gates decide the status: this growth passes a remap gate and trips a change gate.
        let pass = try RTML.run(["diff", blue, green, "--fail-on", "remapped_users>0", "--fail-on", "schema_changes>0"])
        #expect(pass.status == 0, "\(pass.stdoutText)")
        #expect(pass.stdoutText.contains("gate remapped_users>0: passed"))
        let trip = try RTML.run(["diff", blue, green, "--fail-on", "remapped_users>0", "--fail-on", "features:changed_rows>1%"])
        #expect(trip.status == 1)
        #expect(trip.stdoutText.contains("gate features:changed_rows>1%: TRIPPED at features"))
        #expect(trip.stdoutText.contains("1 of 2 gates tripped"))

        // A green rebuilt from day 2 alone numbers the users in another order.
        let rebuilt = try RTML.bash("'\(RTML.binary)' featurize day2.ndjson --store rebuilt.db --quiet -o /dev/null", in: dir.url)
        #expect(rebuilt.stderr.isEmpty, "\(rebuilt.stderr)")
        #expect(rebuilt.status == 0)
        let hazard = try RTML.run(["diff", blue, dir.path("rebuilt.db"), "--fail-on", "remapped_users>0", "--format", "ndjson"])
        #expect(hazard.status == 1)
        #expect((summary(ndjson(hazard), type: "sequence_ids")["remapped_users"] as? Int ?? 0) > 0)
        #expect(hazard.stderr.contains("gate remapped_users>0: TRIPPED at sequence_ids"))
    }

    @Test func handMadeEditsAreEachReportedExactly() throws {
        let dir = Workdir()
        let (blue, _, _) = try Self.stores(dir)
        let edited = dir.path("edited.db")
        try FileManager.default.copyItem(atPath: blue, toPath: edited)
        let user = try RTML.shell(["/usr/bin/sqlite3", blue, "SELECT user_id FROM features WHERE steps_mean_10m IS NOT NULL ORDER BY user_id LIMIT 1"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let old = try RTML.shell(["/usr/bin/sqlite3", blue, "SELECT steps_mean_10m FROM features WHERE user_id = '\(user)'"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let edit = try RTML.shell(["/usr/bin/sqlite3", edited, """
            UPDATE features SET steps_mean_10m = steps_mean_10m + 2.5 WHERE user_id = '\(user)';
            UPDATE sequence_ids SET seq_id = 100000 WHERE user_id = (SELECT user_id FROM sequence_ids WHERE seq_id = 3);
            ALTER TABLE features ADD COLUMN retention_score REAL;
            """])
        #expect(edit.status == 0, "\(edit.stderr)")
        let remapped = try RTML.shell(["/usr/bin/sqlite3", blue, "SELECT user_id FROM sequence_ids WHERE seq_id = 3"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        let result = try RTML.run(["diff", blue, edited, "--format", "ndjson"])
        #expect(result.status == 1)
        let lines = ndjson(result)
        let rows = lines.filter { ($0["type"] as? String) == "row" }
        #expect(rows.count == 2, "\(rows)")
        let feature = try #require(rows.first { ($0["table"] as? String) == "features" })
        #expect((feature["key"] as? [String: Any])?["user_id"] as? String == user)
        #expect(feature["column"] as? String == "steps_mean_10m")
        let a = feature["a"] as? Double ?? .nan, b = feature["b"] as? Double ?? .nan
        #expect(abs(a - (Double(old) ?? .nan)) < 1e-9 && abs(b - a - 2.5) < 1e-9)
        let seq = try #require(rows.first { ($0["table"] as? String) == "sequence_ids" })
        #expect((seq["key"] as? [String: Any])?["user_id"] as? String == remapped)
        #expect(seq["a"] as? Int == 3 && seq["b"] as? Int == 100000)
        let schema = lines.filter { ($0["type"] as? String) == "schema" }
        #expect(schema.count == 1)
        #expect(schema.first?["table"] as? String == "features" && schema.first?["column"] as? String == "retention_score")
        #expect(summary(lines, type: "sequence_ids")["remapped_users"] as? Int == 1)
        #expect(summary(lines, type: "table", table: "features")["changed"] as? Int == 1)

        // The text summary says the same.
        let text = try RTML.run(["diff", blue, edited]).stdoutText
        #expect(text.contains("features.retention_score: column only in b (REAL)"))
        #expect(text.contains("features [\"\(user)\"]: steps_mean_10m"))
        #expect(text.contains("a model trained on a would score 1 user of b as someone else"))

        // Tolerances: 2.5 is within --abs-tol 3 and within --rel-tol of nothing smaller.
        let tolerant = try RTML.run(["diff", blue, edited, "--tables", "features", "--abs-tol", "3", "--format", "ndjson"])
        #expect(summary(ndjson(tolerant), type: "table", table: "features")["changed"] as? Int == 0)
        let narrowed = try RTML.run(["diff", blue, edited, "--tables", "features", "--columns", "steps_slope_10m", "--format", "ndjson"])
        #expect(summary(ndjson(narrowed), type: "table", table: "features")["changed"] as? Int == 0)
    }

    @Test func theSQLTurnsAIntoB() throws {
        let dir = Workdir()
        let (blue, green, _) = try Self.stores(dir)
        try RTML.shell(["/usr/bin/sqlite3", green, """
            UPDATE sequence_ids SET seq_id = -1 WHERE seq_id = 1;
            UPDATE sequence_ids SET seq_id = 1 WHERE seq_id = 2;
            UPDATE sequence_ids SET seq_id = 2 WHERE seq_id = -1;
            DELETE FROM features WHERE rowid % 7 = 0;
            ALTER TABLE features ADD COLUMN retention_score REAL;
            UPDATE features SET retention_score = 0.25 WHERE rowid % 5 = 0;
            INSERT INTO meta VALUES ('note', 'it''s green');
            """])
        let script = try RTML.run(["diff", blue, green, "--format", "sql", "-o", dir.path("diff.sql")])
        #expect(script.status == 1, "\(script.stderr)")
        #expect(dir.read("diff.sql").contains("ALTER TABLE \"features\" ADD COLUMN \"retention_score\" REAL;"))
        let apply = try RTML.bash("/usr/bin/sqlite3 '\(blue)' < diff.sql", in: dir.url)
        #expect(apply.status == 0, "\(apply.stderr)")
        let after = try RTML.run(["diff", blue, green])
        #expect(after.status == 0, "\(after.stdoutText)")
        // And in sqlite3's own eyes, every table diff compares holds the same rows.
        for table in ["features", "feature_history", "user_windows", "events", "sequence_ids", "item_ids", "predictions"] {
            let sql = "SELECT * FROM \(table)"
            let x = try RTML.shell(["/usr/bin/sqlite3", "-readonly", blue, sql]).lines.sorted()
            let y = try RTML.shell(["/usr/bin/sqlite3", "-readonly", green, sql]).lines.sorted()
            #expect(x == y, "\(table)")
        }
        let note = try RTML.shell(["/usr/bin/sqlite3", blue, "SELECT value FROM meta WHERE key = 'note'"]).stdoutText
        #expect(note == "it's green\n")
    }

    @Test func badInputIsOneLineAndStatusTwo() throws {
        let dir = Workdir()
        let (blue, _, _) = try Self.stores(dir)
        dir.write("notes.txt", String(repeating: "not a database\n", count: 100))
        _ = try RTML.shell(["/usr/bin/sqlite3", dir.path("other.db"), "CREATE TABLE t (x); INSERT INTO t VALUES (1)"])
        let cases: [(String, String)] = [
            (dir.path("missing.db"), "missing.db: no such store"),
            (dir.path("notes.txt"), "notes.txt: not a SQLite database, so not an rtml store"),
            (dir.path("other.db"), "other.db: not an rtml store (no meta table)"),
        ]
        for (path, message) in cases {
            let result = try RTML.run(["diff", blue, path])
            #expect(result.status == 2, "\(path)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        // A writer in exclusive locking mode keeps readers out: reported after --busy-timeout.
        let locked = try RTML.bash("""
            ( printf 'PRAGMA locking_mode = EXCLUSIVE;\\nBEGIN EXCLUSIVE;\\nUPDATE meta SET value = value;\\n.system sleep 3\\nROLLBACK;\\n' | /usr/bin/sqlite3 '\(blue)' ) &
            sleep 0.7
            '\(RTML.binary)' diff '\(blue)' '\(blue)' --busy-timeout 200ms
            status=$?
            wait
            exit $status
            """, in: dir.url)
        #expect(locked.status == 2, "\(locked.stderr)")
        #expect(locked.stderr.contains("store is locked by another connection"), "\(locked.stderr)")
        #expect(locked.stderr.split(separator: "\n").count == 1, "\(locked.stderr)")
    }

    @Test func aNewerSchemaVersionIsADifferenceNotAnError() throws {
        let dir = Workdir()
        let (blue, green, _) = try Self.stores(dir)
        _ = try RTML.shell(["/usr/bin/sqlite3", green, "UPDATE meta SET value = '99' WHERE key = 'schema_version'"])
        let result = try RTML.run(["diff", blue, green, "--tables", "meta", "--format", "ndjson"])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = ndjson(result)
        #expect(lines.contains { ($0["type"] as? String) == "schema" && ($0["what"] as? String) == "schema_version 2 in a, 99 in b" })
        #expect(lines.contains { ($0["column"] as? String) == "value" && ($0["b"] as? String) == "99" })
        let usage = try RTML.run(["diff", blue, green, "--fail-on", "psi>>1"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--fail-on"))
    }
}
