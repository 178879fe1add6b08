import DequeModule

/// Remembers message ids over a bounded horizon of event time and says
/// whether one was seen before.
///
/// An id is forgotten once the largest event time seen has moved more than
/// `window` past the event time it came with, or, when more than `capacity`
/// ids are remembered, oldest first. Memory is about 60 bytes per remembered
/// id (a 16-byte hash and 8-byte time in a hash table at 3/4 load, and again
/// in an arrival-ordered queue for eviction), so the default capacity of
/// 4,000,000 ids bounds it near 240 MB; a day of 1M events needs ~60 MB.
public struct Deduplicator {
    public let windowMillis: Int64
    public let capacity: Int
    private var seen: [Hash128: Int64] = [:]
    private var order = Deque<(key: Hash128, time: Int64)>()
    private var maxEventTime = Int64.min
    /// Ids forgotten because of `capacity` rather than the time horizon.
    public private(set) var evictedForCapacity = 0

    public init(windowMillis: Int64 = 86_400_000, capacity: Int = 4_000_000) {
        self.windowMillis = windowMillis
        self.capacity = max(1, capacity)
        seen.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// Ids currently remembered.
    public var count: Int { seen.count }

    /// Records `key` seen with `eventTime`; true when it was already remembered.
    public mutating func isDuplicate(_ key: Hash128, eventTime: Int64) -> Bool {
        if seen[key] != nil { return true }
        if eventTime > maxEventTime {
            maxEventTime = eventTime
            forgetOlderThan(maxEventTime &- windowMillis)
        }
        // An event already beyond the horizon cannot meet an earlier copy that
        // is still remembered later on, but it may meet a later copy: keep it
        // like any other, it leaves with the next eviction pass.
        if seen.count >= capacity, let oldest = order.popFirst() {
            seen[oldest.key] = nil
            evictedForCapacity += 1
        }
        seen[key] = eventTime
        order.append((key, eventTime))
        return false
    }

    private mutating func forgetOlderThan(_ cutoff: Int64) {
        // Arrival order is close to event-time order (devices deliver within
        // minutes), so popping from the front while the front is old frees
        // nearly everything that is out of the horizon; a straggler behind a
        // newer entry waits for the next pass, never longer than capacity.
        while let first = order.first, first.time < cutoff {
            order.removeFirst()
            seen[first.key] = nil
        }
    }
}
