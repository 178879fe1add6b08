import Foundation
import Testing

/// serve-once reads, serves and writes on three threads and reuses store
/// reads while the store is unchanged: what that must not change.
@Suite struct ServeOncePipelineTests {
    /// A push line without its `predictedAt` (the only member that differs between runs).
    static func withoutTime(_ line: String) -> String {
        line.replacingOccurrences(of: #","predictedAt":"[^"]*""#, with: "", options: .regularExpression)
    }

    @Test func manySmallBatchesComeOutInJobOrderAsOneBigBatchDoes() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let jobs = FixtureStore.dir.lines("jobs.ndjson")
        dir.write("jobs.ndjson", jobs.joined(separator: "\n") + "\n")
        func serve(_ batch: String) throws -> [String] {
            let r = try RTML.run(["serve-once", dir.path("jobs.ndjson"), "--store", f.blue, "--model", f.recs,
                                  "--rerank", f.nextcat, "--batch-jobs", batch])
            #expect(r.status == 0, "\(r.stderr)")
            return r.lines.map(Self.withoutTime)
        }
        // Hundreds of batches through a pool of a few: each batch waits for a free one.
        let small = try serve("7")
        let big = try serve("100000")
        #expect(small.count == jobs.count)
        #expect(small.map { parseJSON($0)["jobId"] as! String } == jobs.map { parseJSON($0)["jobId"] as! String })
        #expect(small == big)
    }

    /// With a pull sink, batches served while its last commit ran go in one
    /// transaction: the table and the push lines must not show it.
    @Test func thePullSinkTableIsTheSameWhetherBatchesShareACommitOrNot() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let jobs = FixtureStore.dir.lines("jobs.ndjson")
        dir.write("jobs.ndjson", jobs.joined(separator: "\n") + "\n")
        func serve(_ batch: String, _ name: String) throws -> (lines: [String], table: String, stats: [String: Any]) {
            try FileManager.default.copyItem(atPath: f.blue, toPath: dir.path(name))
            let r = try RTML.run(["serve-once", dir.path("jobs.ndjson"), "--store", dir.path(name), "--model", f.recs,
                                  "--rerank", f.nextcat, "--batch-jobs", batch, "--sink", "push,pull",
                                  "--stats", dir.path(name + ".json")])
            #expect(r.status == 0, "\(r.stderr)")
            let table = try FixtureStore.sqlite(
                dir.path(name), "SELECT user_id, model, version, job_id, items, cold_start, event_time FROM predictions ORDER BY user_id, model")
            return (r.lines.map(Self.withoutTime), table, dir.json(name + ".json"))
        }
        let small = try serve("3", "small.db")
        let big = try serve("100000", "big.db")
        #expect(small.lines.count == jobs.count)
        #expect(small.lines == big.lines)
        #expect(!small.table.isEmpty)
        #expect(small.table == big.table)
        let batches = try #require(small.stats["batches"] as? Int)
        let commits = try #require(small.stats["pull_commits"] as? Int)
        #expect(batches > 1000)
        #expect(commits >= 1 && commits <= batches)
        #expect(big.stats["pull_commits"] as? Int == 1)
    }

    @Test func aClosedStdoutEndsTheRunQuietly() throws {
        let f = FixtureStore.built
        let result = try RTML.bash("""
            '\(RTML.binary)' serve-once '\(f.jobs)' --store '\(f.blue)' --model '\(f.recs)' | head -1; echo "status=${PIPESTATUS[0]}" >&2
            """)
        #expect(result.lines.count == 1)
        #expect(result.stderr == "status=0\n")
    }

    @Test func aFeatureRowChangedBetweenBatchesIsReadAgain() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let store = dir.path("s.db")
        try FileManager.default.copyItem(atPath: f.blue, toPath: store)
        let first = parseJSON(FixtureStore.dir.lines("jobs.ndjson")[40])
        let user = first["userId"] as! String
        let time = first["eventTime"] as! String
        func job(_ id: String) -> String { #"{"jobId":"\#(id)","userId":"\#(user)","eventTime":"\#(time)"}"# }
        dir.write("a.ndjson", job("j-a") + "\n")
        dir.write("b.ndjson", job("j-b") + "\n")
        // The user's row as if they had just searched, with counts far from the day's.
        let change = """
            UPDATE features SET last_event = 'search',
              starts_sleep_10m = 40, completes_sleep_10m = 40, starts_focus_10m = 0, completes_focus_10m = 0,
              search_affinity_sleep = 1, search_affinity_focus = 0, steps_mean_10m = 0, heart_rate_mean_10m = 50
            WHERE user_id = '\(user)'
            """
        try FileManager.default.copyItem(atPath: store, toPath: dir.path("before.db"))
        // One live serve-once: the first job is served (a batch of its own after 5 ms
        // without input) before the row changes, the second after.
        let script = """
            set -e
            mkfifo '\(dir.path("jobs"))'
            : > '\(dir.path("out.ndjson"))'
            '\(RTML.binary)' serve-once --store '\(store)' --model '\(f.recs)' --rerank '\(f.nextcat)' --follow \
                < '\(dir.path("jobs"))' > '\(dir.path("out.ndjson"))' 2> '\(dir.path("err"))' &
            exec 3> '\(dir.path("jobs"))'
            cat '\(dir.path("a.ndjson"))' >&3
            for i in $(seq 600); do [ "$(wc -l < '\(dir.path("out.ndjson"))')" -ge 1 ] && break; sleep 0.05; done
            sqlite3 '\(store)' "\(change)"
            cat '\(dir.path("b.ndjson"))' >&3
            exec 3>&-
            wait
            """
        let live = try RTML.bash(script)
        #expect(live.status == 0, "\(live.stderr) \(dir.read("err"))")
        let lines = dir.lines("out.ndjson").map(parseJSON)
        try #require(lines.count == 2)
        func alone(_ jobFile: String, _ db: String) throws -> [String: Any] {
            let r = try RTML.run(["serve-once", dir.path(jobFile), "--store", db, "--model", f.recs, "--rerank", f.nextcat])
            #expect(r.status == 0, "\(r.stderr)")
            return parseJSON(r.lines[0])
        }
        let before = try alone("a.ndjson", dir.path("before.db"))
        let after = try alone("b.ndjson", store)
        let contexts = lines.map { $0["context"] as! [String: Double] }
        #expect(contexts[0] == before["context"] as! [String: Double])
        #expect(contexts[1] == after["context"] as! [String: Double])
        // The change moved the probabilities, so the second job really read the new row.
        #expect(contexts[0] != contexts[1])
    }
}
