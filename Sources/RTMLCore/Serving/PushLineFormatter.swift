/// Writes push lines straight from a `ServedBatch`, byte for byte what
/// `Prediction.line(into:)` writes (a test holds them equal). What is the
/// same on every line of a model (its name and version, each item's
/// `{"contentId":...,"score":` and each probability's key) is quoted once
/// here instead of on every line.
struct PushLineFormatter {
    /// `,"model":"recs","version":3,"items":[`
    private let modelPart: [UInt8]
    /// `{"contentId":"c9","score":` by item index (empty for an unnamed item, never served).
    private let itemHead: [[UInt8]]
    /// `"p_sleep":` by rerank class.
    private let contextKey: [[UInt8]]
    private let hasContext: Bool
    /// The last `predictedAt` formatted: consecutive jobs mostly share the millisecond.
    private var predictedAtMillis: Int64 = .min
    private var predictedAtText = [UInt8](repeating: 0, count: EventTime.canonicalLength)

    init(scorer: ALSScorer, classes: [String]?) {
        var model: [UInt8] = Array(#","model":"#.utf8)
        JSONString.appendQuoted(scorer.name, to: &model)
        model.append(contentsOf: #","version":"#.utf8)
        if let version = scorer.version {
            Prediction.appendDigits(UInt64(max(version, 0)), to: &model)
        } else {
            model.append(contentsOf: "null".utf8)
        }
        model.append(contentsOf: #","items":["#.utf8)
        modelPart = model
        itemHead = scorer.itemIds.map { id in
            guard let id else { return [] }
            var head: [UInt8] = Array(#"{"contentId":"#.utf8)
            JSONString.appendQuoted(id, to: &head)
            head.append(contentsOf: #","score":"#.utf8)
            return head
        }
        hasContext = classes != nil
        contextKey = (classes ?? []).map { name in
            var key: [UInt8] = []
            JSONString.appendQuoted("p_" + name, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
    }

    /// Appends job `j`'s line (with its newline).
    mutating func line(_ j: Int, job: PredictionJob, batch: ServedBatch, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"jobId":"#.utf8)
        JSONString.appendQuoted(job.jobId, to: &out)
        out.append(contentsOf: #","userId":"#.utf8)
        JSONString.appendQuoted(job.userId, to: &out)
        out.append(contentsOf: modelPart)
        let first = j * batch.k
        for n in 0..<Int(batch.itemCount[j]) {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: itemHead[Int(batch.item[first + n])])
            Prediction.appendScore(batch.score[first + n], to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if batch.coldStart[j] { out.append(contentsOf: #","coldStart":true"#.utf8) }
        if hasContext {
            out.append(contentsOf: #","context":{"#.utf8)
            let firstClass = j * batch.classCount
            for c in contextKey.indices {
                if c > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: contextKey[c])
                Prediction.appendScore(Float(batch.context[firstClass + c]), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","eventTime":"#.utf8)
        JSONString.appendQuoted(job.eventTimeText, to: &out)
        out.append(contentsOf: #","predictedAt":""#.utf8)
        let at = batch.predictedAt[j]
        if at != predictedAtMillis {
            predictedAtMillis = at
            predictedAtText.withUnsafeMutableBytes { EventTime.formatRFC3339(at, into: $0.baseAddress!) }
        }
        out.append(contentsOf: predictedAtText)
        out.append(UInt8(ascii: "\""))
        if let stamp = job.replayStamp { out.append(contentsOf: stamp) }
        out.append(contentsOf: "}\n".utf8)
    }
}
