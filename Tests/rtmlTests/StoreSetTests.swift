import Foundation
import Testing

/// Store sets through the binary, on the simulated day of
/// PartitionCommandTests: its `parts` directory is the 4-shard set that
/// `rtml partition` + `rtml ingest | rtml featurize --partition I/4` made,
/// and `single.db` the one-process store of the same day.
///
/// What a set must give, compared with the single store (docs/scale-out.md,
/// "Training and serving over a set"): exactly the same training data (ALS
/// interactions and popularity per content id; linear models identical to
/// the byte), so the same rerank context and cold-start decision for every
/// job and the same cold-start lists up to ties in popularity; ALS factors
/// are not comparable (their initialisation follows the id order), so for
/// them the test is that the set's model scores each user of each shard
/// with that user's own row.
@Suite struct StoreSetTests {
    static let n = PartitionCommandTests.n
    static let split = "2026-11-26T12:00:00Z"

    static var day: PartitionCommandTests.Day { PartitionCommandTests.day }
    static var set: String { day.dir.path("parts") }

    /// ALS and next-category models trained on the set and on the single store, once.
    struct Models {
        var dir: Workdir
        var setALS: String
        var singleALS: String
        var setNC: String
        var singleNC: String
    }

    static let models: Models = {
        let dir = Workdir()
        let bin = RTML.binary
        let result = try! RTML.bash("""
        set -euo pipefail
        for src in set single; do
          store=$([ $src = set ] && echo '\(set)' || echo '\(day.single)')
          '\(bin)' train als --store "$store" --split-at \(split) --factors 8 --iterations 4 -o als-$src -q > /dev/null
          '\(bin)' train logistic --store "$store" --label next-category --horizon 1h --features \(ncFeatures) -o nc-$src -q > /dev/null
        done
        """, in: dir.url)
        precondition(result.status == 0, "training on the set and the single store failed: \(result.stderr)")
        return Models(dir: dir, setALS: dir.path("als-set/1"), singleALS: dir.path("als-single/1"),
                      setNC: dir.path("nc-set/1"), singleNC: dir.path("nc-single/1"))
    }()

    /// A few real-time inputs keep the logistic fit short.
    static let ncFeatures = "search_affinity_sleep,search_affinity_focus,search_affinity_move,starts_sleep_10m,starts_focus_10m,steps_slope_10m"

    /// A copy of the set to change, in `dir`.
    static func copySet(to dir: Workdir, as name: String) throws -> String {
        let copy = try RTML.bash("cp -r '\(set)' '\(name)'", in: dir.url)
        #expect(copy.status == 0, "\(copy.stderr)")
        return dir.path(name)
    }

    static func floats(_ path: String) -> [Float] {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }

