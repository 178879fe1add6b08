/// Writes refused records as NDJSON, one object per record, so nothing is lost:
/// `{"source":PATH,"line":N,"offset":BYTES,"reason":CODE,"detail":TEXT,"raw":LINE}`.
///
/// `raw` is the line as read. JSON cannot carry bytes that are not UTF-8, so
/// such a line is also given exactly as `rawBase64`; a line longer than the
/// reader's limit carries its first bytes, `"truncated":true` and its `length`.
public final class RejectsWriter {
    private let writer: OutputWriter?
    private var buffer: [UInt8] = []

    /// `path` nil means rejects are counted only (and the summary says so);
    /// `append` keeps what the file holds (a stage continuing earlier work).
    public init(path: String?, append: Bool = false) throws {
        writer = try path.map { try OutputWriter(path: $0, append: append) }
        buffer.reserveCapacity(4096)
    }

    public var isRecording: Bool { writer != nil }

    public func write(source: String, line: InputLine, rejection: Rejection) throws {
        try write(source: source, lineNumber: line.number, offset: line.offset, raw: line.bytes,
                  fullLength: line.length, rejection: rejection)
    }

    public func write(source: String, lineNumber: Int, offset: Int, raw: UnsafeRawBufferPointer,
                      fullLength: Int, rejection: Rejection) throws {
        guard let writer else { return }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: #"{"source":"#.utf8)
        JSONString.appendQuoted(source, to: &buffer)
        buffer.append(contentsOf: #","line":"#.utf8)
        buffer.append(contentsOf: String(lineNumber).utf8)
        buffer.append(contentsOf: #","offset":"#.utf8)
        buffer.append(contentsOf: String(offset).utf8)
        buffer.append(contentsOf: #","reason":"#.utf8)
        JSONString.appendQuoted(rejection.reason.rawValue, to: &buffer)
        buffer.append(contentsOf: #","detail":"#.utf8)
        JSONString.appendQuoted(rejection.detail, to: &buffer)
        buffer.append(contentsOf: #","raw":"#.utf8)
        JSONString.appendQuoted(raw, to: &buffer)
        if !UTF8Validation.isValid(raw) {
            buffer.append(contentsOf: #","rawBase64":""#.utf8)
            Base64.append(raw, to: &buffer)
            buffer.append(0x22)
        }
        if fullLength > raw.count {
            buffer.append(contentsOf: #","truncated":true,"length":"#.utf8)
            buffer.append(contentsOf: String(fullLength).utf8)
        }
        buffer.append(contentsOf: "}\n".utf8)
        try writer.write(buffer)
    }

    public func flush() throws {
        try writer?.flush()
    }

    public func close() throws {
        try writer?.close()
    }
}

/// Standard base64 (RFC 4648, with padding).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var i = 0
        let n = bytes.count
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(contentsOf: "==".utf8)
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(0x3D)
        }
    }
}
