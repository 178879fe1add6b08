/// One served prediction (DESIGN.md "Predictions").
public struct Prediction: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var contentId: String
        public var score: Float
    }

    public var jobId: String
    public var userId: String
    public var model: String
    public var version: Int?
    public var items: [Item]
    public var coldStart: Bool
    public var eventTime: Int64
    public var eventTimeText: String
    public var predictedAt: Int64
    /// The rerank model's category probabilities, when one was used.
    public var context: [(String, Double)]?
    /// The job's replay stamp members, copied onto the push line (docs/replay.md).
    public var replayStamp: [UInt8]? = nil

    public static func == (a: Prediction, b: Prediction) -> Bool {
        a.jobId == b.jobId && a.userId == b.userId && a.items == b.items && a.coldStart == b.coldStart
            && a.model == b.model && a.version == b.version && a.eventTime == b.eventTime
    }

    /// The items as JSON: `[{"contentId":"c9","score":0.87}]`.
    public func itemsJSON(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (n, item) in items.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"contentId":"#.utf8)
            JSONString.appendQuoted(item.contentId, to: &out)
            out.append(contentsOf: #","score":"#.utf8)
            Self.appendScore(item.score, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The push line (NDJSON, with its newline).
    public func line(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"jobId":"#.utf8)
        JSONString.appendQuoted(jobId, to: &out)
        out.append(contentsOf: #","userId":"#.utf8)
        JSONString.appendQuoted(userId, to: &out)
        out.append(contentsOf: #","model":"#.utf8)
        JSONString.appendQuoted(model, to: &out)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: (version.map(String.init) ?? "null").utf8)
        out.append(contentsOf: #","items":"#.utf8)
        itemsJSON(into: &out)
        if coldStart { out.append(contentsOf: #","coldStart":true"#.utf8) }
        if let context {
            out.append(contentsOf: #","context":{"#.utf8)
            for (n, (name, p)) in context.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.appendQuoted("p_" + name, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.appendScore(Float(p), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","eventTime":"#.utf8)
        JSONString.appendQuoted(eventTimeText, to: &out)
        out.append(contentsOf: #","predictedAt":""#.utf8)
        out.append(contentsOf: EventTime.formatRFC3339(predictedAt).utf8)
        out.append(UInt8(ascii: "\""))
        if let replayStamp { out.append(contentsOf: replayStamp) }
        out.append(contentsOf: "}\n".utf8)
    }

    /// Scores with 4 decimals: enough to rank by, short to read.
    static func appendScore(_ v: Float, to out: inout [UInt8]) {
        guard v.isFinite else { out.append(contentsOf: "0".utf8); return }
        let scaled = (Double(v) * 10_000).rounded()
        let negative = scaled < 0
        var n = Int64(abs(scaled))
        if negative { out.append(UInt8(ascii: "-")) }
        let whole = n / 10_000
        n %= 10_000
        out.append(contentsOf: String(whole).utf8)
        if n != 0 {
            out.append(UInt8(ascii: "."))
            var digits = String(n)
            digits = String(repeating: "0", count: 4 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            out.append(contentsOf: digits.utf8)
        }
    }
}
