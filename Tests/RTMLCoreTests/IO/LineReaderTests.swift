import Foundation
import Testing
@testable import RTMLCore

/// A temporary directory per test, removed when the value goes away.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path(name)
        #expect(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
        return p
    }

    /// Writes `text` gzip-compressed (one member) with rtml's own writer.
    func writeGzip(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        let writer = try OutputWriter(path: p, gzip: true)
        try writer.write(bytes)
        try writer.close()
        return p
    }
}

struct ReadLine: Equatable {
    var text: String
    var number: Int
    var offset: Int
    var length: Int
    var oversize: Bool
}

func readAll(_ path: String, maxLineBytes: Int = 1 << 20, chunkSize: Int = 1 << 20) throws -> [ReadLine] {
    var lines: [ReadLine] = []
    try LineReader(source: InputSource(path: path), maxLineBytes: maxLineBytes, chunkSize: chunkSize).forEachLine { line in
        lines.append(ReadLine(text: String(decoding: line.bytes, as: UTF8.self), number: line.number,
                              offset: line.offset, length: line.length, oversize: line.isOversize))
    }
    return lines
}

@Suite struct LineReaderTests {
    @Test func plainLinesWithOffsets() throws {
        let dir = TempDir()
        let path = dir.write("a.ndjson", Array("ab\ncde\n\nf".utf8))
        let lines = try readAll(path)
        #expect(lines.map(\.text) == ["ab", "cde", "", "f"])
        #expect(lines.map(\.offset) == [0, 3, 7, 8])
        #expect(lines.map(\.number) == [1, 2, 3, 4])
    }

    @Test func crlfIsStripped() throws {
        let dir = TempDir()
        let path = dir.write("a", Array("one\r\ntwo\r\nthree\r".utf8))
        #expect(try readAll(path).map(\.text) == ["one", "two", "three"])
    }

    @Test func emptyFileHasNoLines() throws {
        let dir = TempDir()
        #expect(try readAll(dir.write("empty", [])).isEmpty)
        #expect(try readAll(dir.write("one-byte", [0x7B])).map(\.text) == ["{"])
    }

    @Test func gzipDetectedByMagicNotName() throws {
        let dir = TempDir()
        let gz = try dir.writeGzip("events.txt", Array("x\ny\n".utf8))
        #expect(try readAll(gz).map(\.text) == ["x", "y"])
        let plain = dir.write("plain.gz", Array("p\nq\n".utf8))
        #expect(try readAll(plain).map(\.text) == ["p", "q"])
    }

