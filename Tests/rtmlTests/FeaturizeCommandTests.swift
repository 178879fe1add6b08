import Foundation
import Testing

/// `rtml featurize` through the real binary: determinism, batch independence, crashes.
@Suite(.serialized) struct FeaturizeCommandTests {
    /// A small ingested day with out-of-order, late and duplicate events.
    static func ingestedDay(_ dir: Workdir, users: Int = 60, seed: Int = 21) throws -> String {
        let events = dir.path("events.ndjson")
        let result = try RTML.bash("""
        set -o pipefail
        '\(RTML.binary)' simulate --users \(users) --seed \(seed) --late-rate 0.01 --duplicate-rate 0.01 --malformed-rate 0.005 --quiet \
          | '\(RTML.binary)' ingest --quiet --received-at-default timestamp > '\(events)'
        """)
        #expect(result.status == 0, "\(result.stderr)")
        return events
    }

    /// Every table featurize owns, as sorted text, and the fingerprint.
    static func dump(_ db: String) throws -> [String: String] {
        let queries = [
            "features": "SELECT * FROM features ORDER BY user_id",
            "feature_history": "SELECT * FROM feature_history ORDER BY row_id",
            "user_windows": "SELECT * FROM user_windows ORDER BY user_id, event, window_start",
            "events": "SELECT * FROM events ORDER BY row_id",
            "sequence_ids": "SELECT * FROM sequence_ids ORDER BY seq_id",
            "item_ids": "SELECT * FROM item_ids ORDER BY seq_id",
            "fingerprint": "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'",
        ]
        var out: [String: String] = [:]
        for (name, sql) in queries {
            let result = try RTML.shell(["/usr/bin/sqlite3", "-readonly", db, sql])
            #expect(result.status == 0, "\(result.stderr)")
            out[name] = result.stdoutText
        }
        return out
    }

    func featurize(_ args: [String], env: [String: String] = [:]) throws -> RTML.Result {
        if env.isEmpty { return try RTML.run(["featurize"] + args) }
        let assignments = env.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let quoted = args.map { "'\($0)'" }.joined(separator: " ")
        return try RTML.bash("\(assignments) '\(RTML.binary)' featurize \(quoted)")
    }

    @Test func storeIsTheSameWhateverTheBatchSize() throws {
        let dir = Workdir()
        let events = try Self.ingestedDay(dir)
        var dumps: [[String: String]] = []
        for size in [1, 7, 1000] {
            let db = dir.path("b\(size).db")
            let result = try featurize([events, "--store", db, "--batch-events", "\(size)", "--quiet", "-o", dir.path("jobs\(size).ndjson")])
            #expect(result.status == 0, "\(result.stderr)")
            dumps.append(try Self.dump(db))
            #expect(dir.read("jobs\(size).ndjson") .split(separator: "\n").count > 100)
        }
        for table in dumps[0].keys.sorted() {
            #expect(dumps[0][table] == dumps[1][table], "batch 1 vs 7 differ in \(table)")
            #expect(dumps[0][table] == dumps[2][table], "batch 1 vs 1000 differ in \(table)")
        }
        #expect((dumps[0]["user_windows"] ?? "").split(separator: "\n").count > 100)
        // Job ids and triggers do not depend on batching either.
        func jobKeys(_ name: String) -> [String] {
            dir.lines(name).map { line in let j = parseJSON(line); return "\(j["jobId"] ?? "")/\(j["trigger"] ?? "")" }
        }
        #expect(jobKeys("jobs1.ndjson") == jobKeys("jobs1000.ndjson"))
    }

