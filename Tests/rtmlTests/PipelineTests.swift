import Foundation
import Testing

/// Stages piped into each other, as users run them.
@Suite struct PipelineTests {
    @Test func simulateIntoIngestAccountsForEveryLine() throws {
        let dir = Workdir()
        let script = """
        set -o pipefail
        '\(RTML.binary)' simulate --users 400 --seed 11 --malformed-rate 0.03 --duplicate-rate 0.02 --late-rate 0.01 \
          --stats '\(dir.path("sim.json"))' --quiet \
        | '\(RTML.binary)' ingest --stats '\(dir.path("ingest.json"))' --rejects '\(dir.path("rejects.ndjson"))' --quiet \
        > '\(dir.path("events.ndjson"))'
        """
        let result = try RTML.bash(script)
        #expect(result.status == 0, "\(result.stderr)")
        let sim = dir.json("sim.json")
        let ingest = dir.json("ingest.json")
        let read = ingest["read"] as? Int ?? -1
        #expect(read == sim["events"] as? Int)
        #expect(read == (ingest["accepted"] as? Int ?? 0) + (ingest["rejected"] as? Int ?? 0) + (ingest["duplicates"] as? Int ?? 0))
        // Every line the simulator broke is refused, every re-send is caught.
        #expect(ingest["rejected"] as? Int == sim["malformed"] as? Int)
        #expect(ingest["duplicates"] as? Int == sim["duplicates"] as? Int)
        let reasons = Set((ingest["rejected_by_reason"] as? [String: Int] ?? [:]).keys)
        #expect(reasons == ["invalid_json", "invalid_utf8", "not_an_object", "missing_event", "missing_user", "bad_timestamp", "wrong_type"])
        #expect(dir.lines("rejects.ndjson").count == ingest["rejected"] as? Int)
        #expect(dir.lines("events.ndjson").count == ingest["accepted"] as? Int)
        // Offsets and derived stamps normalised: every output time is canonical UTC.
        for line in dir.lines("events.ndjson").prefix(2000) {
            let event = parseJSON(line)
            #expect((event["timestamp"] as? String)?.count == 24)
            #expect((event["timestamp"] as? String)?.hasSuffix("Z") == true)
            #expect(event["messageId"] is String)
        }
    }
}
