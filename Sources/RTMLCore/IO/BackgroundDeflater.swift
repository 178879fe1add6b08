import Foundation

/// Runs a `GzipDeflater` on its own thread, fed full buffers through a
/// `ChunkPipe`, so compressing output overlaps producing it.
///
/// Errors on the compressing side (a closed pipe, a full disk) are kept and
/// thrown to the producer at its next hand-over or at `finish`; buffers keep
/// being recycled meanwhile, so the producer never blocks on a dead consumer.
final class BackgroundDeflater: @unchecked Sendable {
    private let pipe: ChunkPipe
    private let deflater: GzipDeflater
    private let write: (UnsafeRawBufferPointer) throws -> Void
    private let lock = NSLock()
    private var failure: Error?
    private let done = DispatchSemaphore(value: 0)

    static let bufferSize = 1 << 20

    init(deflater: GzipDeflater, write: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.deflater = deflater
        self.write = write
        pipe = ChunkPipe(buffers: 3, bufferSize: Self.bufferSize)
        let thread = Thread { [self] in run() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// An empty buffer to fill.
    func takeBuffer() throws -> UnsafeMutableRawBufferPointer {
        try check()
        return pipe.takeFree()!
    }

    /// Hands over `count` bytes of a buffer from `takeBuffer`.
    func submit(_ buffer: UnsafeMutableRawBufferPointer, count: Int) throws {
        try check()
        pipe.put(.data(.init(buffer: buffer, count: count)))
    }

    func syncFlush() throws {
        try check()
        pipe.put(.flush)
    }

    /// Ends the member and waits until everything is written.
    func finish() throws {
        pipe.put(.end)
        done.wait()
        try check()
    }

    private func check() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    private func record(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    private var failed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    private func run() {
        while true {
            let item = pipe.takeFilled()!
            do {
                switch item {
                case .data(let chunk):
                    if !failed {
                        try deflater.deflate(UnsafeRawBufferPointer(start: chunk.buffer.baseAddress, count: chunk.count), mode: .none, emit: write)
                    }
                    pipe.recycle(chunk.buffer)
                case .flush:
                    if !failed { try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), mode: .sync, emit: write) }
                case .end:
                    if !failed { try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), mode: .finish, emit: write) }
                    done.signal()
                    return
                case .failure:
                    break
                }
            } catch {
                record(error)
                if case .data(let chunk) = item { pipe.recycle(chunk.buffer) }
                if case .end = item {
                    done.signal()
                    return
                }
            }
        }
    }
}
