/// Finalised windows in emission order, compact: bounds and counts in
/// place, user ids and event names as UTF-8 in one buffer.
///
/// featurize finalises about as many windows as it reads events. As
/// `WindowCount`s each retained an event name the driver's core shares with
/// every event (and the writer retained it again to bind it, moving the
/// count's cache line between cores); here the writer binds the bytes.
public struct FinalWindows: Sendable {
    struct Entry {
        var userId: TextSpan
        var event: TextSpan
        var windowStart: Int64
        var windowEnd: Int64
        var count: Int64
    }

    private(set) var text = TextBuffer()
    private(set) var entries: [Entry] = []

    public init() {}

    public init<Windows: Sequence<WindowCount>>(_ windows: Windows) {
        for w in windows { append(w) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public mutating func append(_ w: WindowCount) {
        append(userId: w.userId, event: w.event, windowStart: w.windowStart, windowEnd: w.windowEnd, count: w.count)
    }

    mutating func append(userId: String, event: String, windowStart: Int64, windowEnd: Int64, count: Int64) {
        let user = text.add(userId), name = text.add(event)
        entries.append(Entry(userId: user, event: name, windowStart: windowStart, windowEnd: windowEnd, count: count))
    }

    mutating func reserveCapacity(_ n: Int) {
        entries.reserveCapacity(n)
        text.reserveCapacity(n * 24)
    }

    mutating func removeAll() {
        self = FinalWindows()
    }

    /// As `WindowCount`s (tests, digests; the writer reads the bytes).
    public var windowCounts: [WindowCount] {
        text.bytes.withUnsafeBytes { bytes in
            entries.map {
                WindowCount(userId: TextBuffer.string($0.userId, in: bytes) ?? "", event: TextBuffer.string($0.event, in: bytes) ?? "",
                            windowStart: $0.windowStart, windowEnd: $0.windowEnd, count: $0.count)
            }
        }
    }
}
