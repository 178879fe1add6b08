/// One micro-batch's results in flat, reused arrays: what the sinks format
/// from. Serving used to make a `Prediction` per job (an array of items
/// with a String each, an array of named probabilities); at 100,000 jobs a
/// second those allocations and their reference counting cost more than
/// the scoring.
final class ServedBatch {
    /// Set when the whole batch failed (its store could not be read): the reason.
    var failure: String?
    /// Items kept per job at most (k) and rerank classes per job.
    private(set) var k = 0
    private(set) var classCount = 0
    private(set) var count = 0
    var coldStart: [Bool] = []
    /// Items of job j: `item[j * k ..< j * k + itemCount[j]]`, best first.
    var itemCount: [Int32] = []
    var item: [Int32] = []
    var score: [Float] = []
    /// The rerank's probabilities of job j: `context[j * classCount ..< (j + 1) * classCount]`.
    var context: [Double] = []
    var predictedAt: [Int64] = []

    /// Makes room for `jobs` results, keeping the storage of earlier batches.
    func reset(jobs: Int, k: Int, classCount: Int) {
        failure = nil
        count = jobs
        self.k = k
        self.classCount = classCount
        func size<T>(_ a: inout [T], _ n: Int, _ zero: T) {
            if a.count < n { a.append(contentsOf: repeatElement(zero, count: n - a.count)) }
        }
        size(&coldStart, jobs, false)
        size(&itemCount, jobs, 0)
        size(&item, jobs * k, 0)
        size(&score, jobs * k, 0)
        size(&context, jobs * classCount, 0)
        size(&predictedAt, jobs, 0)
    }

    /// Job j's result as a `Prediction` (for callers that want values, not lines).
    func prediction(_ j: Int, job: PredictionJob, scorer: ALSScorer, classes: [String]?) -> Prediction {
        let n = Int(itemCount[j])
        let items = (0..<n).map { Prediction.Item(contentId: scorer.itemIds[Int(item[j * k + $0])]!, score: score[j * k + $0]) }
        let context = classes.map { names in names.indices.map { (names[$0], self.context[j * classCount + $0]) } }
        return Prediction(
            jobId: job.jobId, userId: job.userId, model: scorer.name, version: scorer.version, items: items,
            coldStart: coldStart[j], eventTime: job.eventTime, eventTimeText: job.eventTimeText,
            predictedAt: predictedAt[j], context: context, replayStamp: job.replayStamp)
    }
}
