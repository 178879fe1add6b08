import Foundation

/// One line of input, valid only for the duration of the callback that receives it.
public struct InputLine {
    /// The line's bytes without its `\n` (and without a `\r` before it).
    /// For an oversize line, only its first `maxLineBytes` bytes.
    public var bytes: UnsafeRawBufferPointer
    /// 1-based line number within its source.
    public var number: Int
    /// Byte offset of the line's first byte in the (decompressed) source.
    public var offset: Int
    /// The line's full length in bytes, which exceeds `bytes.count` when oversize.
    public var length: Int
    /// True when the line was longer than `maxLineBytes`; it must be rejected.
    public var isOversize: Bool { length > bytes.count }
}

/// Streams the lines of one input in constant memory.
///
/// Bytes arrive in fixed buffers from a `ByteProducer` on a second thread;
/// lines are handed out as views into those buffers, so a line is copied only
/// when it straddles two buffers. A line longer than `maxLineBytes` is cut to
/// that prefix and flagged, never buffered whole.
public final class LineReader {
    public let source: InputSource
    public let maxLineBytes: Int
    /// Decompressed bytes consumed so far (for progress displays).
    public private(set) var bytesRead = 0
    /// Lines delivered so far.
    public private(set) var linesRead = 0
    /// Whether the input turned out to be gzip (known once reading has begun).
    public private(set) var wasGzip = false

    private let chunkSize: Int

    public init(source: InputSource, maxLineBytes: Int = 1 << 20, chunkSize: Int = 1 << 20) {
        self.source = source
        self.maxLineBytes = max(1, maxLineBytes)
        self.chunkSize = chunkSize
    }

    /// Calls `body` for every line. Throws after the last good line when the
    /// input is unreadable or its gzip stream is damaged; errors thrown by
    /// `body` stop the read and propagate.
    public func forEachLine(_ body: (InputLine) throws -> Void) throws {
        try forEachLine(idleTimeout: nil, onIdle: {}, body)
    }

    /// `forEachLine`, calling `onIdle` whenever no input has arrived for
    /// `idleTimeout` seconds (a live pipe gone quiet), so a stage can commit
    /// what it holds without waiting for more lines.
    public func forEachLine(idleTimeout: Double?, onIdle: () throws -> Void, _ body: (InputLine) throws -> Void) throws {
        let pipe = ChunkPipe(buffers: 4, bufferSize: chunkSize)
        let producer = ByteProducer(source: source, pipe: pipe)
        producer.start()
        var finished = false
        defer {
            // Stopping early (the callback threw): release the producer. It
            // holds the pipe, so its buffers live until it has gone; waiting for
            // it could hang on a live stdin that never sends another byte.
            if !finished { pipe.cancel() }
            wasGzip = producer.isGzip
        }

        let carry = UnsafeMutableRawBufferPointer.allocate(byteCount: maxLineBytes, alignment: 16)
        defer { carry.deallocate() }
        var carryCount = 0          // bytes kept in `carry`
        var carryLength = 0         // full length of the partial line, kept or not
        var carryLastByte: UInt8 = 0  // last byte of the partial line, kept or not
        var lineStartOffset = 0
        var offset = 0              // offset of the current chunk's first byte

        // `endsWithCR` looks at the line's real last byte: an oversize line
        // keeps only a prefix, and its CR must still come off, or a line of
        // exactly `maxLineBytes` ending in CR LF would count as oversize.
        func emit(_ base: UnsafeRawPointer, _ kept: Int, length: Int, endsWithCR: Bool) throws {
            var kept = kept
            var length = length
            if endsWithCR {
                length -= 1
                kept = min(kept, length)
            }
            linesRead += 1
            let line = InputLine(
                bytes: UnsafeRawBufferPointer(start: base, count: kept),
                number: linesRead,
                offset: lineStartOffset,
                length: length
            )
            try body(line)
        }

        loop: while true {
            guard let item = pipe.takeFilled(timeout: idleTimeout) else {
                try onIdle()
                continue loop
            }
            switch item {
            case .data(let chunk):
                let base = UnsafeRawPointer(chunk.buffer.baseAddress!)
                let end = chunk.count
                var p = 0
                while p < end {
                    let remaining = end - p
                    let found = memchr(base + p, 0x0A, remaining)
                    if let found {
                        let nl = UnsafeRawPointer(found) - base
                        let pieceLength = nl - p
                        if carryLength == 0 {
                            lineStartOffset = offset + p
                            let endsWithCR = pieceLength > 0 && base.load(fromByteOffset: nl - 1, as: UInt8.self) == 0x0D
                            try emit(base + p, min(pieceLength, maxLineBytes), length: pieceLength, endsWithCR: endsWithCR)
                        } else {
                            let room = maxLineBytes - carryCount
                            let take = min(room, pieceLength)
                            if take > 0 {
                                (carry.baseAddress! + carryCount).copyMemory(from: base + p, byteCount: take)
                                carryCount += take
                            }
                            carryLength += pieceLength
                            if pieceLength > 0 { carryLastByte = base.load(fromByteOffset: nl - 1, as: UInt8.self) }
                            try emit(UnsafeRawPointer(carry.baseAddress!), carryCount, length: carryLength, endsWithCR: carryLastByte == 0x0D)
                            carryCount = 0
                            carryLength = 0
                        }
                        p = nl + 1
                    } else {
                        if carryLength == 0 { lineStartOffset = offset + p }
                        let room = maxLineBytes - carryCount
                        let take = min(room, remaining)
                        if take > 0 {
                            (carry.baseAddress! + carryCount).copyMemory(from: base + p, byteCount: take)
                            carryCount += take
                        }
                        carryLength += remaining
                        carryLastByte = base.load(fromByteOffset: end - 1, as: UInt8.self)
                        p = end
                    }
                }
                offset += end
                bytesRead = offset
                pipe.recycle(chunk.buffer)
            case .flush:
                continue loop
            case .end:
                finished = true
                if carryLength > 0 {
                    try emit(UnsafeRawPointer(carry.baseAddress!), carryCount, length: carryLength, endsWithCR: carryLastByte == 0x0D)
                }
                break loop
            case .failure(let error):
                finished = true
                // Everything before the damage counts: the cut-off last line too.
                if carryLength > 0 {
                    try emit(UnsafeRawPointer(carry.baseAddress!), carryCount, length: carryLength, endsWithCR: carryLastByte == 0x0D)
                }
                throw error
            }
        }
    }
}
