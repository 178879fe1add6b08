/// One served prediction (DESIGN.md "Predictions").
public struct Prediction: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var contentId: String
        public var score: Float

        public init(contentId: String, score: Float) {
            self.contentId = contentId
            self.score = score
        }
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

    public init(
        jobId: String, userId: String, model: String, version: Int?, items: [Item], coldStart: Bool,
        eventTime: Int64, eventTimeText: String, predictedAt: Int64, context: [(String, Double)]? = nil,
        replayStamp: [UInt8]? = nil
    ) {
        self.jobId = jobId
        self.userId = userId
        self.model = model
        self.version = version
        self.items = items
        self.coldStart = coldStart
        self.eventTime = eventTime
        self.eventTimeText = eventTimeText
        self.predictedAt = predictedAt
        self.context = context
        self.replayStamp = replayStamp
    }

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
        if let version { Self.appendDigits(UInt64(max(version, 0)), to: &out) } else { out.append(contentsOf: "null".utf8) }
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

    /// Scores with 4 decimals: enough to rank by, short to read. Digits are
    /// written directly: this runs ten times per prediction.
    static func appendScore(_ v: Float, to out: inout [UInt8]) {
        guard v.isFinite, abs(v) < 1e12 else { out.append(UInt8(ascii: "0")); return }
        let scaled = Int64((Double(v) * 10_000).rounded())
        if scaled < 0 { out.append(UInt8(ascii: "-")) }
        var n = scaled.magnitude
        let whole = n / 10_000
        n %= 10_000
        appendDigits(whole, to: &out)
        if n != 0 {
            out.append(UInt8(ascii: "."))
            var divisor: UInt64 = 1000
            while n != 0 {
                out.append(UInt8(ascii: "0") + UInt8(n / divisor))
                n %= divisor
                divisor /= 10
            }
        }
    }

    static func appendDigits(_ value: UInt64, to out: inout [UInt8]) {
        if value >= 10 { appendDigits(value / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
