import Foundation
import Testing

/// featurize's user_windows against Spark Structured Streaming's
/// `withWatermark(...).groupBy(userId, event, window(...)).count()` in append
/// mode, on the same events read as a file stream (Tests/spark/windows_parity.py).
@Suite struct SparkParityTests {
    static let script = RTML.packageRoot.appendingPathComponent("Tests/spark/windows_parity.py").path

    /// pyspark and a Java runtime, or the reason the comparison cannot run.
    static func sparkUnavailable() -> String? {
        guard let probe = try? RTML.shell(["/usr/bin/env", "python3", "-c", "import pyspark"]), probe.status == 0 else {
            return "pyspark is not installed (.ci/run installs it with pip)"
        }
        guard let java = try? RTML.shell(["/usr/bin/env", "java", "-version"]), java.status == 0 else {
            return "no Java runtime for Spark"
        }
        return nil
    }

    @Test func userWindowsEqualSparkAppendModeCounts() throws {
        if let reason = Self.sparkUnavailable() {
            print("SKIPPED SparkParityTests: \(reason)")
            return
        }
        let dir = Workdir()
        let events = dir.path("events.ndjson")
        let made = try RTML.bash("""
        set -o pipefail
        '\(RTML.binary)' simulate --users 300 --seed 21 --late-rate 0.01 --duplicate-rate 0.01 --quiet \
          | '\(RTML.binary)' ingest --quiet --received-at-default timestamp > '\(events)'
        """)
        #expect(made.status == 0, "\(made.stderr)")
        let work = dir.path("work")
        let prepare = try RTML.shell(["/usr/bin/env", "python3", Self.script, "prepare", events, work])
        #expect(prepare.status == 0, "\(prepare.stderr)")

        let db = dir.path("s.db")
        let rtml = try RTML.run(["featurize", "\(work)/filtered.ndjson", "--store", db, "--window", "10m", "--slide", "5m",
                                 "--watermark", "10m", "--quiet", "--stats", dir.path("stats.json"), "-o", "/dev/null"])
        #expect(rtml.status == 0, "\(rtml.stderr)")
        let ours = try RTML.shell(["/usr/bin/sqlite3", "-csv", "-readonly", db,
                                   "SELECT user_id, event, window_start, window_end, n FROM user_windows ORDER BY user_id, event, window_start"]).lines

        let spark = try RTML.shell(["/usr/bin/env", "python3", Self.script, "spark", work])
        #expect(spark.status == 0, "\(spark.stderr.suffix(2000))")
        let theirs = dir.lines("work/spark.csv")
        #expect(theirs.count > 1000)
        #expect(ours.count == theirs.count)
        // Name the first differences rather than printing thousands of rows.
        let onlyOurs = Set(ours).subtracting(theirs).sorted().prefix(5)
        let onlyTheirs = Set(theirs).subtracting(ours).sorted().prefix(5)
        #expect(onlyOurs.isEmpty, "windows only rtml wrote: \(Array(onlyOurs))")
        #expect(onlyTheirs.isEmpty, "windows only Spark wrote: \(Array(onlyTheirs))")
        // The input did have late events, and rtml refused them.
        #expect((dir.json("stats.json")["late"] as? Int ?? 0) > 0)
    }
}
