// libFuzzer target for LineReader; built by Fuzz/run.sh with
// Sources/RTMLCore/IO and Common as one module.
//
// The first two input bytes choose maxLineBytes (1...24) and the chunk size
// (1...16), so lines straddle chunks and the oversize cut lands everywhere;
// the rest is written to a file and read back. For plain (non-gzip) input the
// lines must rebuild the input exactly: each line's bytes are the input at
// its offset, it ends at LF, CR LF or the end, and the next line starts
// right after.

#if canImport(Glibc)
import Glibc
#endif

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
    let reader = LineReader(source: InputSource(path: path), maxLineBytes: maxLineBytes, chunkSize: chunkSize)
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
            check(line.bytes.count == min(line.length, maxLineBytes), "kept \(line.bytes.count) bytes of a \(line.length)-byte line, max \(maxLineBytes)")
            check(line.isOversize == (line.length > maxLineBytes), "oversize flag wrong")
            guard !isGzip else { return }
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
        }
    } catch {
        check(isGzip, "plain input failed to read: \(error)")
    }
    return 0
}
