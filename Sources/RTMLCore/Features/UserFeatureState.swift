/// Sleep content started and bounced in one session.
struct SessionCounts: Equatable {
    var starts: Int64 = 0
    var bounces: Int64 = 0

    static let sleepStart: UInt8 = 1
    static let sleepBounce: UInt8 = 2

    @inline(__always)
    mutating func add(_ flags: UInt8) {
        if flags & Self.sleepStart != 0 { starts += 1 }
        if flags & Self.sleepBounce != 0 { bounces += 1 }
    }

    @inline(__always)
    mutating func add(_ other: SessionCounts) {
        starts += other.starts
        bounces += other.bounces
    }
}

protocol Timed {
    var time: Int64 { get }
}

/// Every accepted event of a user still within reach of a later event:
/// its time and whether it started or bounced sleep content.
struct TimelineEntry: Timed {
    var time: Int64
    var flags: UInt8
}

/// One `biometric` event; a missing value is NaN.
struct BiometricSample: Timed {
    var time: Int64
    var steps: Double
    var heartRate: Double
    /// `BiometricTrend` level as of this sample, fixed when it was processed.
    var trend: UInt8
}

/// A `content.start` or `content.complete` with a known category.
struct ContentMark: Timed {
    var time: Int64
    var category: UInt8
    var isComplete: Bool
}

/// A search whose query has a vector.
struct SearchMark: Timed {
    var time: Int64
    var vector: [Float]
}

/// Where a user's count of one (event name, window start) lives: entry
/// `entry` of window bucket `bucket`. Kept until the window is final; refs
/// of final windows are dropped lazily (their start is behind the watermark).
struct WindowRef {
    var start: Int64
    var event: Int32
    var bucket: Int32
    var entry: Int32
}

/// Lookups on time-sorted storage, for arrays and the pointers the hot path
/// reads them through alike.
extension RandomAccessCollection where Element: Timed, Index == Int {
    /// Index just past the last element with time <= `t` (elements are sorted by time).
    @inline(__always)
    func end(atOrBefore t: Int64) -> Int {
        var i = endIndex
        while i > startIndex && self[i - 1].time > t { i -= 1 }
        return i
    }

    /// First index below `end` of the run of elements with time > `bound`.
    @inline(__always)
    func start(after bound: Int64, end: Int) -> Int {
        var i = end
        while i > startIndex && self[i - 1].time > bound { i -= 1 }
        return i
    }
}

extension Array where Element: Timed {
    /// Inserts after every element with time <= its time (arrival order breaks ties).
    @inline(__always)
    @discardableResult
    mutating func insertByTime(_ element: Element) -> Int {
        let i = end(atOrBefore: element.time)
        if i == count { append(element) } else { insert(element, at: i) }
        return i
    }

    /// Removes the elements with time <= `cutoff`; true when any went.
    @inline(__always)
    @discardableResult
    mutating func removeAtOrBefore(_ cutoff: Int64) -> Bool {
        var k = 0
        while k < count && self[k].time <= cutoff { k += 1 }
        if k > 0 { removeFirst(k) }
        return k > 0
    }
}

/// Everything the engine keeps about one user: only what a later accepted
/// event can still need (see `FeatureEngine.prune`). Users live in one
/// contiguous table (`UserTable`) and are reached through a pointer, so the
/// hot path makes no exclusivity checks and no reference counting per field.
struct UserState {
    let userId: String
    /// Unique per user object ever made: tells a reused table slot from the
    /// user that had it before (lists keep `(slot, serial)`).
    var serial: Int64
    /// Largest accepted event time (`Int64.min` before the first).
    var maxTime: Int64 = .min
    /// Interned name of the latest event by event time (the later arrival on a tie); -1 before the first.
    var lastEvent: Int32 = -1

    /// Timeline entries that can no longer have an event inserted before them
    /// are folded into this summary: the last such time and the counts of
    /// the session it belongs to, up to that time.
    var hasBase = false
    var baseLast: Int64 = 0
    var baseCounts = SessionCounts()
    var timeline: [TimelineEntry] = []
    /// The session as of `maxTime` (the online row's).
    var session = SessionCounts()