    @Test(arguments: ["before-commit:1", "after-commit:2", "before-commit:4", "after-commit:3", "after-commit:5", "after-line:1777", "after-line:2999"])
    func killedAndRerunEndsWithTheUninterruptedStore(killPoint: String) throws {
        let dir = Workdir()
        let events = try Self.ingestedDay(dir)
        let reference = dir.path("ref.db")
        let ref = try featurize([events, "--store", reference, "--batch-events", "500", "--quiet",
                                 "-o", dir.path("ref-jobs.ndjson"), "--stats", dir.path("ref-stats.json")])
        #expect(ref.status == 0, "\(ref.stderr)")

        let db = dir.path("crash.db")
        // The state is checkpointed every 1200 lines here (the reference: only
        // at its end), so a restart rebuilds it from a checkpoint older than
        // the last commit by re-reading the lines between.
        let args = [events, "--store", db, "--batch-events", "500", "--state-every", "1200", "--quiet", "-o", dir.path("jobs.ndjson"),
                    "--rejects", dir.path("rejects.ndjson"), "--stats", dir.path("stats.json")]
        let killed = try featurize(args, env: ["RTML_FEATURIZE_KILL": killPoint])
        // 9: killed by SIGKILL (bash exec'd the binary); 137: bash reporting it.
        #expect(killed.status == 9 || killed.status == 137, "expected SIGKILL, got \(killed.status): \(killed.stderr)")
        // The input position the killed run committed (0 when nothing was).
        let position = try RTML.shell(["/usr/bin/sqlite3", "-readonly", db, "SELECT CAST(value AS TEXT) FROM checkpoint WHERE key = 'position'"])
        let committedLines = parseJSON(position.stdoutText)["lines"] as? Int ?? 0
        let statePosition = try RTML.shell(["/usr/bin/sqlite3", "-readonly", db, "SELECT CAST(value AS TEXT) FROM checkpoint WHERE key = 'state_position'"])
        let stateLines = parseJSON(statePosition.stdoutText)["lines"] as? Int ?? 0
        if killPoint == "after-commit:2" {
            // Rows committed through line 1000 before any state was: the restart rebuilds it from line 1.
            #expect(committedLines == 1000 && stateLines == 0, "committed \(committedLines), state \(stateLines)")
        }
        if killPoint == "after-commit:5" {
            // Five commits of 500 lines; the state went with the third (the first past 1200 lines).
            #expect(committedLines == 2500 && stateLines == 1500, "committed \(committedLines), state \(stateLines)")
            // Another input now cannot bring the state level with the rows: refused, store untouched.
            let other = dir.path("other.ndjson")
            try (dir.lines("events.ndjson").dropFirst().joined(separator: "\n") + "\n").write(toFile: other, atomically: true, encoding: .utf8)
            let refused = try featurize([other, "--store", db, "--quiet", "-o", "/dev/null"])
            #expect(refused.status == 2 && refused.stderr.contains("stopped at line 2500 of another input"), "\(refused.stderr)")
        }
        let rerun = try featurize(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")

        let want = try Self.dump(reference)
        let got = try Self.dump(db)
        for table in want.keys.sorted() {
            #expect(got[table] == want[table], "\(table) differs after a kill at \(killPoint)")
        }
        // The same totals as the uninterrupted run.
        let refStats = dir.json("ref-stats.json"), stats = dir.json("stats.json")
        for key in ["read", "accepted", "rejected", "late", "windows_written", "history_rows", "jobs"] {
            #expect(stats[key] as? Int == refStats[key] as? Int, "\(key)")
        }
        // No job missing; a job repeats only if its batch was not committed:
        // every repeat comes from an input line after the committed position.
        let refJobs = Set(dir.lines("ref-jobs.ndjson").map { parseJSON($0)["jobId"] as? String ?? "" })
        let jobLines = dir.lines("jobs.ndjson").map(parseJSON)
        let jobs = jobLines.map { $0["jobId"] as? String ?? "" }
        #expect(Set(jobs) == refJobs)
        var lineOfMessage: [String: Int] = [:]
        for (i, line) in dir.lines("events.ndjson").enumerated() {
            if let id = parseJSON(line)["messageId"] as? String, lineOfMessage[id] == nil { lineOfMessage[id] = i + 1 }
        }
        var seen = Set<String>()
        for job in jobLines {
            let id = job["jobId"] as? String ?? ""
            if !seen.insert(id).inserted {
                let line = lineOfMessage[job["messageId"] as? String ?? ""] ?? 0
                #expect(line > committedLines, "job \(id) of line \(line) repeated, but its batch was committed (through line \(committedLines))")
            }
        }
        // Rejects likewise: all there, repeats only from the uncommitted batch.
        #expect(Set(dir.lines("rejects.ndjson")).count == refStats["rejected"] as? Int)
    }

    /// A store an older rtml wrote (schema version 1, events in a table of
    /// their own) takes the next day's events: featurize upgrades it and
    /// ends with the store a run of this rtml on both days makes.
    @Test func aVersion1StoreIsUpgradedAndContinuesAsANewStoreWould() throws {
        let dir = Workdir()
        let events = try Self.ingestedDay(dir)
        let lines = dir.lines("events.ndjson")
        let half = lines.count / 2
        try (lines[..<half].joined(separator: "\n") + "\n").write(toFile: dir.path("day1.ndjson"), atomically: true, encoding: .utf8)
        try (lines[half...].joined(separator: "\n") + "\n").write(toFile: dir.path("day2.ndjson"), atomically: true, encoding: .utf8)
        _ = events
        let old = dir.path("old.db"), new = dir.path("new.db")
        for db in [old, new] {
            let r = try featurize([dir.path("day1.ndjson"), "--store", db, "--quiet", "-o", "/dev/null"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let down = try RTML.shell(["/usr/bin/sqlite3", old, StoreVersions.downgradeToVersion1])
        #expect(down.status == 0, "\(down.stderr)")
        let before = try RTML.shell(["/usr/bin/sqlite3", "-readonly", old, "SELECT type FROM sqlite_master WHERE name = 'events'"])
        #expect(before.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "table")

        // Readers take a version 1 store as it is (diff: 1 = differences found, the schema version).
        let reader = try RTML.run(["diff", old, new, "--tables", "features"])
        #expect(reader.status == 1 && reader.stdoutText.contains("schema_version 1 in a, 2 in b"), "\(reader.stdoutText) \(reader.stderr)")

        for db in [old, new] {
            let r = try featurize([dir.path("day2.ndjson"), "--store", db, "--quiet", "-o", "/dev/null"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let want = try Self.dump(new), got = try Self.dump(old)
        for table in want.keys.sorted() {
            #expect(got[table] == want[table], "\(table) differs after the upgrade")
        }
        #expect((got["events"] ?? "").split(separator: "\n").count > 1000)
        let after = try RTML.shell(["/usr/bin/sqlite3", "-readonly", old,
            "SELECT type FROM sqlite_master WHERE name = 'events'; SELECT value FROM meta WHERE key = 'schema_version'; SELECT count(*) FROM sqlite_master WHERE name = 'events_user_time'"])
        #expect(after.stdoutText.split(separator: "\n") == ["view", "2", "0"])
    }

    @Test func rawEventsAreRejectedNotCrashed() throws {
        let dir = Workdir()
        let raw = dir.path("raw.ndjson")
        _ = try RTML.bash("'\(RTML.binary)' simulate --users 5 --seed 2 --malformed-rate 0.05 --quiet > '\(raw)'")
        let result = try featurize([raw, "--store", dir.path("s.db"), "--stats", dir.path("s.json"), "--rejects", dir.path("r.ndjson"), "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let stats = dir.json("s.json")
        let byReason = stats["rejected_by_reason"] as? [String: Int] ?? [:]
        #expect((byReason["not_canonical"] ?? 0) > 0)
        #expect(stats["read"] as? Int == (stats["accepted"] as? Int ?? 0) + (stats["rejected"] as? Int ?? 0))
    }

    @Test func sqliteRunsWithoutPerConnectionMutexes() throws {
        // SQLiteSetup's settings must reach SQLite before the first connection
        // opens; the binary says whether they did.
        let dir = Workdir()
        let events = try Self.ingestedDay(dir, users: 3)
        let result = try featurize([events, "--store", dir.path("s.db"), "--stats", dir.path("s.json"), "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(dir.json("s.json")["sqlite_multithread"] as? Bool == true)
    }

    @Test func otherSettingsOnAnExistingStoreAreRefused() throws {
        let dir = Workdir()
        let events = try Self.ingestedDay(dir, users: 5)
        let db = dir.path("s.db")
        #expect(try featurize([events, "--store", db, "--quiet"]).status == 0)
        let other = try featurize([events, "--store", db, "--window", "20m", "--quiet"])
        #expect(other.status == 2)
        #expect(other.stderr.contains("the store was built with"))
        let create = try featurize([events, "--store", db, "--create", "--quiet"])
        #expect(create.status == 2)
        let bad = try featurize([events, "--store", db, "--window", "7m"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("'--window' must be a multiple of '--slide'"))
    }
}
