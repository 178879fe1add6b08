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

/// A per-(user, event name, window) count not yet final.
struct OpenWindow {
    var event: Int32
    var start: Int64
    var count: Int64
    /// Changed since the last `takeDirtyWindows`.
    var dirty: Bool
}

extension Array where Element: Timed {
    /// Index just past the last element with time <= `t` (elements are sorted by time).
    @inline(__always)
    func end(atOrBefore t: Int64) -> Int {
        var i = count
        while i > 0 && self[i - 1].time > t { i -= 1 }
        return i
    }

    /// First index below `end` of the run of elements with time > `bound`.
    @inline(__always)
    func start(after bound: Int64, end: Int) -> Int {
        var i = end
        while i > 0 && self[i - 1].time > bound { i -= 1 }
        return i
    }

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
/// event can still need (see `FeatureEngine.prune`).
final class UserState {
    let userId: String
    /// Largest accepted event time (`Int64.min` before the first).
    var maxTime: Int64 = .min
    /// Name of the latest event by event time (the later arrival on a tie).
    var lastEvent: String = ""

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
    var windows: [OpenWindow] = []

    // Bookkeeping, not part of the checkpoint.
    var isLive = true
    var isDirty = false
    var onlineChanged = false
    var onlineRow: FeatureRow?
    var evictionBucket: Int64 = .min
    var embeddingCache = EmbeddingCache()

    /// The first 8 bytes of the user id, big-endian (zero-padded): sorting
    /// by it agrees with byte order of the ids, and rarely ties.
    let sortPrefix: UInt64

    init(userId: String) {
        self.userId = userId
        var prefix: UInt64 = 0
        var n = 0
        for byte in userId.utf8 {
            guard n < 8 else { break }
            prefix |= UInt64(byte) << (56 - 8 * UInt64(n))
            n += 1
        }
        sortPrefix = prefix
    }

    /// Session counts as of the timeline entry at `index`: walk back while
    /// consecutive events are closer than the gap, then into the folded base.
    func sessionCounts(through index: Int, gap: Int64) -> SessionCounts {
        var counts = SessionCounts()
        let timeline = self.timeline
        guard index >= 0 else {
            if hasBase { counts = baseCounts }
            return counts
        }
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

    /// Moves timeline entries at or before `horizon` into the base summary.
    func foldTimeline(atOrBefore horizon: Int64, gap: Int64) {
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

    @inline(__always)
    func windowIndex(event: Int32, start: Int64) -> Int? {
        // A local copy: one exclusivity check instead of one per element.
        let windows = self.windows
        for i in windows.indices where windows[i].start == start && windows[i].event == event { return i }
        return nil
    }
}

/// The search embedding and affinities of the last range of searches asked
/// for: consecutive rows of a user usually cover the same searches.
struct EmbeddingCache {
    var valid = false
    var lo = 0
    var hi = 0
    var embedding: FeatureValue = .null
    var affinities: [FeatureValue] = []
}
