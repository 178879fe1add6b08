import Foundation
import Testing

@Suite("rtml simulate (end to end)")
struct SimulateCommandTests {
    @Test func gzipOutputMatchesStatsAndRepeats() throws {
        let dir = try RunCommand.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let day = dir.appendingPathComponent("day.ndjson.gz").path
        let again = dir.appendingPathComponent("again.ndjson.gz").path
        let statsPath = dir.appendingPathComponent("s.json").path

        let first = try RunCommand.run(["simulate", "--users", "50", "--seed", "3", "-o", day, "--stats", statsPath])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.isEmpty)
        #expect(first.stderr.contains("50 users"))

        let stats = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statsPath))) as? [String: Any])
        let text = try RunCommand.tool("/bin/gzip", ["-dc", day])
        let lines = text.split(separator: 0x0A)
        #expect(stats["users"] as? Int == 50)
        #expect(stats["events"] as? Int == lines.count)
        #expect(lines.count > 1000)
        for key in ["malformed", "duplicates", "late", "byEvent"] { #expect(stats[key] != nil) }

        let second = try RunCommand.run(["simulate", "--users", "50", "--seed", "3", "-o", again, "--quiet"])
        #expect(second.status == 0)
        #expect(second.stderr.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: day)) == Data(contentsOf: URL(fileURLWithPath: again)))
    }

    @Test func badRateIsAUsageErrorNamingTheFlag() throws {
        let result = try RunCommand.run(["simulate", "--late-rate", "1.5"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--late-rate"))
    }

    @Test func closedStdoutEndsQuietly() throws {
        // Reading nothing: the pipe closes as soon as the child writes.
        let process = Process()
        process.executableURL = RunCommand.binary
        process.arguments = ["simulate", "--users", "300", "--quiet"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try out.fileHandleForReading.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(err.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }
}
