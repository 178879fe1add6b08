import Foundation
import Testing
@testable import RTMLCore

@Suite struct OutputWriterTests {
    /// A megabyte-scale text with repeats and noise, so deflate works across buffers.
    func sampleText() -> [UInt8] {
        var text = ""
        var state: UInt64 = 7
        for i in 0..<40_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            text += "{\"n\":\(i),\"r\":\"\(state >> 40)\",\"pad\":\"\(String(repeating: "ab", count: Int(state >> 61)))\"}\n"
        }
        return Array(text.utf8)
    }

    @Test(arguments: [Int32(1), 2, 3, 4, 6, 9])
    func gzipRoundTripsThroughSystemGzip(level: Int32) throws {
        let dir = TempDir()
        let path = dir.path("out.gz")
        let text = sampleText()
        let writer = try OutputWriter(path: path, level: level)
        #expect(writer.gzip)
        // Many small writes and one large one, then a sync flush mid-stream.
        for start in stride(from: 0, to: text.count / 2, by: 997) {
            try text[start..<min(start + 997, text.count / 2)].withUnsafeBytes { try writer.write($0) }
        }
        try writer.flush()
        try text[(text.count / 2)...].withUnsafeBytes { try writer.write($0) }
        try writer.close()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Array(data) == text)
        // And rtml's own reader agrees.
        #expect(try readAll(path).count == 40_000)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size < text.count / 2)
    }

    @Test func levelsOutsideOneToNineAreRefused() {
        #expect(throws: RTMLError.self) { try OutputWriter(path: TempDir().path("x.gz"), level: 0) }
        #expect(throws: RTMLError.self) { try OutputWriter(path: TempDir().path("x.gz"), level: 10) }
    }

    @Test func plainWhenNameHasNoGzSuffix() throws {
        let dir = TempDir()
        let writer = try OutputWriter(path: dir.path("out.ndjson"))
        try writer.write("hello\n")
        try writer.close()
        #expect(try String(contentsOfFile: dir.path("out.ndjson"), encoding: .utf8) == "hello\n")
    }
}
