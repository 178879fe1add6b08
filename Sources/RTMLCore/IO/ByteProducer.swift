import CZlib
import Foundation

/// Reads one input on its own thread and fills `ChunkPipe` buffers with its
/// bytes: inflated when the input starts with the gzip magic, as-is otherwise.
///
/// Gzip is recognised by its magic bytes, never by the file name, and
/// concatenated members (`cat a.gz b.gz`, pigz, bgzip) are read as one stream.
/// Damage ends the stream with a failure that names the compressed byte
/// offset, after every byte inflated before it has been handed over.
final class ByteProducer: @unchecked Sendable {
    private let source: InputSource
    private let pipe: ChunkPipe
    private let readSize: Int
    private(set) var isGzip = false

    init(source: InputSource, pipe: ChunkPipe, readSize: Int = 256 * 1024) {
        self.source = source
        self.pipe = pipe
        self.readSize = readSize
    }

    func start() {
        let thread = Thread { [self] in
            do {
                try run()
                pipe.put(.end)
            } catch {
                pipe.put(.failure(error))
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func run() throws {
        let fd = try source.openDescriptor()
        defer { if source.path != nil { close(fd) } }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 64)
        defer { input.deallocate() }

        // Peek enough to see the magic; a short first read from a pipe is fine.
        var have = 0
        while have < 2 {
            let n = try readRetrying(fd, input.baseAddress! + have, readSize - have)
            if n == 0 { break }
            have += n
        }
        if have >= 2 && input[0] == 0x1f && input[1] == 0x8b {
            isGzip = true
            try inflateAll(fd: fd, input: input, initial: have)
        } else {
            try copyAll(fd: fd, input: input, initial: have)
        }
    }

    /// Plain input: hand over what each read returns, so a live pipe flows.
    private func copyAll(fd: Int32, input: UnsafeMutableRawBufferPointer, initial: Int) throws {
        var pending = initial
        while true {
            if pending > 0 {
                guard let out = pipe.takeFree() else { return }
                let n = min(pending, out.count)
                out.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: n)
                pipe.put(.data(.init(buffer: out, count: n)))
                if n < pending {
                    memmove(input.baseAddress!, input.baseAddress! + n, pending - n)
                }
                pending -= n
                continue
            }
            guard let out = pipe.takeFree() else { return }
            let n = try readRetrying(fd, out.baseAddress!, out.count)
            if n == 0 {
                pipe.recycle(out)
                return
            }
            pipe.put(.data(.init(buffer: out, count: n)))
        }
    }

    private func inflateAll(fd: Int32, input: UnsafeMutableRawBufferPointer, initial: Int) throws {
        let name = source.displayName
        var stream = z_stream()
        guard rtml_inflateInit2(&stream, 15 + 16) == Z_OK else {
            throw RTMLError("\(name): cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }

        let inBase = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var consumedBefore = 0      // compressed bytes consumed by earlier reads
        var loaded = initial        // bytes currently loaded in `input`
        var eof = false
        var inMember = true
        var lastReadWasShort = false
        stream.next_in = inBase
        stream.avail_in = UInt32(loaded)

        guard var out = pipe.takeFree() else { return }
        var outCount = 0

        func compressedOffset() -> Int { consumedBefore + (loaded - Int(stream.avail_in)) }

        func refill() throws {
            // Keep unread bytes, then read more behind them.
            let unread = Int(stream.avail_in)
            let start = loaded - unread
            if unread > 0 && start > 0 {
                memmove(inBase, inBase + start, unread)
            }
            consumedBefore += start
            loaded = unread
            let n = try readRetrying(fd, inBase + loaded, readSize - loaded)
            if n == 0 { eof = true }
            lastReadWasShort = n < readSize - loaded
            loaded += n
            stream.next_in = inBase
            stream.avail_in = UInt32(loaded)
        }

        while true {
            if inMember {
                if stream.avail_in == 0 {
                    if outCount > 0 && lastReadWasShort {
                        // A slow pipe: deliver what we have before blocking on read.
                        pipe.put(.data(.init(buffer: out, count: outCount)))
                        guard let next = pipe.takeFree() else { return }
                        out = next
                        outCount = 0
                    }
                    try refill()
                    if eof && stream.avail_in == 0 {
                        if outCount > 0 { pipe.put(.data(.init(buffer: out, count: outCount))) } else { pipe.recycle(out) }
                        throw RTMLError("\(name): gzip stream is truncated at byte \(compressedOffset()) (the file ends inside a gzip member)")
                    }
                }
                stream.next_out = (out.baseAddress! + outCount).assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(out.count - outCount)
                let status = inflate(&stream, Z_NO_FLUSH)
                outCount = out.count - Int(stream.avail_out)
                if outCount == out.count {
                    pipe.put(.data(.init(buffer: out, count: outCount)))
                    guard let next = pipe.takeFree() else { return }
                    out = next
                    outCount = 0
                }
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    continue
                case Z_STREAM_END:
                    inMember = false
                default:
                    if outCount > 0 { pipe.put(.data(.init(buffer: out, count: outCount))) } else { pipe.recycle(out) }
                    let detail = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw RTMLError("\(name): gzip data is corrupt at byte \(compressedOffset()): \(detail)")
                }
            } else {
                // Between members: another member, or the end of the file.
                if stream.avail_in < 2 && !eof {
                    try refill()
                    continue
                }
                if stream.avail_in == 0 {
                    if outCount > 0 { pipe.put(.data(.init(buffer: out, count: outCount))) } else { pipe.recycle(out) }
                    return
                }
                let next = stream.next_in!
                if stream.avail_in >= 2 && next[0] == 0x1f && next[1] == 0x8b {
                    inflateReset(&stream)
                    inMember = true
                    continue
                }
                if outCount > 0 { pipe.put(.data(.init(buffer: out, count: outCount))) } else { pipe.recycle(out) }
                throw RTMLError("\(name): unexpected bytes after a gzip member at byte \(compressedOffset()) (not another gzip member)")
            }
        }
    }
}
