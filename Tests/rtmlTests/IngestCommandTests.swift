import Foundation
import Testing

/// `rtml ingest` through the real binary.
@Suite struct IngestCommandTests {
    static let good = #"{"messageId":"m1","type":"track","event":"content.start","userId":"u42","timestamp":"2026-11-26T08:00:00.123Z","receivedAt":"2026-11-26T08:00:01.020Z","properties":{"contentId":"c17","category":"sleep","durationSec":600}}"#

    /// One line of every malformed kind, and the reason ingest must give.
    static let malformed: [(String, String)] = [
        (#"{"messageId":"b1","event":"search","userId":"u1","timestamp":"2026-11-26T08:00"#, "invalid_json"),
        (#"{"messageId":"b2","event":"search","timestamp":"2026-11-26T08:00:00Z"}"#, "missing_user"),
        (#"{"messageId":"b3","userId":"u1","timestamp":"2026-11-26T08:00:00Z"}"#, "missing_event"),
        (#"{"messageId":"b4","event":"search","userId":"u1","timestamp":"26/11/2026"}"#, "bad_timestamp"),
        (#"{"messageId":"b5","event":"search","userId":"u1","timestamp":"2026-02-30T08:00:00Z"}"#, "bad_timestamp"),
        (#"{"messageId":"b6","event":"search","userId":7,"timestamp":"2026-11-26T08:00:00Z"}"#, "wrong_type"),
        (#"{"messageId":"b7","event":"search","userId":"u1","timestamp":true}"#, "wrong_type"),
        (#"{"messageId":"b8","event":"search","userId":"u1","timestamp":"2026-11-26T08:00:00Z","properties":"x"}"#, "wrong_type"),
        (#"{"messageId":"b9","event":"search","userId":"u1","timestamp":"2026-11-26T08:00:00Z",}"#, "invalid_json"),
        (#"[{"event":"search"}]"#, "not_an_object"),
        (#"{"messageId":"b10","event":"search","userId":"u1"}"#, "missing_timestamp"),
    ]

    func mixedInput() -> String {
        var text = Self.good + "\n" + Self.good + "\n\n"   // a duplicate and a blank line
        for (line, _) in Self.malformed { text += line + "\n" }
        text += #"{"event":"app.open","anonymousId":"a9","timestamp":1795680000123,"properties":{"platform":"ios"}}"# + "\n"
        return text
    }

    @Test func everyMalformedKindIsRejectedWithItsReason() throws {
        let dir = Workdir()
        let input = dir.write("in.ndjson", mixedInput())
        let result = try RTML.run(["ingest", input, "--rejects", dir.path("rejects.ndjson"), "--stats", dir.path("stats.json"), "--received-at-default", "timestamp"])
        #expect(result.status == 0)
        #expect(result.lines.count == 2)
        let rejects = dir.lines("rejects.ndjson").map(parseJSON)
        #expect(rejects.map { $0["reason"] as? String } == Self.malformed.map { $0.1 })
        for (reject, (raw, _)) in zip(rejects, Self.malformed) {
            #expect(reject["raw"] as? String == raw)
            #expect(reject["source"] as? String == input)
            #expect((reject["detail"] as? String)?.isEmpty == false)
        }
        // Line numbers count the duplicate and the blank line before them.
        #expect(rejects.first?["line"] as? Int == 4)
        let firstOffset = (Self.good.utf8.count + 1) * 2 + 1
        #expect(rejects.first?["offset"] as? Int == firstOffset)
        // stderr names file and line like a compiler.
        #expect(result.stderr.contains("\(input):7: timestamp \"26/11/2026\" is not RFC 3339 or epoch time"))
    }

    @Test func accountingIdentityAndStats() throws {
        let dir = Workdir()
        let input = dir.write("in.ndjson", mixedInput())
        _ = try RTML.run(["ingest", input, "--stats", dir.path("stats.json"), "--quiet"])
        let stats = dir.json("stats.json")
        let read = stats["read"] as? Int ?? -1
        let accepted = stats["accepted"] as? Int ?? -1
        let rejected = stats["rejected"] as? Int ?? -1
        let duplicates = stats["duplicates"] as? Int ?? -1
        #expect(read == 2 + 1 + Self.malformed.count)
        #expect(read == accepted + rejected + duplicates)
        #expect(accepted == 2 && duplicates == 1 && rejected == Self.malformed.count)
        #expect(stats["blank"] as? Int == 1)
        let byReason = stats["rejected_by_reason"] as? [String: Int] ?? [:]
        #expect(byReason["bad_timestamp"] == 2 && byReason["wrong_type"] == 3 && byReason["invalid_json"] == 2)
        #expect(byReason.values.reduce(0, +) == rejected)
        let events = stats["by_event"] as? [String: Int] ?? [:]
        #expect(events["content.start"] == 1 && events["app.open"] == 1)
    }

    @Test func canonicalOutput() throws {
        let dir = Workdir()
        let input = dir.write("in.ndjson", mixedInput())
        let result = try RTML.run(["ingest", input, "--quiet", "--received-at-default", "timestamp"])
        #expect(result.lines.first == Self.good)
        let converted = parseJSON(result.lines[1])
        #expect(converted["timestamp"] as? String == "2026-11-26T08:00:00.123Z")
        #expect(converted["receivedAt"] as? String == "2026-11-26T08:00:00.123Z")
        #expect((converted["messageId"] as? String)?.hasPrefix("rtml-") == true)
        #expect((converted["properties"] as? [String: String])?["platform"] == "ios")
        // Ingesting the output again changes nothing and drops nothing.
        let again = try RTML.run(["ingest", "--quiet"], stdin: result.stdout)
        #expect(again.stdout == result.stdout)
    }

    @Test func strictTurnsRejectsIntoStatusOne() throws {
        let dir = Workdir()
        let input = dir.write("in.ndjson", mixedInput())
        let strict = try RTML.run(["ingest", input, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.lines.count == 2)
        #expect(strict.stderr.contains("accepted"))
        let clean = try RTML.run(["ingest", "--strict", "--quiet"], stdin: Data((Self.good + "\n").utf8))
        #expect(clean.status == 0)
    }

    @Test func closedStdoutIsQuietSuccess() throws {
        let dir = Workdir()
        var text = ""
        for i in 0..<200_000 {
            text += #"{"messageId":"m\#(i)","event":"search","userId":"u\#(i % 97)","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.500Z"}"# + "\n"
        }
        dir.write("big.ndjson", text)
        _ = try RTML.shell(["/bin/gzip", "-k", dir.path("big.ndjson")])
        let result = try RTML.bash("'\(RTML.binary)' ingest '\(dir.path("big.ndjson.gz"))' | head -1; echo \"status=${PIPESTATUS[0]}\" >&2")
        #expect(result.lines.count == 1)
        #expect(result.stderr == "status=0\n")
        // Compressed stdout: the pipe closes under the compressing thread.
        let gzipped = try RTML.bash("'\(RTML.binary)' ingest --gzip '\(dir.path("big.ndjson.gz"))' | head -c 100 > /dev/null; echo \"status=${PIPESTATUS[0]}\" >&2")
        #expect(gzipped.stderr == "status=0\n")
    }

    @Test func truncatedGzipProcessesWhatCameBeforeAndExitsTwo() throws {
        let dir = Workdir()
        var text = ""
        for i in 0..<50_000 {
            text += #"{"messageId":"m\#(i)","event":"search","userId":"u\#(i % 97)","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.500Z","properties":{"query":"q\#(i * 7919 % 10007)"}}"# + "\n"
        }
        dir.write("day.ndjson", text)
        _ = try RTML.shell(["/bin/gzip", dir.path("day.ndjson")])
        let full = FileManager.default.contents(atPath: dir.path("day.ndjson.gz"))!
        let cut = dir.writeBytes("cut.gz", Array(full.prefix(full.count * 2 / 3)))
        let result = try RTML.run(["ingest", cut, "--stats", dir.path("stats.json"), "--rejects", dir.path("rejects.ndjson")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("rtml: \(cut): gzip stream is truncated at byte \(full.count * 2 / 3)"))
        #expect(result.stderr.contains("ingest: read"))
        let stats = dir.json("stats.json")
        let read = stats["read"] as? Int ?? 0
        #expect(read > 10_000 && read < 50_000)
        #expect(read == (stats["accepted"] as? Int ?? 0) + (stats["rejected"] as? Int ?? 0) + (stats["duplicates"] as? Int ?? 0))
        #expect(result.lines.count == stats["accepted"] as? Int)
        // The line cut off by the damage is accounted for as a reject.
        #expect(dir.lines("rejects.ndjson").count == stats["rejected"] as? Int)
    }

    @Test func filesAndStdinInOrderWithGzipByMagic() throws {
        let dir = Workdir()
        let a = dir.write("a.ndjson", #"{"messageId":"a","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z"}"# + "\n")
        dir.write("b.txt", #"{"messageId":"b","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z"}"# + "\n")
        _ = try RTML.shell(["/bin/gzip", "-S", ".dat", dir.path("b.txt")])
        let stdin = #"{"messageId":"c","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z"}"# + "\n"
        let result = try RTML.run(["ingest", a, dir.path("b.txt.dat"), "-", "--quiet"], stdin: Data(stdin.utf8))
        #expect(result.status == 0)
        #expect(result.lines.map { parseJSON($0)["messageId"] as? String } == ["a", "b", "c"])
    }

    @Test func gzipOutputAndLongLines() throws {
        let dir = Workdir()
        let long = #"{"messageId":"l","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","pad":""# + String(repeating: "p", count: 5000) + "\"}"
        let input = dir.write("in.ndjson", Self.good + "\n" + long + "\n")
        let result = try RTML.run(["ingest", input, "-o", dir.path("out.ndjson.gz"), "--max-line-bytes", "1024", "--rejects", dir.path("r.ndjson"), "--quiet"])
        #expect(result.status == 0)
        let unzipped = try RTML.shell(["/bin/gzip", "-dc", dir.path("out.ndjson.gz")])
        #expect(unzipped.stdoutText == Self.good + "\n")
        let reject = parseJSON(dir.lines("r.ndjson").first ?? "")
        #expect(reject["reason"] as? String == "line_too_long")
        #expect(reject["truncated"] as? Bool == true)
        #expect(reject["length"] as? Int == long.utf8.count)
    }

    @Test func invalidUTF8IsKeptExactly() throws {
        let dir = Workdir()
        var bytes = Array(#"{"messageId":"u8","event":"search","userId":"u"#.utf8) + [0xC3, 0x28]
        bytes += Array(#"","timestamp":"2026-11-26T08:00:00Z"}"#.utf8) + [0x0A]
        let input = dir.writeBytes("in.ndjson", bytes)
        _ = try RTML.run(["ingest", input, "--rejects", dir.path("r.ndjson"), "--quiet"])
        let reject = parseJSON(dir.lines("r.ndjson").first ?? "")
        #expect(reject["reason"] as? String == "invalid_utf8")
        let exact = Data(base64Encoded: reject["rawBase64"] as? String ?? "")
        #expect(exact.map(Array.init) == Array(bytes.dropLast()))
    }

    @Test func usageErrorsExit64AndMissingFilesExit2() throws {
        let bad = try RTML.run(["ingest", "--dedupe-window", "soon"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--dedupe-window"))
        let missing = try RTML.run(["ingest", "/nonexistent/day.gz", "--quiet"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/day.gz: cannot open: No such file or directory"))
    }
}
