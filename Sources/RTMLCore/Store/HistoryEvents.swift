/// The events of a run of history rows in one compact value: numbers in
/// place, every string's UTF-8 in one byte buffer.
///
/// featurize builds it on the driver's core, where the strings are hot, and
/// the writer binds straight from the buffer (SQLite reads the bytes where
/// they are). With a `StoredEvent` per row the writer retained each of its
/// strings - event names and embeddings are shared with the driver, so the
/// count's cache line moved between cores on every row - and the driver made
/// and later freed 1,000,000 of them a day.
public struct HistoryEvents: Sendable {
    struct Entry {
        var eventTs: Int64
        var receivedAt: Int64
        var durationSec: Double
        var positionSec: Double
        var rating: Double
        /// Bit 0, 1, 2: durationSec, positionSec, rating is NULL.
        var nullNumbers: UInt8
        var userId: TextSpan
        var event: TextSpan
        var messageId: TextSpan
        var contentId: TextSpan
        var category: TextSpan
    }

    private(set) var text = TextBuffer()
    private(set) var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }

    public mutating func reserveCapacity(_ events: Int) {
        entries.reserveCapacity(events)
        text.reserveCapacity(events * 48)
    }

    public mutating func append(_ e: StoredEvent) {
        append(userId: e.userId, event: e.event, eventTs: e.eventTs, receivedAt: e.receivedAt, messageId: e.messageId,
               contentId: e.contentId, category: e.category,
               durationSec: e.durationSec, positionSec: e.positionSec, rating: e.rating)
    }

    /// The stored part of a decoded event (as `StoredEvent(e)` keeps it).
    mutating func append(_ e: FeatureEvent) {
        append(userId: e.userId, event: e.event, eventTs: e.eventTime, receivedAt: e.receivedAt, messageId: e.messageId,
               contentId: e.contentId, category: e.category?.name,
               durationSec: e.durationSec, positionSec: e.positionSec, rating: e.rating)
    }

    private mutating func append(
        userId: String, event: String, eventTs: Int64, receivedAt: Int64, messageId: String,
        contentId: String?, category: String?, durationSec: Double?, positionSec: Double?, rating: Double?
    ) {
        var nulls: UInt8 = 0
        if durationSec == nil { nulls |= 1 }
        if positionSec == nil { nulls |= 2 }
        if rating == nil { nulls |= 4 }
        let user = text.add(userId), name = text.add(event), message = text.add(messageId)
        let content = text.add(contentId), categorySpan = text.add(category)
        entries.append(Entry(
            eventTs: eventTs, receivedAt: receivedAt,
            durationSec: durationSec ?? 0, positionSec: positionSec ?? 0, rating: rating ?? 0, nullNumbers: nulls,
            userId: user, event: name, messageId: message, contentId: content, category: categorySpan))
    }

    /// Event i as a `StoredEvent` (for messages and tests; the writer reads the bytes).
    public subscript(i: Int) -> StoredEvent {
        text.bytes.withUnsafeBytes { Self.event(entries[i], $0) }
    }

    static func event(_ e: Entry, _ bytes: UnsafeRawBufferPointer) -> StoredEvent {
        func string(_ span: TextSpan) -> String? { TextBuffer.string(span, in: bytes) }
        return StoredEvent(
            userId: string(e.userId) ?? "", event: string(e.event) ?? "", eventTs: e.eventTs, receivedAt: e.receivedAt,
            messageId: string(e.messageId) ?? "", contentId: string(e.contentId), category: string(e.category),
            durationSec: e.nullNumbers & 1 != 0 ? nil : e.durationSec,
            positionSec: e.nullNumbers & 2 != 0 ? nil : e.positionSec,
            rating: e.nullNumbers & 4 != 0 ? nil : e.rating)
    }
}
