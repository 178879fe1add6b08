@testable import RTMLCore
import Testing

@Suite struct ServeBatchQueueTests {
    @Test func takeAllReturnsEveryQueuedBatchInOrderThenNilOnceClosed() {
        let queue = ServeBatchQueue()
        let batches = (0..<3).map { _ in ServeBatch() }
        for b in batches { queue.put(b) }
        let taken = queue.takeAll()
        #expect(taken?.count == 3)
        #expect(zip(taken ?? [], batches).allSatisfy { $0 === $1 })
        queue.put(batches[1])
        #expect(queue.take() === batches[1])
        queue.put(batches[2])
        queue.close()
        #expect(queue.takeAll()?.first === batches[2])
        #expect(queue.takeAll() == nil)
    }

    @Test func takeAllIsNilOnceCancelledEvenWithBatchesQueued() {
        let queue = ServeBatchQueue()
        queue.put(ServeBatch())
        queue.cancel()
        #expect(queue.takeAll() == nil)
    }
}
