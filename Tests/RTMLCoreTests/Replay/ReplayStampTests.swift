import Foundation
import Testing
@testable import RTMLCore

@Suite struct ReplayStampTests {
    func stamped(_ line: String, seq: Int, micros: Int64) -> String {
        var out: [UInt8] = []
        Array(line.utf8).withUnsafeBytes { ReplayStamp.stamp($0, seq: seq, micros: micros, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func stampAddsTwoMembersAtTheEndOfTheObject() throws {
        let micros: Int64 = 1_795_737_600_123_456  // 2026-11-27T00:00:00.123456Z
        let line = stamped(#"{"event":"search","userId":"u1"}  "#, seq: 42, micros: micros)
        #expect(line == #"{"event":"search","userId":"u1","replaySeq":42,"replayedAt":"2026-11-27T00:00:00.123456Z"}"#)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(object["replaySeq"] as? Int == 42)
        #expect(stamped("{}", seq: 1, micros: micros) == #"{"replaySeq":1,"replayedAt":"2026-11-27T00:00:00.123456Z"}"#)
    }

    @Test func aLineThatIsNotAnObjectGoesUnchanged() {
        #expect(stamped(#"{"event":"search""#, seq: 3, micros: 0) == #"{"event":"search""#)
        #expect(stamped("[1,2]", seq: 3, micros: 0) == "[1,2]")
        #expect(stamped("", seq: 3, micros: 0) == "")
    }

    @Test func microsecondTimesRoundTrip() {
        for micros: Int64 in [0, 999, 1_000_000, 1_795_737_600_000_001, 1_795_737_600_999_999] {
            let text = ReplayStamp.formatMicros(micros)
            #expect(text.count == 27)
            #expect(ReplayStamp.parseMicros(text) == micros, "\(text)")
        }
        #expect(ReplayStamp.parseMicros("2026-11-27T00:00:00.123Z") == 1_795_737_600_123_000)
        #expect(ReplayStamp.parseMicros("yesterday") == nil)
    }

    @Test func carryCopiesTheStampOntoAnotherLine() {
        let event = stamped(#"{"messageId":"m1","event":"search"}"#, seq: 7, micros: 1_795_737_600_000_250)
        var job = Array(#"{"jobId":"j-1""#.utf8)
        Array(event.utf8).withUnsafeBytes { ReplayStamp.carry(from: $0, to: &job) }
        job.append(UInt8(ascii: "}"))
        let text = String(decoding: job, as: UTF8.self)
        #expect(text == #"{"jobId":"j-1","replaySeq":7,"replayedAt":"2026-11-27T00:00:00.000250Z"}"#)
        let read = job.withUnsafeBytes { ReplayStamp.read($0) }
        #expect(read?.seq == 7)
        #expect(read?.micros == 1_795_737_600_000_250)
    }

    @Test func noStampNoCarryAndEscapedLookalikesAreIgnored() {
        var out: [UInt8] = []
        Array(#"{"jobId":"j-1"}"#.utf8).withUnsafeBytes { ReplayStamp.carry(from: $0, to: &out) }
        #expect(out.isEmpty)
        // A search query that contains the member's text, escaped inside a string.
        let tricky = #"{"query":"\"replaySeq\":9"}"#
        Array(tricky.utf8).withUnsafeBytes { ReplayStamp.carry(from: $0, to: &out) }
        #expect(out.isEmpty)
        #expect(Array(tricky.utf8).withUnsafeBytes { ReplayStamp.read($0) } == nil)
    }

    @Test func aJobCarriesItsStampToThePredictionLine() throws {
        let jobLine = #"{"jobId":"j-1","userId":"u1","eventTime":"2026-11-27T00:00:00.000Z","attempt":1,"replaySeq":5,"replayedAt":"2026-11-27T00:00:01.000002Z"}"#
        var scanner = JSONScanner()
        let job = try Array(jobLine.utf8).withUnsafeBytes { try PredictionJob.parse($0, scanner: &scanner).get() }
        #expect(job.replayStamp != nil)
        let p = Prediction(jobId: job.jobId, userId: job.userId, model: "recs", version: 1, items: [.init(contentId: "c1", score: 1)],
                           coldStart: false, eventTime: job.eventTime, eventTimeText: job.eventTimeText, predictedAt: 0,
                           context: nil, replayStamp: job.replayStamp)
        var out: [UInt8] = []
        p.line(into: &out)
        let object = try JSONSerialization.jsonObject(with: Data(out)) as! [String: Any]
        #expect(object["replaySeq"] as? Int == 5)
        #expect(object["replayedAt"] as? String == "2026-11-27T00:00:01.000002Z")
    }
}

@Suite struct ReplayQualityTests {
    @Test func onlyLaterStartsCount() {
        let q = ReplayQuality(starts: [("u1", 100, "c1"), ("u1", 200, "c2"), ("u2", 50, "c9")])
        #expect(q.nextStart(user: "u1", after: 99) == "c1")
        #expect(q.nextStart(user: "u1", after: 100) == "c2")  // a start at the job's own time is not "next"
        #expect(q.nextStart(user: "u1", after: 200) == nil)
        #expect(q.nextStart(user: "u3", after: 0) == nil)
    }

    @Test func recallIsTheHitRateAndNDCGDiscountsTheRank() {
        let q = ReplayQuality(starts: [("u1", 100, "c1"), ("u2", 100, "c2"), ("u3", 100, "c3")])
        let row = q.evaluate(name: "x", k: 3, [
            ("u1", 0, ["c1", "c5", "c6"]),   // hit at rank 1: NDCG 1
            ("u2", 0, ["c5", "c6", "c2"]),   // hit at rank 3: NDCG 1/log2(4) = 0.5
            ("u3", 0, ["c5", "c6", "c7"]),   // miss
            ("u4", 0, ["c1"]),               // starts nothing later: not judged
        ])
        #expect(row.metrics.users == 3)
        #expect(abs(row.metrics.recall - 2.0 / 3) < 1e-12)
        #expect(abs(row.metrics.ndcg - 1.5 / 3) < 1e-12)
    }
}

@Suite struct ReplayReportTests {
    @Test func backlogIsEmittedMinusTheLastEventThroughAndTheHTMLHasItsCharts() {
        let measure = ReplayMeasure(collectServed: false, originMicros: 0)
        // Predictions for events 2 and 5 read at 0.05 s and 0.25 s.
        let lines = [(2, 40_000, 50_000), (5, 200_000, 250_000)]
        for (seq, emitted, read) in lines {
            let text = #"{"jobId":"j","userId":"u","items":[],"replaySeq":\#(seq),"replayedAt":"\#(ReplayStamp.formatMicros(Int64(emitted)))"}"#
            Array(text.utf8).withUnsafeBytes { measure.accept($0, nowMicros: Int64(read)) }
        }
        var pace = PaceStats()
        pace.emittedPerTenth = [3, 0, 3]
        pace.speed = 60
        var result = ReplayResult(input: "day", pace: pace, ingest: IngestStats(), featurize: FeaturizeStats(),
                                  serve: ServeLoop.Stats(), measure: measure)
        result.elapsedSeconds = 0.3
        let report = ReplayReport(result: result, sloMicros: 5_000)
        #expect(report.bucketSeconds == 0.1)
        #expect(report.buckets.map(\.emitted) == [3, 0, 3])
        #expect(report.buckets.map(\.predictions) == [1, 0, 1])
        #expect(report.buckets.map(\.backlog) == [1, 1, 1])
        #expect(report.buckets[0].p99Micros == 10_000)
        #expect(report.latency.count == 2)
        #expect(!report.sloMet)  // p99 is 50 ms
        let html = report.html
        for id in ["latency-over-time", "latency-percentiles", "latency-histogram", "throughput"] {
            #expect(html.contains("<svg id=\"\(id)\""), "\(id)")
        }
        #expect(!html.contains("http://") || !html.contains("<script"))
        #expect(!html.contains("<script"))
    }
}