    var samples: [BiometricSample] = []
    var contents: [ContentMark] = []
    var searches: [SearchMark] = []
    /// Counts of windows not yet final (and some final ones, dropped lazily).
    var windows: [WindowRef] = []

    // Bookkeeping, not part of the checkpoint.
    /// Whether the user had an event since this engine made (or restored) the state.
    var touched = false
    var isDirty = false
    var onlineChanged = false
    var onlineRow: PackedFeatureRow?
    var evictionBucket: Int64 = .min
    var embeddingCache = EmbeddingCache()

    /// The first 8 bytes of the user id, big-endian (zero-padded): sorting
    /// by it agrees with byte order of the ids, and rarely ties.
    let sortPrefix: UInt64

    init(userId: String, serial: Int64) {
        self.userId = userId
        self.serial = serial
        sortPrefix = Self.prefix(userId)
    }

    static func prefix(_ userId: String) -> UInt64 {
        var prefix: UInt64 = 0
        var n = 0
        for byte in userId.utf8 {
            guard n < 8 else { break }
            prefix |= UInt64(byte) << (56 - 8 * UInt64(n))
            n += 1
        }
        return prefix
    }

    /// Session counts as of the timeline entry at `index`: walk back while
    /// consecutive events are closer than the gap, then into the folded base.
    func sessionCounts(through index: Int, gap: Int64) -> SessionCounts {
        var counts = SessionCounts()
        guard index >= 0 else {
            if hasBase { counts = baseCounts }
            return counts
        }
        return timeline.withUnsafeBufferPointer { timeline in
            var j = index
            while true {
                let entry = timeline[j]
                counts.add(entry.flags)
                if j == 0 {
                    if hasBase && entry.time - baseLast < gap { counts.add(baseCounts) }
                    return counts
                }
                if entry.time - timeline[j - 1].time >= gap { return counts }
                j -= 1
            }
        }
    }

    /// Moves timeline entries at or before `horizon` into the base summary.
    mutating func foldTimeline(atOrBefore horizon: Int64, gap: Int64) {
        var k = 0
        while k < timeline.count && timeline[k].time <= horizon {
            let entry = timeline[k]
            if hasBase && entry.time - baseLast >= gap { baseCounts = SessionCounts() }
            baseCounts.add(entry.flags)
            baseLast = entry.time
            hasBase = true
            k += 1
        }
        if k > 0 { timeline.removeFirst(k) }
    }

    /// Position in `windows` of the ref of (event, start), if any.
    @inline(__always)
    func windowRef(event: Int32, start: Int64) -> Int? {
        windows.withUnsafeBufferPointer { w in
            var i = w.count
            while i > 0 {
                i -= 1
                if w[i].start == start && w[i].event == event { return i }
            }
            return nil
        }
    }

    /// Whether any window of the user is still open (end after `watermark`).
    func hasOpenWindow(windowMillis: Int64, watermark: Int64) -> Bool {
        windows.contains { Saturating.add($0.start, windowMillis) > watermark }
    }
}

/// The users in memory: a growable array of `UserState` that is never moved
/// while a pointer into it is in use (it grows only when a user is added),
/// with a free list of the slots of dropped users.
struct UserTable {
    private(set) var base: UnsafeMutablePointer<UserState>
    private(set) var capacity: Int
    /// Slots ever used; live ones have `live[slot]`.
    private(set) var used = 0
    var live: [Bool] = []
    var free: [Int32] = []

    init() {
        capacity = 64
        base = .allocate(capacity: capacity)
    }

    @inline(__always)
    subscript(slot: Int32) -> UnsafeMutablePointer<UserState> { base + Int(slot) }

    mutating func add(_ user: UserState) -> Int32 {
        if let slot = free.popLast() {
            (base + Int(slot)).initialize(to: user)
            live[Int(slot)] = true
            return slot
        }
        if used == capacity {
            let bigger = UnsafeMutablePointer<UserState>.allocate(capacity: capacity * 2)
            for i in 0..<used where live[i] { (bigger + i).moveInitialize(from: base + i, count: 1) }
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + used).initialize(to: user)
        live.append(true)
        used += 1
        return Int32(used - 1)
    }

