import Foundation

/// The in-memory heart of `rtml featurize`: event-time windows, watermark,
/// sessions and the built-in features, one event at a time.
///
/// Every result depends only on the order in which events arrive, never on
/// how a caller groups them into micro-batches or when it calls the `take`
/// methods. docs/features.md states the semantics; in short:
///
/// - the watermark before an event is the largest event time of the events
///   that arrived before it, minus the delay (never decreasing);
/// - an event whose windows are all final (end <= watermark) is late and
///   changes nothing; otherwise it is counted in each of its open windows;
/// - each accepted event gets a history row as of its own event time, built
///   only from events with time <= that time, and moves the user's online row.
public final class FeatureEngine {
    public enum Outcome {
        /// Behind the watermark (the value it had before this event): changes nothing.
        case late(watermark: Int64)
        /// The user's features as of the event's time, and the reason it should
        /// trigger a prediction job (`search`, `content.complete`, `content.exit`,
        /// `biometric.trend`), if any.
        case accepted(history: FeatureRow, trigger: String?)
    }

    public let config: FeatureConfig
    public let embeddings: TermEmbeddings
    let windowing: SlidingWindows
    let calculator: FeatureCalculator

    /// Int64.min before any event; Int64.max after `flushAll`.
    public internal(set) var watermark: Int64 = .min
    public internal(set) var maxEventTime: Int64 = .min
    public internal(set) var acceptedCount: Int64 = 0
    public internal(set) var lateCount: Int64 = 0
    public internal(set) var finalisedWindowCount: Int64 = 0
    public internal(set) var evictedUserCount: Int64 = 0

    var users: [String: UserState] = [:]
    public var userCount: Int { users.count }
    public internal(set) var openWindowCount = 0

    // Event names interned for windows: the known events first, by `KnownEvent.index`.
    var eventNames: [String] = KnownEvent.allCases.map(\.rawValue)
    var eventIds: [String: Int32] = Dictionary(
        uniqueKeysWithValues: KnownEvent.allCases.map { ($0.rawValue, Int32($0.index)) })

    /// Open windows by start (all windows have one length, so also by end).
    var windowBuckets: [Int64: [(user: UserState, event: Int32)]] = [:]
    var bucketStarts: [Int64] = []

    /// Users by the minute of their largest event time (stale entries are skipped).
    var evictionBuckets: [Int64: [UserState]] = [:]
    var evictionMinutes: [Int64] = []
    static let evictionBucketMillis: Int64 = 60_000
    /// Tests turn these off to show that forgetting never changes an output.
    var pruningEnabled = true
    var evictionEnabled = true

    // Pending output, handed over by the take methods.
    var finalWindows: [WindowCount] = []
    var changedOnline: [UserState] = []
    var dirtyUsers: [UserState] = []
    var evictedIds: [String] = []
    var dirtyWindowRefs: [(user: UserState, event: Int32, start: Int64)] = []
    var finalisedWindowKeys: [(userId: String, event: String, windowStart: Int64)] = []

