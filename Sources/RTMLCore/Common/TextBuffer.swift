/// Where one string's UTF-8 is in a `TextBuffer`; count -1 is NULL.
/// (Full-width: a batch of long lines may hold more than 2 GB of text.)
struct TextSpan: Sendable {
    var offset: Int
    var count: Int
    static let null = TextSpan(offset: 0, count: -1)
}

/// The UTF-8 of many strings in one growing byte buffer, each found again by
/// its `TextSpan`: a batch's strings handed to another thread as one
/// allocation, read there without touching (retaining) the `String`s.
struct TextBuffer: Sendable {
    private(set) var bytes: [UInt8] = []

    mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }

    mutating func add(_ s: String) -> TextSpan {
        var s = s
        return s.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    mutating func add(_ s: String?) -> TextSpan {
        s.map { add($0) } ?? .null
    }

    mutating func add(_ utf8: UnsafeRawBufferPointer) -> TextSpan {
        let span = TextSpan(offset: bytes.count, count: utf8.count)
        bytes.append(contentsOf: utf8)
        return span
    }

    /// The span's bytes in `buffer` (this buffer's `bytes`, borrowed).
    @inline(__always)
    static func utf8(_ span: TextSpan, in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[span.offset..<span.offset + max(0, span.count)])
    }

    static func string(_ span: TextSpan, in buffer: UnsafeRawBufferPointer) -> String? {
        span.count < 0 ? nil : String(decoding: utf8(span, in: buffer), as: UTF8.self)
    }
}
