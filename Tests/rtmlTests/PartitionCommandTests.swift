import Foundation
import Testing

/// Running the pipeline split by user (`rtml partition`, `--partition I/N`)
/// against running it in one process, on a simulated day.
///
/// The day has no late events and featurize flushes at end of input: under
/// those two conditions a partition's own watermark (the largest event time
/// of its users, lower than the global one) changes when windows are written
/// but not what they hold, so the union of the partitions must equal the
/// single store exactly (docs/scale-out.md, "The watermark").
@Suite(.serialized) struct PartitionCommandTests {
    static let n = 4

    /// The day, the single-process store, and the 4 stores from `rtml partition`
    /// + plain shell, built once for the suite. featurize runs with
    /// `--partition I/4` into `parts/part-000I.db`, so `parts` is a store set
    /// (StoreSetTests uses it as one).
    struct Day {
        var dir: Workdir
        var raw: String
        var single: String
        var parts: [String]
    }

    static let day: Day = {
        let dir = Workdir()
        let raw = dir.path("day.ndjson")
        let bin = RTML.binary
        let script = """
        set -euo pipefail
        '\(bin)' simulate --users 300 --seed 5 --quiet > day.ndjson
        '\(bin)' ingest day.ndjson --received-at-default timestamp --quiet --stats ingest.json \
          | '\(bin)' featurize --store single.db --flush-at-end --quiet --stats single.json > single-jobs.ndjson
        '\(bin)' partition \(n) --out parts --quiet --stats partition.json day.ndjson
        for i in $(seq 0 \(n - 1)); do
          part=$(printf 'parts/part-%04d' $i)
          '\(bin)' ingest $part.ndjson --received-at-default timestamp --quiet \
            | '\(bin)' featurize --store $part.db --partition $i/\(n) --flush-at-end --quiet --stats $part.json > $part.jobs
        done
        """
        let result = try! RTML.bash(script, in: dir.url)
        precondition(result.status == 0, "building the partitioned day failed: \(result.stderr)")
        return Day(dir: dir, raw: raw, single: dir.path("single.db"),
                   parts: (0..<n).map { dir.path(String(format: "parts/part-%04d.db", $0)) })
    }()