    mutating func remove(_ slot: Int32) {
        (base + Int(slot)).deinitialize(count: 1)
        live[Int(slot)] = false
        free.append(slot)
    }

    /// Frees the memory (the owner's deinit).
    mutating func destroy() {
        for i in 0..<used where live[i] { (base + i).deinitialize(count: 1) }
        base.deallocate()
        used = 0
        capacity = 0
    }
}

/// The search embedding and affinities of the last range of searches asked
/// for: consecutive rows of a user usually cover the same searches.
struct EmbeddingCache {
    var valid = false
    var lo = 0
    var hi = 0
    /// nil: NULL (no search in memory).
    var embedding: [Float]?
    /// `PackedFeatureRow.hash` of `embedding`, made once for every row that shares it.
    var embeddingHash = Hash128(high: 0, low: 0)
    /// Per category; nil where the cosine is undefined (NULL).
    var affinities: [Double?] = []
}

/// User id → table slot: open addressing with linear probing on a cheap
/// hash of the id's UTF-8 bytes (a `Dictionary<String, _>` spends most of a
/// lookup in SipHash). The ids themselves are the table's (`UserTable`).
struct UserIndex {
    /// (hash, slot + 1); slot + 1 == 0 is an empty cell.
    private var cells: [(hash: UInt32, slotPlusOne: Int32)]
    private var mask: Int
    private(set) var count = 0

    init() {
        cells = Array(repeating: (0, 0), count: 1024)
        mask = 1023
    }

    @inline(__always)
    static func hash(_ id: String) -> UInt32 {
        var id = id
        return id.withUTF8 { bytes -> UInt32 in
            let raw = UnsafeRawBufferPointer(bytes)
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            if i < raw.count {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while i < raw.count {
                    tail |= UInt64(raw[i]) << shift
                    shift += 8
                    i += 1
                }
                h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
            }
            h ^= h >> 29
            h = h &* 0x94D0_49BB_1331_11EB
            h ^= h >> 32
            return UInt32(truncatingIfNeeded: h)
        }
    }

    @inline(__always)
    func find(_ id: String, hash: UInt32, in users: UserTable) -> Int32? {
        cells.withUnsafeBufferPointer { cells in
            var i = Int(hash) & mask
            while true {
                let cell = cells[i]
                if cell.slotPlusOne == 0 { return nil }
                if cell.hash == hash && users[cell.slotPlusOne - 1].pointee.userId == id { return cell.slotPlusOne - 1 }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds an id known to be absent.
    mutating func insert(hash: UInt32, slot: Int32) {
        if (count + 1) * 2 > cells.count { grow() }
        var i = Int(hash) & mask
        while cells[i].slotPlusOne != 0 { i = (i + 1) & mask }
        cells[i] = (hash, slot + 1)
        count += 1
    }

    /// Removes the cell of `slot` (backward-shift deletion keeps probes unbroken).
    mutating func remove(hash: UInt32, slot: Int32) {
        var i = Int(hash) & mask
        while cells[i].slotPlusOne != slot + 1 { i = (i + 1) & mask }
        var hole = i
        var j = (i + 1) & mask
        while cells[j].slotPlusOne != 0 {
            let home = Int(cells[j].hash) & mask
            // Move j into the hole when its home is not in (hole, j] cyclically.
            let distanceToJ = (j - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToJ {
                cells[hole] = cells[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        cells[hole] = (0, 0)
        count -= 1
    }

    private mutating func grow() {
        let old = cells
        cells = Array(repeating: (0, 0), count: old.count * 2)
        mask = cells.count - 1
        for cell in old where cell.slotPlusOne != 0 {
            var i = Int(cell.hash) & mask
            while cells[i].slotPlusOne != 0 { i = (i + 1) & mask }
            cells[i] = cell
        }
    }
}
