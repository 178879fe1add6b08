import Foundation

/// Buffered output to stdout or a file, optionally gzip.
///
/// Bytes collect in one buffer and go out in large writes. A closed pipe on
/// the other side surfaces as `BrokenPipe`, which commands turn into a quiet
/// exit 0. Gzip output is one member (RFC 1952), fast level by default
/// (see `GzipDeflater` for which library does which level), compressed on a
/// second thread so that compressing overlaps the stage's own work.
public final class OutputWriter {
    public let path: String?
    public let gzip: Bool
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var count = 0
    private var background: BackgroundDeflater?
    private var closed = false
    /// Whether `close()` closes `fd` (files and adopted descriptors, not stdout).
    private let ownsDescriptor: Bool
    /// Uncompressed bytes written so far.
    public private(set) var bytesWritten = 0

    private static let bufferSize = 1 << 18

    /// Opens `path` (nil or `-` for stdout); gzip when asked or the name ends
    /// in `.gz`. With `append`, a file's content is kept and this output follows
    /// it (a gzip file gets another member, which gzip readers join).
    public init(path: String?, gzip: Bool = false, level: Int32 = 1, append: Bool = false) throws {
        let target = (path == "-") ? nil : path
        self.path = target
        self.gzip = gzip || (target?.hasSuffix(".gz") ?? false)
        if let target {
            let opened = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
            if opened < 0 {
                throw RTMLError("\(target): cannot write: \(String(cString: strerror(errno)))")
            }
            fd = opened
        } else {
            fd = STDOUT_FILENO
        }
        ownsDescriptor = target != nil
        if self.gzip {
            let deflater = try GzipDeflater(level: level)
            let descriptor = fd
            let name = target ?? "<stdout>"
            let background = BackgroundDeflater(deflater: deflater) { bytes in
                try Self.writeAll(descriptor, bytes, name: name)
            }
            self.background = background
            buffer = try background.takeBuffer()
        } else {
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
        }
    }

    /// Writes to an open descriptor (a pipe between stages of one process),
    /// plain, closing it on `close()` so the reader sees the end.
    public init(descriptor: Int32, name: String) {
        path = nil
        gzip = false
        fd = descriptor
        ownsDescriptor = true
        self.name = name
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
    }

    private var name: String?

    deinit {
        // Gzip buffers belong to the background deflater's pool.
        if background == nil { buffer.deallocate() }
        if ownsDescriptor && !closed { Foundation.close(fd) }
    }

    /// The name messages use for this output.
    public var displayName: String { name ?? path ?? "<stdout>" }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > buffer.count - count {
            try flushBuffer()
            if bytes.count > buffer.count {
                try emitLarge(bytes)
                bytesWritten += bytes.count
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
        try background?.syncFlush()
    }

    /// Finishes the output: writes the gzip trailer, flushes, closes a file.
    public func close() throws {
        guard !closed else { return }
        try flushBuffer()
        try background?.finish()
        closed = true
        if ownsDescriptor && Foundation.close(fd) != 0 {
            throw RTMLError("\(displayName): cannot finish writing: \(String(cString: strerror(errno)))")
        }
    }

    private func flushBuffer() throws {
        guard count > 0 else { return }
        if let background {
            try background.submit(buffer, count: count)
            buffer = try background.takeBuffer()
        } else {
            try Self.writeAll(fd, UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), name: displayName)
        }
        count = 0
    }

    /// Bytes bigger than a buffer: in buffer-sized pieces when compressing.
    private func emitLarge(_ bytes: UnsafeRawBufferPointer) throws {
        guard background != nil else {
            try Self.writeAll(fd, bytes, name: displayName)
            return
        }
        var offset = 0
        while offset < bytes.count {
            let n = min(buffer.count, bytes.count - offset)
            (buffer.baseAddress!).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            count = n
            try flushBuffer()
            offset += n
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw BrokenPipe() }
                throw RTMLError("\(name): write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}
