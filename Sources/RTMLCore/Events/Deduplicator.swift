import CSupport
import DequeModule

/// Remembers message ids over a bounded horizon of event time and says
/// whether one was seen before.
///
/// An id is forgotten once the largest event time seen has moved more than
/// `window` past the event time it came with, or, when more than `capacity`
/// ids are remembered, oldest first.
///
/// Ids arrive as 128-bit hashes, already uniformly spread, so they index an
/// open-addressing table directly (linear probing, backward-shift deletion):
/// no second hash per lookup as a Swift `Dictionary` would compute. This table
/// was a third of ingest's time with `Dictionary`. Memory is about 60 bytes per
/// remembered id (16-byte hash in a table kept at most 5/8 full, and hash plus
/// event time in an arrival-ordered queue for eviction), so the default
/// capacity of 4,000,000 ids bounds it near 240 MB; a day of 1M events needs
/// about 60 MB.
public struct Deduplicator {
    public let windowMillis: Int64
    public let capacity: Int
    private var table: HashSet128
    private var order = Deque<(key: Hash128, time: Int64)>()
    private var maxEventTime = Int64.min
    /// Ids forgotten because of `capacity` rather than the time horizon.
    public private(set) var evictedForCapacity = 0

    public init(windowMillis: Int64 = 86_400_000, capacity: Int = 4_000_000) {
        self.windowMillis = windowMillis
        self.capacity = max(1, capacity)
        table = HashSet128(minimumCapacity: min(self.capacity, 1 << 16))
    }

    /// Ids currently remembered.
    public var count: Int { table.count }

    /// Starts loading the table slot `key` will probe, so the lookup that
    /// follows a little later finds it in cache.
    @inline(__always)
    public func prefetch(_ key: Hash128) {
        table.prefetch(key)
    }

    /// Records `key` seen with `eventTime`; true when it was already remembered.
    public mutating func isDuplicate(_ key: Hash128, eventTime: Int64) -> Bool {
        if table.contains(key) { return true }
        if eventTime > maxEventTime {
            maxEventTime = eventTime
            forgetOlderThan(maxEventTime &- windowMillis)
        }
        if table.count >= capacity, let oldest = order.popFirst() {
            table.remove(oldest.key)
            evictedForCapacity += 1
        }
        table.insert(key)
        order.append((key, eventTime))
        return false
    }

    private mutating func forgetOlderThan(_ cutoff: Int64) {
        // Arrival order is close to event-time order (devices deliver within
        // minutes), so popping from the front while the front is old frees
        // nearly everything that is out of the horizon; a straggler behind a
        // newer entry waits for a later pass, never longer than capacity allows.
        while let first = order.first, first.time < cutoff {
            order.removeFirst()
            table.remove(first.key)
        }
    }
}

/// A set of 128-bit hashes: open addressing, linear probing, backward-shift
/// deletion (Knuth, TAOCP vol. 3, 6.4 Algorithm R), so no tombstones pile up
/// under constant insert and evict.
struct HashSet128 {
    private var slots: [Hash128]
    private var mask: Int
    private(set) var count = 0

    /// The all-zero hash marks an empty slot; a real zero hash is stored as this.
    private static let zeroStandIn = Hash128(high: 0, low: 1 << 63)

    init(minimumCapacity: Int) {
        var size = 16
        while size * 5 < minimumCapacity * 8 { size <<= 1 }
        slots = [Hash128](repeating: Hash128(high: 0, low: 0), count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func stored(_ key: Hash128) -> Hash128 {
        (key.high | key.low) == 0 ? zeroStandIn : key
    }

    @inline(__always)
    private func home(_ key: Hash128) -> Int { Int(truncatingIfNeeded: key.low) & mask }

    @inline(__always)
    private static func isEmpty(_ slot: Hash128) -> Bool { (slot.high | slot.low) == 0 }

    @inline(__always)
    func prefetch(_ key: Hash128) {
        slots.withUnsafeBufferPointer { s in
            rtml_prefetch(UnsafeRawPointer(s.baseAddress! + home(Self.stored(key))))
        }
    }

    func contains(_ key: Hash128) -> Bool {
        let key = Self.stored(key)
        return slots.withUnsafeBufferPointer { s in
            var i = home(key)
            while true {
                let slot = s[i]
                if Self.isEmpty(slot) { return false }
                if slot == key { return true }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts a key known to be absent.
    mutating func insert(_ key: Hash128) {
        if (count + 1) * 8 > slots.count * 5 { grow() }
        let key = Self.stored(key)
        let m = mask
        var i = home(key)
        slots.withUnsafeMutableBufferPointer { s in
            while !Self.isEmpty(s[i]) { i = (i + 1) & m }
            s[i] = key
        }
        count += 1
    }

    mutating func remove(_ key: Hash128) {
        let key = Self.stored(key)
        let m = mask
        var removed = false
        slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: key.low) & m
            while true {
                if Self.isEmpty(s[i]) { return }
                if s[i] == key { break }
                i = (i + 1) & m
            }
            // Shift later members of the probe run back into the hole, each
            // only if its home position lets it move there.
            var hole = i
            var j = i
            while true {
                j = (j + 1) & m
                let slot = s[j]
                if Self.isEmpty(slot) { break }
                let h = Int(truncatingIfNeeded: slot.low) & m
                let between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
                if !between {
                    s[hole] = slot
                    hole = j
                }
            }
            s[hole] = Hash128(high: 0, low: 0)
            removed = true
        }
        if removed { count -= 1 }
    }

    private mutating func grow() {
        let old = slots
        slots = [Hash128](repeating: Hash128(high: 0, low: 0), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for slot in old where !Self.isEmpty(slot) {
            var i = home(slot)
            while !Self.isEmpty(slots[i]) { i = (i + 1) & mask }
            slots[i] = slot
            count += 1
        }
    }
}
