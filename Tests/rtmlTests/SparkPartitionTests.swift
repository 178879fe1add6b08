import Foundation
import Testing

/// The Spark recipe (examples/spark/featurize_partitioned.py) in local mode
/// makes the same partition stores as `rtml partition` + the shell loop, as a
/// store set it then trains on and serves from.
@Suite struct SparkPartitionTests {
    static let script = RTML.packageRoot.appendingPathComponent("examples/spark/featurize_partitioned.py").path

    @Test func sparkPartitionStoresEqualTheShellPartitionStores() throws {
        if let reason = SparkParityTests.sparkUnavailable() {
            print("SKIPPED SparkPartitionTests: \(reason)")
            return
        }
        let day = PartitionCommandTests.day
        let dir = Workdir()
        // Gzip input, as a day's log usually is: Spark inflates it itself.
        let gz = try RTML.bash("gzip -c '\(day.raw)' > day.ndjson.gz", in: dir.url)
        #expect(gz.status == 0)
        let run = try RTML.shell([
            "/usr/bin/env", "python3", Self.script, dir.path("day.ndjson.gz"), "--partitions", "\(PartitionCommandTests.n)",
            "--out", dir.path("spark"), "--master", "local[2]", "--rtml", RTML.binary,
            "--ingest-args", "--received-at-default timestamp",
            "--models", dir.path("models"), "--train-args", "--factors 8 --iterations 2",
        ])
        #expect(run.status == 0, "\(run.stderr.suffix(3000))")
        let summary = parseJSON(try #require(run.lines.last))
        let ingest = try #require(summary["ingest"] as? [String: Int])
        #expect(ingest["accepted"] == day.dir.json("ingest.json")["accepted"] as? Int)
        // The executors' featurize processes registered their shards: a valid set,
        // which the driver trained on and served every job from.
        let show = try RTML.run(["store-set", "show", dir.path("spark")])
        #expect(show.status == 0, "\(show.stderr)")
        let serve = try #require(summary["serve"] as? [String: Int])
        let jobs = (0..<PartitionCommandTests.n).map { dir.lines(String(format: "spark/part-%04d.jobs.ndjson", $0)).count }.reduce(0, +)
        #expect(jobs > 1000)
        #expect(serve["read"] == jobs && serve["served"] == jobs)
        #expect(dir.lines("spark/predictions.ndjson").count == jobs)
        for i in 0..<PartitionCommandTests.n {
            let store = dir.path(String(format: "spark/part-%04d.db", i))
            let checks = try StoreUnion.compare(single: day.parts[i], parts: [store])
            #expect(checks.count == 3)
            for check in checks {
                #expect(check.single > 0, "partition \(i): \(check)")
                #expect(check.isEqual, "partition \(i): \(check)")
            }
        }
    }
}
