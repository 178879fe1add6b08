import Foundation

/// One micro-batch of serve-once on its way from reading to the sinks:
/// the jobs read, the lines that were not jobs, and (once served) the results.
final class ServeBatch {
    var jobs: [PredictionJob] = []
    /// When each job's line was read (monotonic ns), for the read-to-written latency.
    var starts: [UInt64] = []
    /// Lines that were not jobs, dead-lettered when the batch reaches the sinks.
    var malformed: [(raw: [UInt8], attempt: Int, reason: String)] = []
    let results = ServedBatch()

    var isEmpty: Bool { jobs.isEmpty && malformed.isEmpty }

    func clear() {
        jobs.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        malformed.removeAll(keepingCapacity: true)
    }
}

/// A blocking first-in first-out hand-over of batches between two threads.
/// `close()` ends it after what was put (the taker gets nil once drained);
/// `cancel()` ends it now (takers and waiters get nil at once).
final class ServeBatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [ServeBatch] = []
    private var head = 0
    private var closed = false
    private var cancelled = false

    func put(_ batch: ServeBatch) {
        condition.lock()
        items.append(batch)
        condition.signal()
        condition.unlock()
    }

    /// The next batch; nil when closed and drained, or cancelled.
    func take() -> ServeBatch? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed && !cancelled { condition.wait() }
        if cancelled || head == items.count { return nil }
        let batch = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return batch
    }

    /// Every batch queued now, waiting for the first; nil when closed and drained, or cancelled.
    func takeAll() -> [ServeBatch]? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed && !cancelled { condition.wait() }
        if cancelled || head == items.count { return nil }
        let batches = Array(items[head...])
        items.removeAll(keepingCapacity: true)
        head = 0
        return batches
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
