/// One micro-batch's results in flat, reused storage: what the sinks format
/// from. Serving used to make a `Prediction` per job (an array of items
/// with a String each, an array of named probabilities); at 100,000 jobs a
/// second those allocations and their reference counting cost more than
/// the scoring.
///
/// The storage is raw memory rather than arrays: the serving loop writes a
/// few values per job, and each write to an array held by a class pays a
/// dynamic exclusivity check that costs more than the write. Users take
/// the pointers into locals once per job or batch. They stay valid until
/// the next `reset`.
final class ServedBatch {
    /// Set when the whole batch failed (its store could not be read): the reason.
    var failure: String?
    /// Items kept per job at most (k) and rerank classes per job.
    private(set) var k = 0
    private(set) var classCount = 0
    private(set) var count = 0
    private(set) var coldStart = ServedBatch.make(Bool.self, 0, false)
    /// Items of job j: `item[j * k ..< j * k + itemCount[j]]`, best first.
    private(set) var itemCount = ServedBatch.make(Int32.self, 0, 0)
    private(set) var item = ServedBatch.make(Int32.self, 0, 0)
    private(set) var score = ServedBatch.make(Float.self, 0, 0)
    /// The rerank's probabilities of job j: `context[j * classCount ..< (j + 1) * classCount]`.
    private(set) var context = ServedBatch.make(Double.self, 0, 0)
    private(set) var predictedAt = ServedBatch.make(Int64.self, 0, 0)
    private var jobCapacity = 0
    private var itemCapacity = 0
    private var contextCapacity = 0

    private static func make<T>(_: T.Type, _ n: Int, _ zero: T) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
        p.initialize(repeating: zero, count: max(n, 1))
        return p
    }

    deinit {
        coldStart.deallocate()
        itemCount.deallocate()
        item.deallocate()
        score.deallocate()
        context.deallocate()
        predictedAt.deallocate()
    }

    /// Makes room for `jobs` results, keeping the storage of earlier batches when it is big enough.
    func reset(jobs: Int, k: Int, classCount: Int) {
        failure = nil
        count = jobs
        self.k = k
        self.classCount = classCount
        if jobs > jobCapacity {
            jobCapacity = jobs
            coldStart.deallocate()
            itemCount.deallocate()
            predictedAt.deallocate()
            coldStart = ServedBatch.make(Bool.self, jobs, false)
            itemCount = ServedBatch.make(Int32.self, jobs, 0)
            predictedAt = ServedBatch.make(Int64.self, jobs, 0)
        }
        if jobs * k > itemCapacity {
            itemCapacity = jobs * k
            item.deallocate()
            score.deallocate()
            item = ServedBatch.make(Int32.self, itemCapacity, 0)
            score = ServedBatch.make(Float.self, itemCapacity, 0)
        }
        if jobs * classCount > contextCapacity {
            contextCapacity = jobs * classCount
            context.deallocate()
            context = ServedBatch.make(Double.self, contextCapacity, 0)
        }
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
