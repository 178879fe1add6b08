import Foundation

/// A fixed pool of byte buffers passed from one producer thread to one consumer.
///
/// Inflating gzip costs about as much as scanning the JSON it holds, so the
/// reader inflates on a second thread and hands over filled buffers here (and
/// a gzip writer hands its buffers to a deflating thread the same way). The
/// pool is small and fixed, so memory stays constant whatever the data size.
final class ChunkPipe: @unchecked Sendable {
    struct Chunk {
        var buffer: UnsafeMutableRawBufferPointer
        var count: Int
    }

    enum Item {
        case data(Chunk)
        /// Writer side only: make everything so far readable (gzip sync flush).
        case flush
        case end
        case failure(Error)
    }

    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer] = []
    private var filled: [Item] = []
    private var filledHead = 0
    private var cancelled = false
    private let all: [UnsafeMutableRawBufferPointer]

    init(buffers: Int, bufferSize: Int) {
        var made: [UnsafeMutableRawBufferPointer] = []
        for _ in 0..<buffers {
            made.append(UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64))
        }
        all = made
        free = made
    }

    deinit {
        for buffer in all { buffer.deallocate() }
    }

    /// Producer: waits for an empty buffer; nil once the consumer has gone.
    func takeFree() -> UnsafeMutableRawBufferPointer? {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && !cancelled { condition.wait() }
        if cancelled { return nil }
        return free.removeLast()
    }

    /// Producer: hands over a filled buffer, the end, or a failure.
    func put(_ item: Item) {
        condition.lock()
        filled.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Consumer: waits for the next item; nil when `timeout` seconds pass first.
    func takeFilled(timeout: Double? = nil) -> Item? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        while filledHead == filled.count {
            if let deadline {
                if !condition.wait(until: deadline) && filledHead == filled.count { return nil }
            } else {
                condition.wait()
            }
        }
        let item = filled[filledHead]
        filledHead += 1
        if filledHead == filled.count {
            filled.removeAll(keepingCapacity: true)
            filledHead = 0
        }
        return item
    }

    /// Consumer: gives a buffer back once its bytes have been used.
    func recycle(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.signal()
        condition.unlock()
    }

    /// Consumer: stops the producer (early exit, error downstream).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
