import CZlib
import Foundation

/// Buffered output to stdout or a file, optionally gzip.
///
/// Bytes collect in one buffer and go out in large writes. A closed pipe on
/// the other side surfaces as `BrokenPipe`, which commands turn into a quiet
/// exit 0. Gzip output is one member (RFC 1952), fast level by default.
public final class OutputWriter {
    public let path: String?
    public let gzip: Bool
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var count = 0
    private var stream = z_stream()
    private var deflateOut: UnsafeMutableRawBufferPointer?
    private var closed = false
    /// Uncompressed bytes written so far.
    public private(set) var bytesWritten = 0

    private static let bufferSize = 1 << 18

    /// Opens `path` (nil or `-` for stdout); gzip when asked or the name ends in `.gz`.
    public init(path: String?, gzip: Bool = false, level: Int32 = 1) throws {
        let target = (path == "-") ? nil : path
        self.path = target
        self.gzip = gzip || (target?.hasSuffix(".gz") ?? false)
        if let target {
            let opened = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if opened < 0 {
                throw RTMLError("\(target): cannot write: \(String(cString: strerror(errno)))")
            }
            fd = opened
        } else {
            fd = STDOUT_FILENO
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
        if self.gzip {
            guard (1...9).contains(level) else {
                throw RTMLError.usage("gzip level must be between 1 and 9, not \(level)")
            }
            guard rtml_deflateInit2(&stream, level, 15 + 16) == Z_OK else {
                throw RTMLError("cannot initialise zlib for writing")
            }
            deflateOut = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
        }
    }

    deinit {
        buffer.deallocate()
        if let deflateOut {
            deflateEnd(&stream)
            deflateOut.deallocate()
        }
        if path != nil { Foundation.close(fd) }
    }

    /// The name messages use for this output.
    public var displayName: String { path ?? "<stdout>" }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > buffer.count - count {
            try flushBuffer()
            if bytes.count > buffer.count {
                try emit(bytes)
                return
            }
        }
        (buffer.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
        bytesWritten += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ string: String) throws {
        var copy = string
        try copy.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    public func writeByte(_ byte: UInt8) throws {
        if count == buffer.count { try flushBuffer() }
        buffer[count] = byte
        count += 1
        bytesWritten += 1
    }

    /// Pushes buffered bytes to the descriptor (compressing first when gzip).
    /// A gzip member stays open; `close()` finishes it.
    public func flush() throws {
        try flushBuffer()
        if gzip { try deflateBuffered(mode: Z_SYNC_FLUSH, UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    /// Finishes the output: writes the gzip trailer, flushes, closes a file.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try flushBuffer()
        if gzip { try deflateBuffered(mode: Z_FINISH, UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    private func flushBuffer() throws {
        guard count > 0 else { return }
        let pending = UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)
        count = 0
        try emit(pending)
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        if gzip {
            try deflateBuffered(mode: Z_NO_FLUSH, bytes)
        } else {
            try writeAll(bytes)
        }
    }

    private func deflateBuffered(mode: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        guard let out = deflateOut else { return }
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(bytes.count)
        repeat {
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(out.count)
            let status = deflate(&stream, mode)
            if status == Z_STREAM_ERROR {
                throw RTMLError("\(displayName): gzip compression failed")
            }
            let produced = out.count - Int(stream.avail_out)
            if produced > 0 {
                try writeAll(UnsafeRawBufferPointer(start: out.baseAddress, count: produced))
            }
        } while stream.avail_out == 0 || (mode == Z_FINISH && stream.avail_in > 0)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw BrokenPipe() }
                throw RTMLError("\(displayName): write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}