    public init(config: FeatureConfig, embeddings: TermEmbeddings) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        self.embeddings = embeddings
        windowing = SlidingWindows(config)
        calculator = FeatureCalculator(config: config, embeddings: embeddings)
    }

    // MARK: Processing

    public func process(_ event: FeatureEvent) -> Outcome {
        let t = event.eventTime
        let latestStart = windowing.latestStart(t)
        let window = windowing.windowMillis
        if Saturating.add(latestStart, window) <= watermark {
            lateCount += 1
            return .late(watermark: watermark)
        }
        acceptedCount += 1

        let user: UserState
        if let known = users[event.userId] {
            user = known
        } else {
            user = UserState(userId: event.userId)
            users[event.userId] = user
        }

        let eventId = event.kind.map { Int32($0.index) } ?? intern(event.event)
        var start = latestStart
        let lowest = Saturating.sub(t, window)
        while start > lowest {
            if Saturating.add(start, window) > watermark { count(user, eventId, start) }
            start &-= windowing.slideMillis
        }

        let (history, trigger) = accept(event, user)

        if t > maxEventTime {
            maxEventTime = t
            let candidate = Saturating.sub(t, config.watermarkDelayMillis)
            if candidate > watermark {
                watermark = candidate
                finaliseWindows()
                evictUsers()
            }
        }
        prune(user)
        return .accepted(history: history, trigger: trigger)
    }

    func intern(_ name: String) -> Int32 {
        if let id = eventIds[name] { return id }
        let id = Int32(eventNames.count)
        eventNames.append(name)
        eventIds[name] = id
        return id
    }

    @inline(__always)
    func count(_ user: UserState, _ event: Int32, _ start: Int64) {
        if let i = user.windowIndex(event: event, start: start) {
            user.windows[i].count += 1
            if !user.windows[i].dirty {
                user.windows[i].dirty = true
                dirtyWindowRefs.append((user, event, start))
            }
        } else {
            user.windows.append(OpenWindow(event: event, start: start, count: 1, dirty: true))
            dirtyWindowRefs.append((user, event, start))
            openWindowCount += 1
            addToBucket(user, event, start)
        }
    }

    func addToBucket(_ user: UserState, _ event: Int32, _ start: Int64) {
        if windowBuckets[start] == nil {
            let i = bucketStarts.firstIndex { $0 > start } ?? bucketStarts.count
            bucketStarts.insert(start, at: i)
        }
        windowBuckets[start, default: []].append((user, event))
    }

    /// Applies an accepted event to its user's state; returns the history row and trigger.
    func accept(_ event: FeatureEvent, _ user: UserState) -> (FeatureRow, String?) {
        let t = event.eventTime
        let kind = event.kind
        let gap = config.sessionGapMillis

        var flags: UInt8 = 0
        if event.category == .sleep {
            if kind == .contentStart { flags |= SessionCounts.sleepStart }
            if kind == .contentExit, let position = event.positionSec,
               position * 1000 < Double(config.bounceThresholdMillis) {
                flags |= SessionCounts.sleepBounce
            }
        }
        let inOrder = t >= user.maxTime
        let timelineIndex = user.timeline.insertByTime(TimelineEntry(time: t, flags: flags))
        let historySession: SessionCounts
        if inOrder {
            if user.maxTime != .min && t - user.maxTime >= gap { user.session = SessionCounts() }
            user.session.add(flags)
            historySession = user.session
        } else {
            historySession = user.sessionCounts(through: timelineIndex, gap: gap)
        }

        var sampleIndex = -1
        switch kind {
        case .contentStart, .contentComplete:
            if let category = event.category {
                user.contents.insertByTime(ContentMark(
                    time: t, category: UInt8(category.rawValue), isComplete: kind == .contentComplete))
            }
        case .search:
            if let query = event.query, let vector = embeddings.embed(query) {
                user.searches.insertByTime(SearchMark(time: t, vector: vector))
                user.embeddingCache.valid = false
            }
        case .biometric:
            if event.steps != nil || event.heartRate != nil {
                sampleIndex = user.samples.insertByTime(BiometricSample(
                    time: t, steps: event.steps ?? .nan, heartRate: event.heartRate ?? .nan, trend: 0))
            }
        default:
            break
        }

        if inOrder {
            user.maxTime = t
            user.lastEvent = event.event
            moveEvictionBucket(user)
        }

        let (history, steps, heartRate) = calculator.row(
            user, asOf: t, session: historySession, lastEvent: event.event, updatedAt: event.receivedAt)

        var trigger: String?
        switch kind {
        case .search: trigger = "search"
        case .contentComplete: trigger = "content.complete"
        case .contentExit: trigger = "content.exit"
        default: break
        }
        if sampleIndex >= 0 {
            let level = BiometricTrend.level(steps: steps, heartRate: heartRate)
            user.samples[sampleIndex].trend = level
            var previous: UInt8 = 0
            if sampleIndex > 0, user.samples[sampleIndex - 1].time > Saturating.sub(t, config.trailingMillis) {
                previous = user.samples[sampleIndex - 1].trend
            }
            if level != previous { trigger = "biometric.trend" }
        }

        if inOrder {
            user.onlineRow = history
        } else {
            user.session = user.sessionCounts(through: user.timeline.count - 1, gap: gap)
            user.onlineRow = calculator.row(
                user, asOf: user.maxTime, session: user.session, lastEvent: user.lastEvent,
                updatedAt: event.receivedAt).row
        }
        if !user.onlineChanged {
            user.onlineChanged = true
            changedOnline.append(user)
        }
        markDirty(user)
        return (history, trigger)
    }

    @inline(__always)
    func markDirty(_ user: UserState) {
        if !user.isDirty {
            user.isDirty = true
            dirtyUsers.append(user)
        }
    }

    // MARK: Bounded memory

    /// Any later accepted event has time > watermark - window (its latest
    /// window must end after the watermark): nothing at or before that can
    /// have an event inserted before it or be inside a later row's span.
    var horizon: Int64 { Saturating.sub(watermark, windowing.windowMillis) }

    /// Drops what no later row can read: timeline entries at or before the
    /// horizon (folded into the session summary), samples and content marks
    /// older than the trailing span before it, searches older than the memory.
    func prune(_ user: UserState) {
        guard pruningEnabled else { return }
        // Forget in chunks of a minute rather than an item per event: less
        // copying, the same outputs (nothing dropped can be read again).
        let h = horizon
        let slack = Self.pruneSlackMillis
        if let first = user.timeline.first, first.time <= Saturating.sub(h, slack) {
            user.foldTimeline(atOrBefore: h, gap: config.sessionGapMillis)
        }
        let trailingCut = Saturating.sub(h, config.trailingMillis)
        if let first = user.samples.first, first.time <= Saturating.sub(trailingCut, slack) {
            user.samples.removeAtOrBefore(trailingCut)
        }
        if let first = user.contents.first, first.time <= Saturating.sub(trailingCut, slack) {
            user.contents.removeAtOrBefore(trailingCut)
        }
        let searchCut = Saturating.sub(h, config.searchMemoryMillis)
        if let first = user.searches.first, first.time <= Saturating.sub(searchCut, slack) {
            user.searches.removeAtOrBefore(searchCut)
            user.embeddingCache.valid = false
        }
    }

    static let pruneSlackMillis: Int64 = 60_000

    @inline(__always)
    func moveEvictionBucket(_ user: UserState) {
        let minute = SlidingWindows.floorDiv(user.maxTime, Self.evictionBucketMillis)
        guard minute != user.evictionBucket else { return }
        user.evictionBucket = minute
        if evictionBuckets[minute] == nil {
            var i = evictionMinutes.count
            while i > 0 && evictionMinutes[i - 1] > minute { i -= 1 }
            evictionMinutes.insert(minute, at: i)
        }
        evictionBuckets[minute, default: []].append(user)
    }

    /// Drops every user whose state can no longer change a row: a later
    /// event of theirs has time > horizon, so when their largest event time
    /// is at least the memory span (session gap, trailing span, search
    /// memory) before that, it starts a new session and sees none of their
    /// samples, contents or searches. Whole minutes of largest event time go
    /// at once, so the set of users kept depends only on the events so far.
    func evictUsers() {
        guard evictionEnabled else { return }
        let threshold = Saturating.sub(Saturating.add(horizon, 1), config.memorySpanMillis)
        let bucket = Self.evictionBucketMillis
        while let minute = evictionMinutes.first,
              minute &* bucket &+ (bucket - 1) <= threshold {
            evictionMinutes.removeFirst()
            for user in evictionBuckets.removeValue(forKey: minute) ?? []
            where user.isLive && user.evictionBucket == minute {
                evict(user)
            }
        }
    }

    func evict(_ user: UserState) {
        // Its windows end by maxTime + window <= the watermark: all final already.
        assert(user.windows.isEmpty, "evicting a user with open windows")
        guard user.windows.isEmpty else { return }
        users.removeValue(forKey: user.userId)
        user.isLive = false
        evictedIds.append(user.userId)
        evictedUserCount += 1
    }

    // MARK: Windows

    func finaliseWindows() {
        let window = windowing.windowMillis
        while let start = bucketStarts.first, Saturating.add(start, window) <= watermark {
            bucketStarts.removeFirst()
            let entries = windowBuckets.removeValue(forKey: start) ?? []
            // Sort plain keys (the first 8 bytes of the user id as an
            // integer, then the entry's position); whole strings are compared
            // only on a tie.
            let names = eventNames
            var order = entries.indices.map { (prefix: entries[$0].user.sortPrefix, index: Int32($0)) }
            order.sort { l, r in
                if l.prefix != r.prefix { return l.prefix < r.prefix }
                let a = entries[Int(l.index)], b = entries[Int(r.index)]
                if a.user !== b.user {
                    let c = Self.compareBytes(a.user.userId, b.user.userId)
                    if c != 0 { return c < 0 }
                }
                return Self.compareBytes(names[Int(a.event)], names[Int(b.event)]) < 0
            }
            var batch: [WindowCount] = []
            batch.reserveCapacity(entries.count)
            let end = Saturating.add(start, window)
            for key in order {
                let (user, event) = entries[Int(key.index)]
                guard let i = user.windowIndex(event: event, start: start) else { continue }
                let count = user.windows[i].count
                user.windows.remove(at: i)
                batch.append(WindowCount(
                    userId: user.userId, event: eventNames[Int(event)], windowStart: start, windowEnd: end, count: count))
            }
            openWindowCount -= batch.count
            finalisedWindowCount += Int64(batch.count)
            for w in batch { finalisedWindowKeys.append((w.userId, w.event, w.windowStart)) }
            finalWindows += batch
        }
    }

    /// Byte order of UTF-8 (what SQLite's BINARY collation does), user first.
    @inline(__always)
    static func precedes(_ u1: String, _ e1: String, _ u2: String, _ e2: String) -> Bool {
        let c = compareBytes(u1, u2)
        return c != 0 ? c < 0 : compareBytes(e1, e2) < 0
    }

    /// memcmp order of the UTF-8 bytes, shorter first on a common prefix.
    @inline(__always)
    static func compareBytes(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                if n > 0 {
                    let c = memcmp(pa.baseAddress!, pb.baseAddress!, n)
                    if c != 0 { return Int(c) }
                }
                return pa.count - pb.count
            }
        }
    }

    /// End of input (`--flush-at-end`): the watermark moves past everything,
    /// every open window is finalised, every user dropped. Any later event is late.
    public func flushAll() {
        watermark = .max
        if maxEventTime == .min { return }
        finaliseWindows()
        evictUsers()
    }

    // MARK: Handing over results

    /// Windows finalised since the last call, in emission order (by window
    /// end, start, user id, event name).
    public func takeFinalWindows() -> [WindowCount] {
        defer { finalWindows.removeAll(keepingCapacity: true) }
        return finalWindows
    }

    /// Users whose online row changed since the last call, with that row, in
    /// the order they first changed.
    public func takeChangedOnlineRows() -> [FeatureRow] {
        var rows: [FeatureRow] = []
        rows.reserveCapacity(changedOnline.count)
        // A user dropped and seen again is two objects: the newer row wins.
        var emitted = Set<String>(minimumCapacity: changedOnline.count)
        for user in changedOnline.reversed() {
            user.onlineChanged = false
            if let row = user.onlineRow, emitted.insert(user.userId).inserted { rows.append(row) }
        }
        changedOnline.removeAll(keepingCapacity: true)
        rows.reverse()
        return rows
    }

    /// Users whose state changed since the last call, with their encoded
    /// state, or nil for users dropped from memory (delete their checkpoint).
    /// Each user appears once.
    public func takeDirtyUserStates() -> [(userId: String, state: [UInt8]?)] {
        var result: [(userId: String, state: [UInt8]?)] = []
        result.reserveCapacity(dirtyUsers.count + evictedIds.count)
        var dropped = Set<String>()
        for id in evictedIds where users[id] == nil && dropped.insert(id).inserted {
            result.append((id, nil))
        }
        for user in dirtyUsers {
            user.isDirty = false
            if user.isLive { result.append((user.userId, encodeUserState(user))) }
        }
        evictedIds.removeAll(keepingCapacity: true)
        dirtyUsers.removeAll(keepingCapacity: true)
        return result
    }

    /// Open windows added, changed or finalised since the last call: the new
    /// count, or nil when finalised (delete its checkpoint row). Each window appears once.
    public func takeDirtyWindows() -> [(userId: String, event: String, windowStart: Int64, count: Int64?)] {
        var result: [(userId: String, event: String, windowStart: Int64, count: Int64?)] = []
        result.reserveCapacity(dirtyWindowRefs.count + finalisedWindowKeys.count)
        for (user, event, start) in dirtyWindowRefs {
            guard let i = user.windowIndex(event: event, start: start), user.windows[i].dirty else { continue }
            user.windows[i].dirty = false
            result.append((user.userId, eventNames[Int(event)], start, user.windows[i].count))
        }
        for (userId, event, start) in finalisedWindowKeys {
            result.append((userId, event, start, nil))
        }
        dirtyWindowRefs.removeAll(keepingCapacity: true)
        finalisedWindowKeys.removeAll(keepingCapacity: true)
        return result
    }
}
