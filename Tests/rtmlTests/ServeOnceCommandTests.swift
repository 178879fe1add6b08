import Foundation
import Testing

@Suite struct ServeOnceCommandTests {
    @Test func servesEveryJobToPushAndPullWithoutRecentCompletes() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        try FileManager.default.copyItem(atPath: f.blue, toPath: dir.path("s.db"))
        let jobs = Array(FixtureStore.dir.lines("jobs.ndjson").prefix(1500))
        let result = try RTML.run([
            "serve-once", "--store", dir.path("s.db"), "--model", f.recs, "--rerank", f.nextcat,
            "--sink", "push,pull", "--stats", dir.path("stats.json"),
        ], stdin: Data((jobs.joined(separator: "\n") + "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let predictions = result.lines.map(parseJSON)
        #expect(predictions.count == jobs.count)
        let stats = dir.json("stats.json")
        #expect(stats["served"] as? Int == jobs.count)
        #expect(stats["dead_lettered"] as? Int == 0)
        #expect(((stats["service"] as? [String: Any])?["count"] as? Int) == jobs.count)
        // Push lines carry the job, 10 items, the rerank's probabilities.
        let jobIds = jobs.map { parseJSON($0)["jobId"] as! String }
        #expect(predictions.map { $0["jobId"] as! String } == jobIds)
        for p in predictions.prefix(50) {
            #expect((p["items"] as? [[String: Any]])?.count == 10)
            let context = try #require(p["context"] as? [String: Double])
            #expect(abs(context.values.reduce(0, +) - 1) < 1e-3)
            #expect(p["model"] as? String == "recs")
        }
        // Pull: one row per user and model, the newest prediction.
        let users = Set(jobs.map { parseJSON($0)["userId"] as! String })
        #expect(try FixtureStore.sqlite(dir.path("s.db"), "SELECT count(*) FROM predictions WHERE model = 'recs'") == "\(users.count)")
        let lastForUser = predictions.last!
        let stored = try FixtureStore.sqlite(
            dir.path("s.db"), "SELECT job_id FROM predictions WHERE user_id = '\(lastForUser["userId"] as! String)'")
        #expect(stored == lastForUser["jobId"] as? String)
        // No recommended item was completed by that user in the 24 h before the job.
        let completes = try FixtureStore.sqlite(
            dir.path("s.db"), "SELECT user_id || ' ' || content_id || ' ' || event_ts FROM events WHERE event = 'content.complete'")
        var done: [String: [(String, Int64)]] = [:]
        for line in completes.split(separator: "\n") {
            let parts = line.split(separator: " ")
            done[String(parts[0]), default: []].append((String(parts[1]), Int64(parts[2])!))
        }
        var checked = 0
        for (job, p) in zip(jobs, predictions) {
            let j = parseJSON(job)
            let user = j["userId"] as! String
            guard case .success(let t) = parseTime(j["eventTime"] as! String) else { continue }
            let recent = Set((done[user] ?? []).filter { $0.1 <= t && $0.1 >= t - 86_400_000 }.map(\.0))
            let items = (p["items"] as! [[String: Any]]).map { $0["contentId"] as! String }
            #expect(recent.isDisjoint(with: items), "\(user) got content completed recently")
            checked += recent.isEmpty ? 0 : 1
        }
        #expect(checked > 100)
    }

    @Test func theRerankWeightScalesHowFarTheContextMovesTheList() throws {
        let f = FixtureStore.built
        let jobs = Data((FixtureStore.dir.lines("jobs.ndjson").prefix(300).joined(separator: "\n") + "\n").utf8)
        func lists(_ extra: [String]) throws -> [[String]] {
            let r = try RTML.run(["serve-once", "--store", f.blue, "--model", f.recs] + extra, stdin: jobs)
            #expect(r.status == 0, "\(r.stderr)")
            return r.lines.map { (parseJSON($0)["items"] as! [[String: Any]]).map { $0["contentId"] as! String } }
        }
        let alone = try lists([])
        let ignored = try lists(["--rerank", f.nextcat, "--rerank-weight", "0"])
        let half = try lists(["--rerank", f.nextcat])
        let full = try lists(["--rerank", f.nextcat, "--rerank-weight", "1"])
        // w = 0: the context changes nothing (top lists hold positive scores).
        #expect(ignored == alone)
        // The default and w = 1 both move lists, and not identically.
        #expect(zip(alone, half).filter { $0 != $1 }.count > 30)
        #expect(half != full)
    }

    @Test func anUnknownUserGetsThePopularityRankingMarkedColdStart() throws {
        let f = FixtureStore.built
        let job = #"{"jobId":"j-1","userId":"someone-new","eventTime":"2026-11-26T12:00:00Z","attempt":1}"#
        let result = try RTML.run(["serve-once", "--store", f.blue, "--model", f.recs, "-k", "5"], stdin: Data((job + "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let p = parseJSON(result.lines[0])
        #expect(p["coldStart"] as? Bool == true)
        let top = try FixtureStore.sqlite(f.blue, """
            SELECT content_id FROM events WHERE event = 'content.start' GROUP BY content_id ORDER BY count(*) DESC LIMIT 1
            """)
        #expect(((p["items"] as? [[String: Any]])?.count) == 5)
        // The most started item over the whole day is among the 5 most popular in training.
        let items = (p["items"] as! [[String: Any]]).map { $0["contentId"] as! String }
        #expect(!items.isEmpty && items.contains(top) || items.count == 5)
        #expect(result.stderr.contains("1 cold start"))
    }

    @Test func aModelTrainedOnOtherSequenceIdsIsRefusedUnlessAllowed() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        // A store of the first 2,000 events: its users got other ids.
        let head = FixtureStore.dir.lines("events.ndjson").prefix(2000).joined(separator: "\n") + "\n"
        dir.write("head.ndjson", head)
        let made = try RTML.run(["featurize", dir.path("head.ndjson"), "--store", dir.path("other.db"), "-q", "-o", "/dev/null"])
        #expect(made.status == 0, "\(made.stderr)")
        let job = #"{"jobId":"j-1","userId":"u1","eventTime":"2026-11-26T12:00:00Z"}"# + "\n"
        let refused = try RTML.run(["serve-once", "--store", dir.path("other.db"), "--model", f.recs], stdin: Data(job.utf8))
        #expect(refused.status == 2)
        let storePrint = try FixtureStore.sqlite(dir.path("other.db"), "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'")
        let modelPrint = try FixtureStore.sqlite(f.blue, "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'")
        #expect(refused.stderr.contains(storePrint) && refused.stderr.contains(modelPrint), "\(refused.stderr)")
        #expect(refused.stderr.contains("other.db"))
        #expect(refused.stdout.isEmpty)
        let allowed = try RTML.run(["serve-once", "--store", dir.path("other.db"), "--model", f.recs, "--allow-stale-ids"], stdin: Data(job.utf8))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("warning"))
        #expect(allowed.lines.count == 1)
    }

    @Test func deadLettersRetryAndStopAtMaxAttempts() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let good = FixtureStore.dir.lines("jobs.ndjson")[0]
        let input = [good, "{not json", #"{"jobId":"j-x","eventTime":"2026-11-26T12:00:00Z"}"#].joined(separator: "\n") + "\n"
        let first = try RTML.run(["serve-once", "--store", f.blue, "--model", f.recs, "--dead-letter", dir.path("dead.ndjson")],
                                 stdin: Data(input.utf8))
        #expect(first.status == 1)  // a finding: some jobs were not served
        #expect(first.lines.count == 1)
        let dead = dir.lines("dead.ndjson").map(parseJSON)
        #expect(dead.count == 2)
        #expect(dead.allSatisfy { $0["attempt"] as? Int == 2 })
        #expect(dead[0]["raw"] as? String == "{not json")
        #expect((dead[0]["reason"] as? String)?.hasPrefix("not JSON") == true)
        #expect(dead[1]["reason"] as? String == "no userId")
        // A served retry: a good job that had failed once before.
        var retried = parseJSON(good)
        retried["attempt"] = 2
        let retryLine = String(decoding: try JSONSerialization.data(withJSONObject: retried), as: UTF8.self)
        dir.write("retry.ndjson", dir.read("dead.ndjson") + retryLine + "\n")
        let second = try RTML.run([
            "serve-once", dir.path("retry.ndjson"), "--store", f.blue, "--model", f.recs,
            "--dead-letter", dir.path("dead2.ndjson"), "--max-attempts", "2", "--stats", dir.path("s.json"),
        ])
        #expect(second.status == 1)
        #expect(second.lines.count == 1)
        let stats = dir.json("s.json")
        #expect(stats["served"] as? Int == 1)
        #expect(stats["failed"] as? Int == 2)
        #expect(stats["dead_lettered"] as? Int == 0)
        #expect(dir.read("dead2.ndjson").isEmpty)
    }

    @Test func answersOneUserDirectly() throws {
        let f = FixtureStore.built
        let user = parseJSON(FixtureStore.dir.lines("jobs.ndjson")[10])["userId"] as! String
        let result = try RTML.run(["serve-once", "--user", user, "--stores", f.storesDir, "--model", f.recs,
                                   "--rerank", f.nextcat, "--at", "2026-11-26T21:00:00Z", "-k", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let p = parseJSON(result.lines[0])
        #expect(p["userId"] as? String == user)
        #expect((p["items"] as? [Any])?.count == 3)
        #expect(p["eventTime"] as? String == "2026-11-26T21:00:00Z")
    }

    @Test func servesWhileFeaturizeWritesTheSameStore() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let events = FixtureStore.dir.lines("events.ndjson")
        dir.write("first.ndjson", events.prefix(500).joined(separator: "\n") + "\n")
        dir.write("rest.ndjson", events.dropFirst(500).joined(separator: "\n") + "\n")
        let store = dir.path("live.db")
        let seeded = try RTML.run(["featurize", dir.path("first.ndjson"), "--store", store, "-q", "-o", "/dev/null"])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        // Small batches: featurize commits hundreds of times while serve-once
        // reads between and writes predictions into the same file.
        let pipeline = """
            set -o pipefail
            cat '\(dir.path("rest.ndjson"))' | '\(RTML.binary)' featurize --store '\(store)' --batch-events 50 -q 2> '\(dir.path("f.err"))' \
              | '\(RTML.binary)' serve-once --store '\(store)' --model '\(f.recs)' --allow-stale-ids --follow --batch-jobs 20 \
                  --sink push,pull --stats '\(dir.path("s.json"))' 2> '\(dir.path("s.err"))' > '\(dir.path("push.ndjson"))'
            """
        let result = try RTML.bash(pipeline)
        #expect(result.status == 0, "\(dir.read("f.err")) \(dir.read("s.err"))")
        #expect(!dir.read("f.err").contains("locked") && !dir.read("s.err").contains("locked"))
        let stats = dir.json("s.json")
        let served = try #require(stats["served"] as? Int)
        #expect(served > 1000)
        #expect(stats["dead_lettered"] as? Int == 0)
        #expect(dir.lines("push.ndjson").count == served)
        #expect(Int(try FixtureStore.sqlite(store, "SELECT count(*) FROM predictions")) ?? 0 > 100)
    }
}

func parseTime(_ text: String) -> Result<Int64, Error> {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) {
        return .success(Int64((d.timeIntervalSince1970 * 1000).rounded()))
    }
    return .failure(CocoaError(.formatting))
}