    static func itemIds(_ bundle: String) -> [String] {
        let model = (try? JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: bundle + "/model.json")!)) as? [String: Any]
        return model?["item_ids"] as? [String] ?? []
    }

    @Test func featurizeShardsMakeAValidSetThatInitLeavesAsItIs() throws {
        let show = try RTML.run(["store-set", "show", Self.set, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let summary = parseJSON(show.stdoutText)
        #expect(summary["partitions"] as? Int == Self.n)
        let singleUsers = Int(try FixtureStore.sqlite(Self.day.single, "SELECT count(*) FROM features"))
        #expect(summary["users"] as? Int == singleUsers)
        let manifest = Self.day.dir.json("parts/manifest.json")
        #expect(manifest["format"] as? String == "rtml-store-set")
        let recorded = (manifest["shards"] as? [[String: Any]] ?? []).map { $0["store_id"] as? String }
        let shards = summary["shards"] as? [[String: Any]] ?? []
        #expect(recorded.count == Self.n)
        for (i, shard) in shards.enumerated() {
            #expect(shard["store_id"] as? String == recorded[i])
            #expect(try FixtureStore.sqlite(Self.day.parts[i], "SELECT value FROM meta WHERE key = 'store_id'") == recorded[i])
        }
        // The set's fingerprint is what docs/scale-out.md computes in Python from the shards' own.
        let python = """
        import sqlite3, sys
        sys.path.insert(0, sys.argv[1])
        from rtml_partition import hash128
        fps = [sqlite3.connect(p).execute("SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'").fetchone()[0] for p in sys.argv[2:]]
        high, low = hash128("\\0".join(["rtml-store-set-ids", "1", str(len(fps))] + fps).encode("utf-8"))
        print(f"{high:016x}{low:016x}")
        """
        let recomputed = try RTML.shell(["/usr/bin/env", "python3", "-c", python,
                                         RTML.packageRoot.appendingPathComponent("examples/spark").path] + Self.day.parts)
        #expect(recomputed.status == 0, "\(recomputed.stderr)")
        #expect(recomputed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == summary["fingerprint"] as? String)
        #expect((summary["fingerprint"] as? String)?.count == 32)
        // init over shards featurize registered changes nothing (a copy, not to race other tests).
        let dir = Workdir()
        let copy = try Self.copySet(to: dir, as: "copy")
        let before = dir.read("copy/manifest.json")
        let again = try RTML.run(["store-set", "init", copy, "--partitions", "\(Self.n)"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(dir.read("copy/manifest.json") == before)
        #expect(try RTML.run(["store-set", "init", copy, "--partitions", "8"]).status == 2)
        // Shards made without a manifest (copied off executors, say): init registers
        // them, and the set's fingerprint, derived from the shards alone, is the same.
        try FileManager.default.removeItem(atPath: dir.path("copy/manifest.json"))
        let plain = try RTML.run(["store-set", "show", copy])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("manifest.json: missing or unreadable"))
        let register = try RTML.run(["store-set", "init", copy, "--partitions", "\(Self.n)"])
        #expect(register.status == 0, "\(register.stderr)")
        #expect(register.stderr.contains("4 shards registered now"))
        let again2 = try RTML.run(["store-set", "show", copy, "--json"])
        #expect(again2.status == 0, "\(again2.stderr)")
        #expect(parseJSON(again2.stdoutText)["fingerprint"] as? String == summary["fingerprint"] as? String)
        #expect(parseJSON(again2.stdoutText)["set_id"] as? String != summary["set_id"] as? String)
    }

    @Test func trainingOnTheSetSeesExactlyTheSingleStoresData() throws {
        let m = Self.models
        let set = m.dir.json("als-set/1/metrics.json"), single = m.dir.json("als-single/1/metrics.json")
        for key in ["interactions_train", "users", "items", "test_users"] {
            #expect(set[key] as? Int == single[key] as? Int, "\(key)")
        }
        #expect((set["interactions_train"] as? Int ?? 0) > 1000)
        // Popularity per content id (the cold-start ranking) is the same.
        let popularity = { (bundle: String) in
            Dictionary(uniqueKeysWithValues: zip(Self.itemIds(bundle), Self.floats(bundle + "/popularity.bin")))
        }
        let (p1, p2) = (popularity(m.setALS), popularity(m.singleALS))
        #expect(p1.count > 100)
        #expect(p1 == p2)
        // The set's model covers every global id; rows of ids no user had are zero.
        #expect(m.dir.read("als-set/1/MLmodel").contains("sequence_map_fingerprint"))
        // A linear model from the set is the single store's, to the byte.
        #expect(m.dir.read("nc-set/1/model.json") == m.dir.read("nc-single/1/model.json"))
        #expect(!m.dir.read("nc-set/1/model.json").isEmpty)
    }

    @Test func servingTheSetAnswersEveryJobLikeTheSingleStore() throws {
        let m = Self.models
        // The day's jobs, and jobs of users no store has seen (cold start in both).
        var jobs = Self.day.dir.read("single-jobs.ndjson")
        for k in 0..<12 {
            jobs += #"{"jobId":"j-ghost-\#(k)","userId":"ghost-\#(k)","eventTime":"2026-11-26T20:00:00.000Z","attempt":1}"# + "\n"
        }
        let viaSet = try RTML.run(["serve-once", "--store", Self.set, "--model", m.setALS, "--rerank", m.setNC, "-q"], stdin: Data(jobs.utf8))
        let viaSingle = try RTML.run(["serve-once", "--store", Self.day.single, "--model", m.singleALS, "--rerank", m.singleNC, "-q"], stdin: Data(jobs.utf8))
        #expect(viaSet.status == 0, "\(viaSet.stderr)")
        #expect(viaSingle.status == 0, "\(viaSingle.stderr)")
        let a = viaSet.lines.map(parseJSON), b = viaSingle.lines.map(parseJSON)
        #expect(a.count == jobs.split(separator: "\n").count)
        #expect(a.count == b.count)
        var cold = 0
        for (x, y) in zip(a, b) {
            #expect(x["jobId"] as? String == y["jobId"] as? String)
            #expect(x["userId"] as? String == y["userId"] as? String)
            #expect((x["coldStart"] as? Bool ?? false) == (y["coldStart"] as? Bool ?? false), "\(x["userId"] ?? "")")
            // The features each job was reranked with: the same row, the same model.
            #expect(x["context"] as? [String: Double] == y["context"] as? [String: Double], "\(x["jobId"] ?? "")")
            guard x["coldStart"] as? Bool == true else { continue }
            cold += 1
            // Popularity lists: the same scores; the same items above the last score
            // (items of equal popularity are ordered by item index, which differs).
            let items = { (p: [String: Any]) in (p["items"] as? [[String: Any]] ?? []).map { ($0["contentId"] as! String, $0["score"] as! Double) } }
            let (ix, iy) = (items(x), items(y))
            #expect(ix.map(\.1) == iy.map(\.1))
            let last = ix.last?.1 ?? 0
            #expect(Set(ix.filter { $0.1 > last }.map(\.0)) == Set(iy.filter { $0.1 > last }.map(\.0)))
        }
        #expect(cold == 12)
    }

    @Test func theSetsModelScoresEveryShardsUsersWithTheirOwnRow() throws {
        let m = Self.models
        let jobs = (0..<Self.n).map { Self.day.dir.read(String(format: "parts/part-%04d.jobs", $0)) }.joined()
        let served = try RTML.run(["serve-once", "--store", Self.set, "--model", m.setALS, "--exclude-recent", "0s", "--stats", m.dir.path("s.json"), "-q"],
                                  stdin: Data(jobs.utf8))
        #expect(served.status == 0, "\(served.stderr)")
        let stats = parseJSON(try String(contentsOfFile: m.dir.path("s.json"), encoding: .utf8))
        #expect(stats["served"] as? Int == jobs.split(separator: "\n").count)
        #expect(stats["cold_start"] as? Int == 0)
        // Global id = local seq_id * N + partition, read from each shard.
        var global: [String: Int] = [:]
        for (i, part) in Self.day.parts.enumerated() {
            for line in try RTML.shell(["sqlite3", "-readonly", "-separator", " ", part, "SELECT user_id, seq_id FROM sequence_ids"]).lines {
                let f = line.split(separator: " ")
                global[String(f[0])] = Int(f[1])! * Self.n + i
            }
        }
        let users = Self.floats(m.setALS + "/user_factors.bin"), items = Self.floats(m.setALS + "/item_factors.bin")
        let itemIndex = Dictionary(uniqueKeysWithValues: Self.itemIds(m.setALS).enumerated().map { ($1, $0) })
        let f = 8
        var checked = 0
        for line in served.lines {
            let p = parseJSON(line)
            let g = try #require(global[p["userId"] as! String])
            let dot = { (item: Int) in (0..<f).reduce(Float(0)) { $0 + users[g * f + $1] * items[item * f + $1] } }
            let listed = p["items"] as? [[String: Any]] ?? []
            for entry in listed {
                let score = Float(entry["score"] as! Double)
                let expected = dot(itemIndex[entry["contentId"] as! String]!)
                #expect(abs(score - expected) <= 1e-3 * max(1, abs(expected)), "\(p["userId"]!): \(entry)")
            }
            // And the first is the user's best item of all.
            let best = (0..<itemIndex.count).max { dot($0) < dot($1) }!
            #expect(abs(dot(best) - Float(listed.first?["score"] as? Double ?? 0)) <= 1e-3 * max(1, abs(dot(best))))
            checked += 1
        }
        #expect(checked > 1000)
    }

    @Test func theFingerprintGuardRefusesModelsOfOtherStoresAndChangedShards() throws {
        let m = Self.models
        let job = Data((Self.day.dir.lines("single-jobs.ndjson").first! + "\n").utf8)
        // The single store's model against the set, and the set's model against the single store.
        let a = try RTML.run(["serve-once", "--store", Self.set, "--model", m.singleALS], stdin: job)
        #expect(a.status == 2)
        #expect(a.stderr.contains("store \(Self.set) has"))
        let b = try RTML.run(["serve-once", "--store", Self.day.single, "--model", m.setALS], stdin: job)
        #expect(b.status == 2)
        #expect(b.stderr.contains("fingerprint"))

        // A shard that assigned ids after training: refused, and with
        // --allow-stale-ids its new users are cold starts (zero rows), never
        // another user's row.
        let dir = Workdir()
        let copy = try Self.copySet(to: dir, as: "changed")
        var events = "", newJobs = ""
        for k in 0..<12 {
            events += #"{"messageId":"n-\#(k)","type":"track","event":"content.start","userId":"newcomer-\#(k)","timestamp":"2026-11-28T00:00:00.000Z","properties":{"contentId":"c1","category":"sleep","durationSec":600}}"# + "\n"
            newJobs += #"{"jobId":"j-new-\#(k)","userId":"newcomer-\#(k)","eventTime":"2026-11-28T00:00:01.000Z","attempt":1}"# + "\n"
        }
        dir.write("new.ndjson", events)
        for i in 0..<Self.n {
            let part = String(format: "changed/part-%04d.db", i)
            let r = try RTML.bash("'\(RTML.binary)' ingest new.ndjson --received-at-default timestamp -q | '\(RTML.binary)' featurize --store \(part) --partition \(i)/\(Self.n) -q > /dev/null", in: dir.url)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let refused = try RTML.run(["serve-once", "--store", copy, "--model", m.setALS], stdin: Data(newJobs.utf8))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("users would get other users' recommendations"))
        let promoteDir = Workdir()
        try FileManager.default.createDirectory(atPath: promoteDir.path("stores"), withIntermediateDirectories: true)
        #expect(try RTML.bash("mv '\(copy)' '\(promoteDir.path("stores/green"))'").status == 0)
        let promote = try RTML.run(["promote", "--stores", promoteDir.path("stores"), "--to", "green", "--model", m.setALS])
        #expect(promote.status == 2)
        #expect(promote.stderr.contains("retrain on this set"))

        let stale = try RTML.run(["serve-once", "--store", promoteDir.path("stores/green"), "--model", m.setALS, "--allow-stale-ids"], stdin: Data(newJobs.utf8))
        #expect(stale.status == 0, "\(stale.stderr)")
        let predictions = stale.lines.map(parseJSON)
        #expect(predictions.count == 12)
        for p in predictions { #expect(p["coldStart"] as? Bool == true, "\(p["userId"] ?? "")") }
        // Some newcomer got a global id inside the model's range (a shard with fewer
        // users than the largest): it is the zero row that makes them cold.
        let rows = Self.floats(m.setALS + "/user_factors.bin").count / 8
        var inside = 0
        for i in 0..<Self.n {
            let ids = try RTML.shell(["sqlite3", "-readonly", promoteDir.path(String(format: "stores/green/part-%04d.db", i)),
                                      "SELECT seq_id FROM sequence_ids WHERE user_id LIKE 'newcomer-%'"]).lines.compactMap { Int($0) }
            inside += ids.filter { $0 * Self.n + i < rows }.count
        }
        #expect(inside > 0)
    }

    @Test func aSetBuiltAnotherWayWithOtherIdsRefusesTheModel() throws {
        // examples/parallel.sh with 2 partitions: the same day, another set; it also
        // trains on its own set and serves every job from it.
        let m = Self.models
        let dir = Workdir()
        let script = RTML.packageRoot.appendingPathComponent("examples/parallel.sh").path
        let run = try RTML.bash("RTML='\(RTML.binary)' INGEST_ARGS='--received-at-default timestamp' TRAIN_ARGS='--factors 8 --iterations 2' '\(script)' '\(Self.day.raw)' 2 two models", in: dir.url)
        #expect(run.status == 0, "\(run.stderr)")
        let jobs = (0..<2).map { dir.read(String(format: "two/part-%04d.jobs.ndjson", $0)) }.joined()
        #expect(dir.lines("two/predictions.ndjson").count == jobs.split(separator: "\n").count)
        let refused = try RTML.run(["serve-once", "--store", dir.path("two"), "--model", m.setALS], stdin: Data(jobs.prefix(2000).utf8))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("users would get other users' recommendations"))
    }

    @Test func diffComparesSetsShardByShard() throws {
        let same = try RTML.run(["diff", Self.set, Self.set])
        #expect(same.status == 0, "\(same.stdoutText)\(same.stderr)")
        #expect(same.stdoutText.contains("store sets: the sets are the same"))

        let dir = Workdir()
        let changed = try Self.copySet(to: dir, as: "changed")
        #expect(try FixtureStore.sqlite(dir.path("changed/part-0002.db"),
                                        "UPDATE features SET steps_mean_10m = 12345 WHERE user_id = (SELECT min(user_id) FROM features); SELECT changes()") == "1")
        let text = try RTML.run(["diff", Self.set, changed])
        #expect(text.status == 1)
        #expect(text.stdoutText.contains("== shard 2: part-0002.db differs =="))
        #expect(text.stdoutText.contains("1 of 4 shards differ: part-0002.db"))
        #expect(text.stdoutText.contains("part-0000.db: same"))
        let ndjson = try RTML.run(["diff", Self.set, changed, "--format", "ndjson"])
        #expect(ndjson.status == 1)
        let features = ndjson.lines.map(parseJSON).filter { $0["type"] as? String == "table" && $0["table"] as? String == "features" && ($0["changed"] as? Int ?? 0) > 0 }
        #expect(features.map { $0["shard"] as? Int } == [2])
        #expect(parseJSON(ndjson.lines.last!)["differing_shards"] as? [Int] == [2])
        // A set against a single store is not a shard-by-shard comparison.
        let mixed = try RTML.run(["diff", Self.set, Self.day.single])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("is a store set and"))
    }

    @Test func promoteSwitchesBetweenSetsAndRefusesOneWithAMissingShard() throws {
        let m = Self.models
        let dir = Workdir()
        try FileManager.default.createDirectory(atPath: dir.path("stores"), withIntermediateDirectories: true)
        _ = try Self.copySet(to: dir, as: "stores/blue")
        _ = try Self.copySet(to: dir, as: "stores/green")
        let blue = try RTML.run(["promote", "--stores", dir.path("stores"), "--to", "blue", "--model", m.setALS, "--model", m.setNC])
        #expect(blue.status == 0, "\(blue.stderr)")
        #expect(blue.stderr.contains("every shard has all"))
        #expect(dir.read("stores/ACTIVE") == "blue\n")
        // serve-once follows ACTIVE to the blue set.
        let job = Data((Self.day.dir.lines("single-jobs.ndjson").first! + "\n").utf8)
        let served = try RTML.run(["serve-once", "--stores", dir.path("stores"), "--model", m.setALS, "--sink", "push,pull"], stdin: job)
        #expect(served.status == 0, "\(served.stderr)")
        #expect(served.stderr.contains("store set \(dir.path("stores/blue"))"))
        // The pull sink wrote the prediction into the user's shard.
        let user = parseJSON(served.lines.first ?? "")["userId"] as? String ?? "?"
        let counts = try (0..<Self.n).map { i in
            Int(try FixtureStore.sqlite(dir.path(String(format: "stores/blue/part-%04d.db", i)), "SELECT count(*) FROM predictions WHERE user_id = '\(user)'")) ?? -1
        }
        #expect(counts.reduce(0, +) == 1)

        try FileManager.default.removeItem(atPath: dir.path("stores/green/part-0003.db"))
        let green = try RTML.run(["promote", "--stores", dir.path("stores"), "--to", "green", "--model", m.setALS])
        #expect(green.status == 2)
        #expect(green.stderr.contains("part-0003.db: missing"))
        #expect(dir.read("stores/ACTIVE") == "blue\n")
    }

    @Test func brokenSetsAreRefusedNamingTheFileAndTheReason() throws {
        let m = Self.models
        let dir = Workdir()
        let bin = RTML.binary
        // featurize: the file name must be the partition's, N the manifest's.
        let events = Self.day.dir.lines("day.ndjson").prefix(50).joined(separator: "\n") + "\n"
        dir.write("few.ndjson", events)
        let wrongName = try RTML.bash("'\(bin)' featurize --store s/part-0001.db --partition 2/4 -q < few.ndjson", in: dir.url)
        #expect(wrongName.status == 2)
        #expect(wrongName.stderr.contains("part-0001.db: the file of shard 1, but --partition is 2/4"))
        let copy = try Self.copySet(to: dir, as: "copy")
        let wrongN = try RTML.bash("'\(bin)' featurize --store copy/part-0001.db --partition 1/8 -q < few.ndjson", in: dir.url)
        #expect(wrongN.status == 2)
        #expect(wrongN.stderr.contains("manifest.json: the set has 4 partitions"))
        let noPartition = try RTML.bash("'\(bin)' featurize --store copy/part-0001.db -q < few.ndjson", in: dir.url)
        #expect(noPartition.status == 2)
        #expect(noPartition.stderr.contains("featurize it with --partition 1/N"))

        // Readers: a shard in another's place, a missing shard, an unreadable manifest.
        let job = Data((Self.day.dir.lines("single-jobs.ndjson").first! + "\n").utf8)
        #expect(try RTML.bash("cp copy/part-0001.db copy/part-0002.db", in: dir.url).status == 0)
        let swapped = try RTML.run(["serve-once", "--store", copy, "--model", m.setALS], stdin: job)
        #expect(swapped.status == 2)
        #expect(swapped.stderr.contains("part-0002.db: the store's partition is 1/4"))
        #expect(try RTML.bash("rm copy/part-0002.db", in: dir.url).status == 0)
        let missing = try RTML.run(["train", "als", "--store", copy, "-q"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("part-0002.db: missing; shard 2 of the 4"))
        dir.write("copy/manifest.json", "{\"format\":\"rtml-store-set\",")
        let corrupt = try RTML.run(["store-set", "show", copy])
        #expect(corrupt.status == 2)
        #expect(corrupt.stderr.contains("manifest.json"))
    }
}