    @Test func concatenatedGzipMembersReadAsOneStream() throws {
        let dir = TempDir()
        let a = try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("a.gz", Array("1\n2\npart".utf8))))
        let b = try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("b.gz", Array("ial\n3\n".utf8))))
        let both = dir.write("ab.gz", Array(a + b))
        #expect(try readAll(both).map(\.text) == ["1", "2", "partial", "3"])
    }

    @Test func linesStraddlingChunksAreWhole() throws {
        let dir = TempDir()
        var text = ""
        for i in 0..<500 { text += String(repeating: "x", count: i % 37) + "\(i)\n" }
        let path = dir.write("many", Array(text.utf8))
        let lines = try readAll(path, chunkSize: 7)
        #expect(lines.map(\.text) == text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
        let gz = try dir.writeGzip("many.gz", Array(text.utf8))
        #expect(try readAll(gz, chunkSize: 5).map(\.text) == lines.map(\.text))
    }

    @Test func longLinesAreFlaggedNotBuffered() throws {
        let dir = TempDir()
        let long = String(repeating: "z", count: 100)
        let path = dir.write("long", Array("short\n\(long)\nafter\n\(long)".utf8))
        for chunk in [3, 16, 1 << 20] {
            let lines = try readAll(path, maxLineBytes: 10, chunkSize: chunk)
            #expect(lines.map(\.oversize) == [false, true, false, true])
            #expect(lines.map(\.length) == [5, 100, 5, 100])
            #expect(lines[1].text == String(repeating: "z", count: 10))
            #expect(lines[2].text == "after")
            #expect(lines.map(\.offset) == [0, 6, 107, 113])
        }
    }

    @Test func truncatedGzipDeliversLinesThenNamesOffset() throws {
        let dir = TempDir()
        var text = ""
        for i in 0..<20000 { text += "{\"n\":\(i),\"pad\":\"\(i * 7919 % 100003)\"}\n" }
        let full = try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("full.gz", Array(text.utf8))))
        let cut = dir.write("cut.gz", Array(full.prefix(full.count / 2)))
        var seen = 0
        var lastText = ""
        do {
            try LineReader(source: InputSource(path: cut)).forEachLine { line in
                seen += 1
                lastText = String(decoding: line.bytes, as: UTF8.self)
            }
            Issue.record("a truncated stream must end in an error")
        } catch let error as RTMLError {
            #expect(error.message.contains("cut.gz"))
            #expect(error.message.contains("truncated at byte \(full.count / 2)"))
        }
        #expect(seen > 1000)
        #expect(seen < 20000)
        // The cut-off last line is handed over too, so it can be counted.
        #expect(!lastText.hasSuffix("}") || seen == 20000)
    }

    @Test func corruptGzipNamesOffset() throws {
        let dir = TempDir()
        var text = ""
        for i in 0..<5000 { text += "line \(i) \(i * 31 % 977)\n" }
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("ok.gz", Array(text.utf8)))))
        for i in 200..<260 { bytes[i] ^= 0x5A }
        let bad = dir.write("bad.gz", bytes)
        #expect(throws: RTMLError.self) { try readAll(bad) }
        do { _ = try readAll(bad) } catch let error as RTMLError {
            #expect(error.message.hasPrefix("\(bad): gzip"))
            #expect(error.message.contains("at byte"))
        }
    }

    @Test func garbageAfterMemberIsAnError() throws {
        let dir = TempDir()
        let gz = try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("a.gz", Array("ok\n".utf8))))
        let path = dir.write("trail.gz", Array(gz) + Array("junk".utf8))
        var lines: [String] = []
        #expect(throws: RTMLError.self) {
            try LineReader(source: InputSource(path: path)).forEachLine { lines.append(String(decoding: $0.bytes, as: UTF8.self)) }
        }
        #expect(lines == ["ok"])
    }

    /// Found by the fuzzer: ISA-L ignores the reserved header flag bits that
    /// RFC 1952 says a decompressor must refuse (zlib and gzip do).
    @Test func reservedGzipFlagBitsAreRefused() throws {
        let dir = TempDir()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("ok.gz", Array("a\n".utf8)))))
        #expect(try readAll(dir.write("plain-ok.gz", bytes)).map(\.text) == ["a"])
        bytes[3] |= 0x20
        do {
            _ = try readAll(dir.write("flagged.gz", bytes))
            Issue.record("a member with reserved flag bits was read")
        } catch let error as RTMLError {
            #expect(error.message.contains("reserved flag bits"))
        }
        // And in a second member.
        let first = Array(try Data(contentsOf: URL(fileURLWithPath: try dir.writeGzip("one.gz", Array("x\n".utf8)))))
        do {
            var lines: [String] = []
            try LineReader(source: InputSource(path: dir.write("two.gz", first + bytes))).forEachLine { lines.append(String(decoding: $0.bytes, as: UTF8.self)) }
            Issue.record("a second member with reserved flag bits was read")
        } catch let error as RTMLError {
            #expect(error.message.contains("reserved flag bits"))
        }
    }

    @Test func missingFileIsAClearError() {
        do {
            _ = try readAll("/nonexistent/day.gz")
            Issue.record("expected an error")
        } catch let error as RTMLError {
            #expect(error.message == "/nonexistent/day.gz: cannot open: No such file or directory")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func idleCallbackFiresWhileALivePipeIsQuiet() throws {
        let dir = TempDir()
        let fifo = dir.path("live")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)!
            handle.write(Data("a\n".utf8))
            Thread.sleep(forTimeInterval: 0.4)
            handle.write(Data("b\n".utf8))
            try? handle.close()
        }
        writer.start()
        var events: [String] = []
        try LineReader(source: InputSource(path: fifo)).forEachLine(idleTimeout: 0.1, onIdle: {
            if events.last != "idle" { events.append("idle") }
        }) { line in
            events.append(String(decoding: line.bytes, as: UTF8.self))
        }
        // Opening a FIFO waits for its writer, so idle may also come first.
        #expect(Array(events.drop(while: { $0 == "idle" })) == ["a", "idle", "b"])
    }

    @Test func callbackErrorStopsReading() throws {
        let dir = TempDir()
        let path = dir.write("a", Array(String(repeating: "line\n", count: 100_000).utf8))
        var count = 0
        #expect(throws: BrokenPipe.self) {
            try LineReader(source: InputSource(path: path), chunkSize: 4096).forEachLine { _ in
                count += 1
                if count == 10 { throw BrokenPipe() }
            }
        }
        #expect(count == 10)
    }
}
