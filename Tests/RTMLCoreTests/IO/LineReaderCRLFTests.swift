import Foundation
import RTMLCore
import Testing

/// Regression tests from fuzzing LineReader (Fuzz/FuzzLines.swift).
@Suite struct LineReaderCRLFTests {
    private func lines(_ text: String, maxLineBytes: Int, chunkSize: Int) throws -> [(String, Int, Bool)] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-crlf-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var out: [(String, Int, Bool)] = []
        let reader = LineReader(source: InputSource(path: url.path), maxLineBytes: maxLineBytes, chunkSize: chunkSize)
        try reader.forEachLine { out.append((String(decoding: $0.bytes, as: UTF8.self), $0.length, $0.isOversize)) }
        return out
    }

    /// A line of exactly maxLineBytes ending in CR LF was flagged oversize and
    /// its length counted the CR, because the CR was only stripped when the
    /// whole line had been kept.
    @Test(arguments: [1, 3, 4, 7, 64])
    func lineOfExactlyMaxBytesEndingInCRLFIsNotOversize(chunkSize: Int) throws {
        let got = try lines("exactly-16-bytes\r\nexactly-16-bytes\n17-bytes-too-long\r\nlast\r", maxLineBytes: 16, chunkSize: chunkSize)
        #expect(got.map(\.0) == ["exactly-16-bytes", "exactly-16-bytes", "17-bytes-too-lon", "last"])
        #expect(got.map(\.1) == [16, 16, 17, 4])
        #expect(got.map(\.2) == [false, false, true, false])
    }
}
