/// Writes push lines straight from a `ServedBatch`, byte for byte what
/// `Prediction.line(into:)` writes (a test holds them equal). What is the
/// same on every line of a model (its name and version, each item's
/// `{"contentId":...,"score":` and each probability's key) is quoted once
/// here instead of on every line.
struct PushLineFormatter {
    /// Every fixed piece, one after the other, so that appending one is a
    /// copy from this buffer (an array per piece cost a retain and a
    /// release each time one was appended):
    /// `,"model":"recs","version":3,"items":[`, then by item index
    /// `{"contentId":"c9","score":` (nothing for an unnamed item, never
    /// served), then by rerank class `"p_sleep":`.
    private let fragments: [UInt8]
    /// Where each piece is in `fragments`: `start[n] ..< start[n + 1]`;
    /// piece 0 is the model part, 1 + i item i, 1 + items + c class c.
    private let start: [Int]
    private let itemCount: Int
    private let classCount: Int
    private let hasContext: Bool
    /// The last `predictedAt` formatted: consecutive jobs mostly share the millisecond.
    private var predictedAtMillis: Int64 = .min
    private var predictedAtText = [UInt8](repeating: 0, count: EventTime.canonicalLength)

    init(scorer: ALSScorer, classes: [String]?) {
        var bytes: [UInt8] = Array(#","model":"#.utf8)
        JSONString.appendQuoted(scorer.name, to: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        if let version = scorer.version {
            Prediction.appendDigits(UInt64(max(version, 0)), to: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        bytes.append(contentsOf: #","items":["#.utf8)
        var start = [0, bytes.count]
        for id in scorer.itemIds {
            if let id {
                bytes.append(contentsOf: #"{"contentId":"#.utf8)
                JSONString.appendQuoted(id, to: &bytes)
                bytes.append(contentsOf: #","score":"#.utf8)
            }
            start.append(bytes.count)
        }
        for name in classes ?? [] {
            JSONString.appendQuoted("p_" + name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            start.append(bytes.count)
        }
        fragments = bytes
        self.start = start
        itemCount = scorer.itemIds.count
        classCount = classes?.count ?? 0
        hasContext = classes != nil
    }

    /// The fixed pieces as raw memory for one batch's lines.
    private struct Pieces {
        let bytes: UnsafeBufferPointer<UInt8>
        let start: UnsafeBufferPointer<Int>
        let itemCount: Int

        @inline(__always) func append(_ n: Int, to out: inout [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start[n] ..< start[n + 1]]))
        }
        @inline(__always) func appendModel(to out: inout [UInt8]) { append(0, to: &out) }
        @inline(__always) func appendItem(_ i: Int, to out: inout [UInt8]) { append(1 + i, to: &out) }
        @inline(__always) func appendClass(_ c: Int, to out: inout [UInt8]) { append(1 + itemCount + c, to: &out) }
    }

    private func withPieces<R>(_ body: (Pieces) -> R) -> R {
        fragments.withUnsafeBufferPointer { bytes in
            start.withUnsafeBufferPointer { start in body(Pieces(bytes: bytes, start: start, itemCount: itemCount)) }
        }
    }

    /// The batch's storage, read into locals once per batch (each read of
    /// a class's stored property is a dynamic exclusivity check).
    private struct Results {
        let k: Int
        let classCount: Int
        let coldStart: UnsafeMutablePointer<Bool>
        let itemCount: UnsafeMutablePointer<Int32>
        let item: UnsafeMutablePointer<Int32>
        let score: UnsafeMutablePointer<Float>
        let context: UnsafeMutablePointer<Double>
        let predictedAt: UnsafeMutablePointer<Int64>

        init(_ b: ServedBatch) {
            k = b.k
            classCount = b.classCount
            coldStart = b.coldStart
            itemCount = b.itemCount
            item = b.item
            score = b.score
            context = b.context
            predictedAt = b.predictedAt
        }
    }

    /// Appends the line of every job of the batch (each with its newline).
    mutating func lines(_ jobs: [PredictionJob], batch: ServedBatch, into out: inout [UInt8]) {
        let results = Results(batch)
        var at = (millis: predictedAtMillis, text: predictedAtText)
        withPieces { pieces in
            jobs.withUnsafeBufferPointer { jobs in
                for j in jobs.indices {
                    Self.line(j, job: jobs[j], results, pieces, hasContext: hasContext, classCount: classCount, at: &at, into: &out)
                }
            }
        }
        (predictedAtMillis, predictedAtText) = at
    }

    /// Appends job `j`'s line (with its newline).
    mutating func line(_ j: Int, job: PredictionJob, batch: ServedBatch, into out: inout [UInt8]) {
        lines([job], batch: batch, from: j, into: &out)
    }

    private mutating func lines(_ jobs: [PredictionJob], batch: ServedBatch, from j: Int, into out: inout [UInt8]) {
        let results = Results(batch)
        var at = (millis: predictedAtMillis, text: predictedAtText)
        withPieces { pieces in
            Self.line(j, job: jobs[0], results, pieces, hasContext: hasContext, classCount: classCount, at: &at, into: &out)
        }
        (predictedAtMillis, predictedAtText) = at
    }

    private static func line(
        _ j: Int, job: PredictionJob, _ batch: Results, _ pieces: Pieces, hasContext: Bool, classCount: Int,
        at predicted: inout (millis: Int64, text: [UInt8]), into out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"jobId":"#.utf8)
        JSONString.appendQuoted(job.jobId, to: &out)
        out.append(contentsOf: #","userId":"#.utf8)
        JSONString.appendQuoted(job.userId, to: &out)
        pieces.appendModel(to: &out)
        let first = j * batch.k
        for n in 0..<Int(batch.itemCount[j]) {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            pieces.appendItem(Int(batch.item[first + n]), to: &out)
            Prediction.appendScore(batch.score[first + n], to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if batch.coldStart[j] { out.append(contentsOf: #","coldStart":true"#.utf8) }
        if hasContext {
            out.append(contentsOf: #","context":{"#.utf8)
            let firstClass = j * batch.classCount
            for c in 0..<classCount {
                if c > 0 { out.append(UInt8(ascii: ",")) }
                pieces.appendClass(c, to: &out)
                Prediction.appendScore(Float(batch.context[firstClass + c]), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","eventTime":"#.utf8)
        JSONString.appendQuoted(job.eventTimeText, to: &out)
        out.append(contentsOf: #","predictedAt":""#.utf8)
        let at = batch.predictedAt[j]
        if at != predicted.millis {
            predicted.millis = at
            predicted.text.withUnsafeMutableBytes { EventTime.formatRFC3339(at, into: $0.baseAddress!) }
        }
        out.append(contentsOf: predicted.text)
        out.append(UInt8(ascii: "\""))
        if let stamp = job.replayStamp { out.append(contentsOf: stamp) }
        out.append(contentsOf: "}\n".utf8)
    }
}
