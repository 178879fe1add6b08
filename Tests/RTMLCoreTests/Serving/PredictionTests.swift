import Foundation
import RTMLCore
import Testing

@Suite struct PredictionTests {
    @Test func thePushLineIsDesignsShapeWithShortScores() throws {
        let p = Prediction(
            jobId: "j-1", userId: "u\"42", model: "recs", version: 3,
            items: [.init(contentId: "c9", score: 0.87), .init(contentId: "c1", score: -1.00004), .init(contentId: "c2", score: 12)],
            coldStart: true, eventTime: 0, eventTimeText: "2026-11-26T08:00:00.000Z", predictedAt: 1_000, context: [("sleep", 0.005)])
        var line: [UInt8] = []
        p.line(into: &line)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text == #"{"jobId":"j-1","userId":"u\"42","model":"recs","version":3,"items":[{"contentId":"c9","score":0.87},{"contentId":"c1","score":-1},{"contentId":"c2","score":12}],"coldStart":true,"context":{"p_sleep":0.005},"eventTime":"2026-11-26T08:00:00.000Z","predictedAt":"1970-01-01T00:00:01.000Z"}"# + "\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        #expect(parsed?["version"] as? Int == 3)
    }

    @Test func jobsParseWithDefaultsAndRefuseWhatIsMissing() {
        var scanner = JSONScanner()
        func parse(_ s: String) -> Result<PredictionJob, PredictionJob.Malformed> {
            Array(s.utf8).withUnsafeBytes { PredictionJob.parse($0, scanner: &scanner) }
        }
        guard case .success(let job) = parse(#"{"jobId":"j","userId":"u","eventTime":"2026-11-26T08:00:00Z","extra":[1]}"#) else {
            Issue.record("not parsed")
            return
        }
        #expect(job.attempt == 1 && job.eventTime == 1_795_680_000_000 && job.trigger == nil)
        if case .failure(let e) = parse(#"{"jobId":"j","userId":"u","eventTime":"x"}"#) {
            #expect(e.reason == "eventTime is not an RFC 3339 time")
        } else { Issue.record("bad eventTime accepted") }
        if case .failure(let e) = parse(#"{"jobId":"j","userId":"u","eventTime":"2026-11-26T08:00:00Z","attempt":0}"#) {
            #expect(e.reason == "attempt is not a positive integer")
        } else { Issue.record("attempt 0 accepted") }
        if case .failure(let e) = parse(#"{"jobId":"j","eventTime":"2026-11-26T08:00:00Z","attempt":4}"#) {
            #expect(e.reason == "no userId" && e.attempt == 4)
        } else { Issue.record("no userId accepted") }
        if case .failure(let e) = parse("[1]") { #expect(e.reason == "not a JSON object") } else { Issue.record("array accepted") }
    }
}
