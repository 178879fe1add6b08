import Foundation
import Testing

@Suite("rtml simulate (end to end)")
struct SimulateCommandTests {
    @Test func gzipOutputMatchesStatsAndRepeats() throws {
        let dir = Workdir()
        let first = try RTML.run(["simulate", "--users", "50", "--seed", "3", "-o", dir.path("day.ndjson.gz"), "--stats", dir.path("s.json")])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.isEmpty)
        #expect(first.stderr.contains("50 users"))

        let stats = dir.json("s.json")
        let lines = try RTML.shell(["/bin/gzip", "-dc", dir.path("day.ndjson.gz")]).lines
        #expect(stats["users"] as? Int == 50)
        #expect(stats["events"] as? Int == lines.count)
        #expect(lines.count > 1000)
        for key in ["malformed", "duplicates", "late", "by_event"] { #expect(stats[key] != nil) }

        let second = try RTML.run(["simulate", "--users", "50", "--seed", "3", "-o", dir.path("again.ndjson.gz"), "--quiet"])
        #expect(second.status == 0)
        #expect(second.stderr.isEmpty)
        #expect(FileManager.default.contents(atPath: dir.path("day.ndjson.gz")) == FileManager.default.contents(atPath: dir.path("again.ndjson.gz")))
        // Byte-identical uncompressed output too.
        let plainA = try RTML.run(["simulate", "--users", "50", "--seed", "3", "--quiet"]).stdout
        let plainB = try RTML.run(["simulate", "--users", "50", "--seed", "3", "--quiet"]).stdout
        #expect(plainA == plainB && plainA.count > 100_000)
        let otherSeed = try RTML.run(["simulate", "--users", "50", "--seed", "4", "--quiet"])
        #expect(otherSeed.lines != lines)
    }

    @Test func badRateIsAUsageErrorNamingTheFlag() throws {
        let result = try RTML.run(["simulate", "--late-rate", "1.5"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--late-rate"))
    }

    @Test func closedStdoutEndsQuietly() throws {
        let result = try RTML.bash("'\(RTML.binary)' simulate --users 300 | head -1; echo \"status=${PIPESTATUS[0]}\" >&2")
        #expect(result.lines.count == 1)
        #expect(result.stderr == "status=0\n")
    }
}

@Suite struct FixtureTests {
    /// The committed fixture is what the simulator makes today: a change to the
    /// generator shows up here, and the fixture is regenerated on purpose
    /// (fixtures/README.md has the command). The events are compared, not the
    /// gzip bytes, which depend on the compressor's version.
    @Test func fixtureDayRegeneratesByteForByte() throws {
        let dir = Workdir()
        let result = try RTML.run(["simulate", "--users", "300", "--date", "2026-11-26", "--seed", "42",
                                   "--malformed-rate", "0.01", "--duplicate-rate", "0.01", "--late-rate", "0.005",
                                   "--quiet", "-o", dir.path("day.ndjson.gz")])
        #expect(result.status == 0)
        let fixture = RTML.packageRoot.appendingPathComponent("fixtures/day-small.ndjson.gz").path
        let made = try RTML.shell(["/bin/gzip", "-dc", dir.path("day.ndjson.gz")]).stdout
        let committed = try RTML.shell(["/bin/gzip", "-dc", fixture]).stdout
        #expect(made.count > 1_000_000)
        #expect(made == committed)
    }
}
