import Foundation

/// serve-once's serving and writing stages, each on a thread of its own,
/// fed batch by batch from the reading thread.
///
/// The machine rtml targets has two cores; serving (store reads, scoring,
/// top-k) is most of the work, and reading and parsing jobs plus formatting
/// and writing predictions the rest, so while one batch is being served the
/// previous one is written and the next one read. Batches pass through two
/// first-in first-out queues, so predictions leave in job order; a fixed pool
/// of batches bounds memory and makes the reader wait when serving falls behind.
final class ServePipeline: @unchecked Sendable {
    private let free = ServeBatchQueue()
    private let toServe = ServeBatchQueue()
    private let toWrite = ServeBatchQueue()
    private let done = DispatchGroup()
    private let lock = NSLock()
    private var failure: Error?

    /// `batches` batches circulate besides the one the reader holds. The
    /// writing stage takes every batch served by the time it is free
    /// (in order), so a slow sink writes several in one go.
    init(batches: Int, serve: @escaping (ServeBatch) -> Void, write: @escaping ([ServeBatch]) throws -> Void) {
        for _ in 0..<max(batches, 1) { free.put(ServeBatch()) }
        start("serve-once serve") { [toServe, toWrite] in
            while let batch = toServe.take() {
                serve(batch)
                toWrite.put(batch)
            }
            toWrite.close()
        }
        start("serve-once write") { [self] in
            while let batches = toWrite.takeAll() {
                do {
                    try write(batches)
                } catch {
                    // A sink failed (a closed stdout, a full disk): stop every stage; the reader rethrows it.
                    lock.lock()
                    failure = error
                    lock.unlock()
                    toServe.cancel()
                    toWrite.cancel()
                    free.cancel()
                    return
                }
                for batch in batches {
                    batch.clear()
                    free.put(batch)
                }
            }
        }
    }

    private func start(_ name: String, _ body: @escaping () -> Void) {
        done.enter()
        let thread = Thread { [done] in
            body()
            done.leave()
        }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    private var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Hands a filled batch on to be served and written; returns an empty one
    /// to fill next (waiting while all are in flight). Throws what stopped the
    /// writing stage, if it stopped.
    func submit(_ batch: ServeBatch) throws -> ServeBatch {
        toServe.put(batch)
        guard let next = free.take() else { throw error ?? RTMLError("serve-once: the writing stage stopped") }
        return next
    }

    /// Lets the stages finish every batch submitted, waits for them, and
    /// throws what stopped the writing stage, if anything did.
    func finish() throws {
        toServe.close()
        done.wait()
        if let error { throw error }
    }
}
