import CIsal
import CZlib

/// Compresses a byte stream into one gzip member (RFC 1952).
///
/// Levels 1-3 use ISA-L's igzip, about five times faster than zlib at a
/// similar ratio (what pipelines want from `-o day.gz`); levels 4-9 use zlib
/// for smaller files when time matters less.
final class GzipDeflater {
    enum Mode { case none, sync, finish }

    private var zlib: UnsafeMutablePointer<z_stream>?
    private var isal: UnsafeMutablePointer<isal_zstream>?
    private var levelBuffer: UnsafeMutableRawBufferPointer?
    private let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)

    init(level: Int32) throws {
        guard (1...9).contains(level) else {
            throw RTMLError.usage("gzip level must be between 1 and 9, not \(level)")
        }
        if level <= 3 {
            let stream = UnsafeMutablePointer<isal_zstream>.allocate(capacity: 1)
            isal_deflate_init(stream)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(rtml_isal_level_buf_size(level)), alignment: 64)
            stream.pointee.level = UInt32(level)
            stream.pointee.level_buf = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.level_buf_size = UInt32(buffer.count)
            stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
            isal = stream
            levelBuffer = buffer
        } else {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard rtml_deflateInit2(stream, level, 15 + 16) == Z_OK else {
                stream.deallocate()
                throw RTMLError("cannot initialise zlib for writing")
            }
            zlib = stream
        }
    }

    deinit {
        if let zlib {
            deflateEnd(zlib)
            zlib.deallocate()
        }
        isal?.deallocate()
        levelBuffer?.deallocate()
        out.deallocate()
    }

    /// Compresses `bytes`, handing each piece of output to `emit`.
    func deflate(_ bytes: UnsafeRawBufferPointer, mode: Mode, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let input = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        let outBase = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if let stream = isal {
            stream.pointee.next_in = input
            stream.pointee.avail_in = UInt32(bytes.count)
            stream.pointee.flush = UInt16(mode == .sync ? SYNC_FLUSH : NO_FLUSH)
            stream.pointee.end_of_stream = mode == .finish ? 1 : 0
            repeat {
                stream.pointee.next_out = outBase
                stream.pointee.avail_out = UInt32(out.count)
                guard isal_deflate(stream) == COMP_OK else {
                    throw RTMLError("gzip compression failed")
                }
                let produced = out.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
                || (mode == .finish && stream.pointee.internal_state.state != ZSTATE_END)
        } else if let stream = zlib {
            stream.pointee.next_in = input
            stream.pointee.avail_in = UInt32(bytes.count)
            let flush = mode == .finish ? Z_FINISH : mode == .sync ? Z_SYNC_FLUSH : Z_NO_FLUSH
            repeat {
                stream.pointee.next_out = outBase
                stream.pointee.avail_out = UInt32(out.count)
                guard CZlib.deflate(stream, flush) != Z_STREAM_ERROR else {
                    throw RTMLError("gzip compression failed")
                }
                let produced = out.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
            } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
        }
    }
}
