import CIsal
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
        // ISA-L's state holds its Huffman tables and history (~100 KB): heap, not stack.
        let state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
        defer { state.deallocate() }
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)

        let inBase = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var consumedBefore = 0      // compressed bytes consumed by earlier reads
        var loaded = initial        // bytes currently loaded in `input`
        var eof = false
        var inMember = true
        var lastReadWasShort = false
        state.pointee.next_in = inBase
        state.pointee.avail_in = UInt32(loaded)

        guard var out = pipe.takeFree() else { return }
        var outCount = 0

        func compressedOffset() -> Int { consumedBefore + (loaded - Int(state.pointee.avail_in)) }

        func handOver() {
            if outCount > 0 { pipe.put(.data(.init(buffer: out, count: outCount))) } else { pipe.recycle(out) }
        }

        func refill() throws {
            // Keep unread bytes, then read more behind them.
            let unread = Int(state.pointee.avail_in)
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
            state.pointee.next_in = inBase
            state.pointee.avail_in = UInt32(loaded)
        }

        /// RFC 1952: a decompressor must refuse a member whose reserved flag
        /// bits (5-7) are set; ISA-L ignores them, zlib and gzip refuse them.
        func checkMemberHeader() throws {
            while state.pointee.avail_in < 4 && !eof { try refill() }
            guard state.pointee.avail_in >= 4 else { return }  // too short: inflate reports it
            let flags = state.pointee.next_in[3]
            if flags & 0xE0 != 0 {
                handOver()
                throw RTMLError("\(name): gzip header at byte \(compressedOffset()) has reserved flag bits set (0x\(String(flags, radix: 16)))")
            }
        }
        try checkMemberHeader()

        while true {
            if inMember {
                if state.pointee.avail_in == 0 {
                    if outCount > 0 && lastReadWasShort {
                        // A slow pipe: deliver what we have before blocking on read.
                        pipe.put(.data(.init(buffer: out, count: outCount)))
                        guard let next = pipe.takeFree() else { return }
                        out = next
                        outCount = 0
                    }
                    try refill()
                    if eof && state.pointee.avail_in == 0 {
                        handOver()
                        throw RTMLError("\(name): gzip stream is truncated at byte \(compressedOffset()) (the file ends inside a gzip member)")
                    }
                }
                state.pointee.next_out = (out.baseAddress! + outCount).assumingMemoryBound(to: UInt8.self)
                state.pointee.avail_out = UInt32(out.count - outCount)
                let status = isal_inflate(state)
                outCount = out.count - Int(state.pointee.avail_out)
                if outCount == out.count {
                    pipe.put(.data(.init(buffer: out, count: outCount)))
                    guard let next = pipe.takeFree() else { return }
                    out = next
                    outCount = 0
                }
                guard status >= 0 else {
                    handOver()
                    throw RTMLError("\(name): gzip data is corrupt at byte \(compressedOffset()): \(Self.describe(status))")
                }
                if state.pointee.block_state == ISAL_BLOCK_FINISH {
                    inMember = false
                } else if state.pointee.avail_in > 0 && state.pointee.avail_out > 0 && status == ISAL_DECOMP_OK {
                    // Input left, room left, not finished: ISA-L wants more
                    // input to complete a symbol; read behind what is left.
                    if eof {
                        handOver()
                        throw RTMLError("\(name): gzip stream is truncated at byte \(consumedBefore + loaded) (the file ends inside a gzip member)")
                    }
                    try refill()
                }
            } else {
                // Between members: another member, or the end of the file.
                if state.pointee.avail_in < 2 && !eof {
                    try refill()
                    continue
                }
                if state.pointee.avail_in == 0 {
                    handOver()
                    return
                }
                let next = state.pointee.next_in!
                if state.pointee.avail_in >= 2 && next[0] == 0x1f && next[1] == 0x8b {
                    let pendingIn = state.pointee.next_in
                    let pendingCount = state.pointee.avail_in
                    isal_inflate_reset(state)
                    state.pointee.crc_flag = UInt32(ISAL_GZIP)
                    state.pointee.next_in = pendingIn
                    state.pointee.avail_in = pendingCount
                    inMember = true
                    try checkMemberHeader()
                    continue
                }
                handOver()
                throw RTMLError("\(name): unexpected bytes after a gzip member at byte \(compressedOffset()) (not another gzip member)")
            }
        }
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case ISAL_INVALID_BLOCK: "invalid deflate block"
        case ISAL_INVALID_SYMBOL: "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: "invalid back-reference distance"
        case ISAL_INVALID_WRAPPER: "invalid gzip header"
        case ISAL_UNSUPPORTED_METHOD: "compression method is not deflate"
        case ISAL_INCORRECT_CHECKSUM: "CRC-32 of the data does not match the gzip trailer"
        default: "inflate status \(status)"
        }
    }
}
