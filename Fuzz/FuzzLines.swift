// libFuzzer target for LineReader; built by Fuzz/run.sh with
// Sources/RTMLCore/IO and Common as one module.
//
// The first two input bytes choose maxLineBytes (1...24) and the chunk size
// (1...16), so lines straddle chunks and the oversize cut lands everywhere;
// the rest is written to a file and read back. For plain (non-gzip) input the
// lines must rebuild the input exactly: each line's bytes are the input at
// its offset, it ends at LF, CR LF or the end, and the next line starts
// right after. For gzip input (ISA-L's inflate) the lines are compared with
// what zlib makes of the same bytes: both must accept or both refuse, and an
// accepted stream must give the same text.

#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// zlib's reading of concatenated gzip members: the text, or nil when zlib
/// refuses the stream (damaged, truncated, or trailing bytes that are not a member).
func zlibInflate(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
    var out: [UInt8] = []
    var stream = z_stream()
    guard rtml_inflateInit2(&stream, 15 + 16) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var offset = 0
    let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
    defer { chunk.deallocate() }
    while true {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset)
        stream.avail_in = UInt32(input.count - offset)
        var status: Int32
        repeat {
            stream.next_out = chunk
            stream.avail_out = 1 << 16
            status = inflate(&stream, Z_NO_FLUSH)
            out.append(contentsOf: UnsafeBufferPointer(start: chunk, count: (1 << 16) - Int(stream.avail_out)))
        } while status == Z_OK && (stream.avail_out == 0 || stream.avail_in > 0)
        guard status == Z_STREAM_END else { return nil }
        offset = input.count - Int(stream.avail_in)
        if offset == input.count { return out }
        guard input.count - offset >= 2, input[offset] == 0x1F, input[offset + 1] == 0x8B else { return nil }
        inflateReset(&stream)
    }
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

private let path = "/tmp/rtml-fuzz-lines-\(getpid()).txt"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let maxLineBytes = 1 + Int(data[0]) % 24
    let chunkSize = 1 + Int(data[1]) % 16
    let input = UnsafeRawBufferPointer(start: data + 2, count: size - 2)

    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    check(fd >= 0, "cannot create \(path)")
    var written = 0
    while written < input.count {
        let n = write(fd, input.baseAddress! + written, input.count - written)
        check(n > 0, "write failed")
        written += n
    }
    close(fd)

    let isGzip = input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B
    let expected = isGzip ? zlibInflate(input) : nil
    var text: [UInt8] = []  // gzip: the lines as read, each with LF, for comparing with zlib
    // Gzip text is compared whole, so keep lines whole there.
    let reader = LineReader(source: InputSource(path: path), maxLineBytes: isGzip ? 1 << 20 : maxLineBytes, chunkSize: chunkSize)
    var next = 0            // where the next line must start
    var lastOffset = -1
    var accounted = 0       // line bytes + terminators, to compare with bytesRead
    var number = 0
    do {
        try reader.forEachLine { line in
            number += 1
            check(line.number == number, "line numbers not consecutive")
            check(line.offset > lastOffset, "offsets not strictly increasing")
            lastOffset = line.offset
            guard !isGzip else {
                text.append(contentsOf: line.bytes)
                text.append(0x0A)
                return
            }
            check(line.bytes.count == min(line.length, maxLineBytes), "kept \(line.bytes.count) bytes of a \(line.length)-byte line, max \(maxLineBytes)")
            check(line.isOversize == (line.length > maxLineBytes), "oversize flag wrong")
            check(line.offset == next, "line \(number) starts at \(line.offset), expected \(next)")
            check(line.offset + line.length <= input.count, "line runs past the input")
            for i in 0..<line.bytes.count {
                check(line.bytes[i] == input[line.offset + i], "line \(number) byte \(i) differs from the input")
            }
            var end = line.offset + line.length
            if end < input.count && input[end] == 0x0D {
                // Only a CR right before the LF (or the end) is stripped.
                check(end + 1 == input.count || input[end + 1] == 0x0A, "a CR inside line \(number) was dropped")
                end += 1
            }
            if end < input.count {
                check(input[end] == 0x0A, "line \(number) does not end at a newline")
                end += 1
            }
            let lineEnd = line.offset + line.length
            if line.length > 0 && lineEnd < input.count && input[lineEnd] == 0x0A {
                check(input[lineEnd - 1] != 0x0D, "line \(number) kept the CR of its CR LF")
            }
            accounted += end - line.offset
            next = end
        }
        if !isGzip {
            check(next == input.count, "lines cover \(next) of \(input.count) bytes")
            check(accounted == reader.bytesRead, "accounted \(accounted) bytes, reader read \(reader.bytesRead)")
        } else {
            check(expected != nil, "rtml read a gzip stream that zlib refuses")
            check(text == normalized(expected!), "rtml's text differs from zlib's")
        }
    } catch {
        check(isGzip, "plain input failed to read: \(error)")
        check(expected == nil, "rtml refused a gzip stream that zlib reads: \(error)")
    }
    return 0
}

/// zlib's text as the line reader hands it over: CR before LF dropped, a last
/// line without LF given one.
func normalized(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var line: [UInt8] = []
    var i = 0
    while i < bytes.count {
        if bytes[i] == 0x0A {
            if line.last == 0x0D { line.removeLast() }
            out += line
            out.append(0x0A)
            line.removeAll()
        } else {
            line.append(bytes[i])
        }
        i += 1
    }
    if !line.isEmpty {
        if line.last == 0x0D { line.removeLast() }
        out += line
        out.append(0x0A)
    }
    return out
}