    @Test func fourPartitionStoresTogetherEqualTheSingleProcessStore() throws {
        let day = Self.day
        // The condition the equality rests on: nothing late in the single run.
        let single = day.dir.json("single.json")
        #expect(single["late"] as? Int == 0)
        #expect((single["accepted"] as? Int ?? 0) > 10_000)

        let checks = try StoreUnion.compare(single: day.single, parts: day.parts)
        #expect(checks.map(\.table) == ["features", "user_windows", "feature_history"])
        for check in checks {
            #expect(check.single > 250, "\(check)")
            #expect(check.isEqual, "\(check)")
        }
        // Each user is in exactly one part, and it is the part the hash names.
        var seen: [String: Int] = [:]
        for (i, part) in day.parts.enumerated() {
            for user in try RTML.shell(["sqlite3", "-readonly", part, "SELECT user_id FROM features"]).lines {
                #expect(seen.updateValue(i, forKey: user) == nil, "\(user) is in two parts")
            }
        }
        #expect(seen.count == checks[0].single)
        // Every part got a fair share (300 users, 4 parts).
        for i in 0..<Self.n { #expect(seen.values.filter { $0 == i }.count > 40) }
        // The jobs: the same set, split by user.
        let singleJobs = Set(day.dir.lines("single-jobs.ndjson").map { parseJSON($0)["jobId"] as! String })
        let partJobs = (0..<Self.n).flatMap { day.dir.lines(String(format: "parts/part-%04d.jobs", $0)) }
            .map { parseJSON($0)["jobId"] as! String }
        #expect(partJobs.count == singleJobs.count)
        #expect(Set(partJobs) == singleJobs)
    }

    @Test func partitionFlagOnIngestAndFeaturizeGivesThePartStores() throws {
        let day = Self.day
        let dir = Workdir()
        let bin = RTML.binary
        var ingested = 0
        for i in 0..<Self.n {
            // ingest --partition over the whole day, then featurize --partition
            // over the whole (unpartitioned) ingested day: both must select the part.
            let result = try RTML.bash("""
            set -euo pipefail
            '\(bin)' ingest '\(day.raw)' --partition \(i)/\(Self.n) --received-at-default timestamp --quiet --stats i\(i).json \
              | '\(bin)' featurize --store a\(i).db --flush-at-end --quiet -o /dev/null
            '\(bin)' ingest '\(day.raw)' --received-at-default timestamp --quiet \
              | '\(bin)' featurize --partition \(i)/\(Self.n) --store b\(i).db --flush-at-end --quiet --stats f\(i).json -o /dev/null
            """, in: dir.url)
            #expect(result.status == 0, "\(result.stderr)")
            for store in ["a\(i).db", "b\(i).db"] {
                let checks = try StoreUnion.compare(single: day.parts[i], parts: [dir.path(store)])
                for check in checks { #expect(check.isEqual, "partition \(i), \(store): \(check)") }
                #expect(checks.count == 3)
            }
            // Accounting: every line is accepted, rejected, a duplicate or skipped.
            let s = dir.json("i\(i).json")
            let (read, accepted, skipped) = (s["read"] as! Int, s["accepted"] as! Int, s["skipped"] as! Int)
            #expect(read == accepted + (s["rejected"] as! Int) + (s["duplicates"] as! Int) + skipped)
            #expect(skipped > read / 2 && accepted > 0)
            #expect(s["partition"] as? String == "\(i)/\(Self.n)")
            ingested += accepted
            let f = dir.json("f\(i).json")
            #expect(f["read"] as! Int == (f["accepted"] as! Int) + (f["rejected"] as! Int) + (f["skipped"] as! Int))
            #expect(f["accepted"] as? Int == accepted)
            #expect(try FixtureStore.sqlite(dir.path("b\(i).db"), "SELECT value FROM meta WHERE key = 'partition'") == "\(i)/\(Self.n)")
        }
        #expect(ingested == day.dir.json("ingest.json")["accepted"] as? Int)
        // A store made for one partition refuses another.
        let mixed = try RTML.bash("'\(bin)' ingest '\(day.raw)' -q | '\(bin)' featurize --partition 1/\(Self.n) --store b0.db -q -o /dev/null", in: dir.url)
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("holds partition 0/4"))
    }

    @Test func parallelScriptGivesThePartStores() throws {
        let day = Self.day
        let dir = Workdir()
        let script = RTML.packageRoot.appendingPathComponent("examples/parallel.sh").path
        let run = try RTML.bash("RTML='\(RTML.binary)' INGEST_ARGS='--received-at-default timestamp' '\(script)' '\(day.raw)' \(Self.n) out", in: dir.url)
        #expect(run.status == 0, "\(run.stderr)")
        for i in 0..<Self.n {
            let checks = try StoreUnion.compare(single: day.parts[i], parts: [dir.path(String(format: "out/part-%04d.db", i))])
            #expect(checks.count == 3)
            for check in checks { #expect(check.isEqual && check.single > 0, "partition \(i): \(check)") }
        }
    }

    @Test func partitionSplitsEveryLineAndLosesNone() throws {
        let dir = Workdir()
        // Good lines, a line that is not JSON, one without a user, a blank
        // line, an escaped userId (the same user as plain u42), and one too long.
        var lines = (0..<40).map { #"{"messageId":"m\#($0)","event":"app.open","userId":"u\#($0 % 9)","timestamp":1795680000\#($0 % 10)}"# }
        lines += ["not json at all", #"{"event":"app.open"}"#, "", #"{"event":"app.open","userId":"u\u0034\u0032","timestamp":1795680000}"#,
                  #"{"event":"app.open","userId":"u42","timestamp":1795680001}"#,
                  #"{"event":"app.open","userId":"u1","pad":""# + String(repeating: "x", count: 300) + #""}"#]
        let input = lines.joined(separator: "\n") + "\n"
        _ = dir.write("in.ndjson", input)
        let gz = try RTML.bash("gzip -c in.ndjson > in.ndjson.gz", in: dir.url)
        #expect(gz.status == 0)
        // stdin, gzip in, gzip out.
        let result = try RTML.bash("'\(RTML.binary)' partition 3 --out parts --gzip --max-line-bytes 200 --rejects rej.ndjson --stats st.json < in.ndjson.gz", in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("into 3 parts"))
        let stats = dir.json("st.json")
        #expect(stats["read"] as? Int == 45)
        #expect(stats["accepted"] as? Int == 44)
        #expect(stats["rejected"] as? Int == 1)
        #expect(stats["blank"] as? Int == 1)
        #expect(stats["by_raw_line"] as? Int == 2)
        var written: [[String]] = []
        for i in 0..<3 {
            let part = dir.path(String(format: "parts/part-%04d.ndjson.gz", i))
            let magic = try #require(FileManager.default.contents(atPath: part)).prefix(2)
            #expect(Array(magic) == [0x1F, 0x8B])
            written.append(try RTML.shell(["gzip", "-dc", part]).lines)
        }
        #expect((stats["per_part"] as? [Int]) == written.map(\.count))
        // Nothing lost, nothing doubled: the parts hold every kept line once, unchanged.
        #expect(written.flatMap { $0 }.sorted() == lines.filter { !$0.isEmpty && $0.count < 200 }.sorted())
        #expect(dir.lines("rej.ndjson").count == 1)
        #expect(parseJSON(dir.lines("rej.ndjson")[0])["reason"] as? String == "line_too_long")
        // The escaped and the plain u42 are one user: same part.
        let u42 = written.indices.filter { written[$0].contains { $0.contains(#""u42""#) } }
        #expect(u42.count == 1 && written[u42[0]].contains { $0.contains(#"\u0034\u0032"#) })
        // Part i is what --partition i/3 keeps, lines without a key included:
        // ingest rejects each of those in exactly one partition, the one holding it.
        var rejectedTotal = 0
        for i in 0..<3 {
            let r = try RTML.run(["ingest", dir.path("in.ndjson"), "--partition", "\(i)/3", "--max-line-bytes", "200",
                                  "--received-at-default", "timestamp", "--quiet", "--stats", dir.path("s\(i).json"), "--rejects", dir.path("r\(i).ndjson")])
            let fromPart = try RTML.bash("gzip -dc parts/part-000\(i).ndjson.gz | '\(RTML.binary)' ingest --received-at-default timestamp --quiet", in: dir.url)
            #expect(r.stdout == fromPart.stdout)
            let s = dir.json("s\(i).json")
            #expect(s["read"] as! Int == (s["accepted"] as! Int) + (s["rejected"] as! Int) + (s["duplicates"] as! Int) + (s["skipped"] as! Int))
            rejectedTotal += s["rejected"] as! Int
            for reject in dir.lines("r\(i).ndjson").map(parseJSON) where reject["reason"] as? String != "line_too_long" {
                #expect(written[i].contains(reject["raw"] as! String))
            }
            if i != 0 { #expect(!dir.read("r\(i).ndjson").contains("line_too_long")) }
        }
        // not JSON, no user, too long: each rejected once across the partitions.
        #expect(rejectedTotal == 3)
    }

    @Test func usageErrorsNameTheRule() throws {
        for bad in ["4/4", "-1/4", "1/0", "a/b", "2"] {
            let r = try RTML.run(["ingest", "--partition", bad], stdin: Data())
            #expect(r.status == 64)
            #expect(r.stderr.contains("0 <= I < N"), "\(bad): \(r.stderr)")
        }
        let r = try RTML.run(["partition", "0", "--out", Workdir().path("p")], stdin: Data())
        #expect(r.status == 64)
    }

    @Test func serveOncePartitionsServeEachJobOnce() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        try FileManager.default.copyItem(atPath: f.blue, toPath: dir.path("s.db"))
        let jobs = Array(FixtureStore.dir.lines("jobs.ndjson").prefix(600)) + ["{broken"]
        _ = dir.write("jobs.ndjson", jobs.joined(separator: "\n") + "\n")
        func items(_ lines: [String]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: lines.map(parseJSON).map { p in
                (p["jobId"] as! String, (p["items"] as! [[String: Any]]).map { "\($0["contentId"]!)" }.joined(separator: ","))
            })
        }
        let whole = try RTML.run(["serve-once", "--store", dir.path("s.db"), "--model", f.recs, "--sink", "push",
                                  "--quiet", "--dead-letter", dir.path("dead.ndjson"), dir.path("jobs.ndjson")])
        #expect(whole.status == 1) // the broken line is dead-lettered
        var union: [String: String] = [:]
        var deadLettered = 0
        var usersSeen = Set<String>()
        for i in 0..<3 {
            let r = try RTML.run(["serve-once", "--store", dir.path("s.db"), "--model", f.recs, "--sink", "push", "--partition", "\(i)/3",
                                  "--stats", dir.path("st\(i).json"), "--dead-letter", dir.path("dead\(i).ndjson"), dir.path("jobs.ndjson")])
            #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
            let served = items(r.lines)
            #expect(Set(union.keys).isDisjoint(with: served.keys))
            union.merge(served) { a, _ in a }
            let s = dir.json("st\(i).json")
            #expect(s["read"] as? Int == jobs.count)
            #expect((s["served"] as! Int) + (s["dead_lettered"] as! Int) + (s["skipped"] as! Int) == jobs.count)
            #expect((s["served"] as! Int) > 100)
            deadLettered += s["dead_lettered"] as! Int
            // Each partition served only its users.
            let users = Set(r.lines.map { parseJSON($0)["userId"] as! String })
            #expect(users.isDisjoint(with: usersSeen))
            usersSeen.formUnion(users)
        }
        #expect(deadLettered == 1)
        #expect(union == items(whole.lines))
    }
}
