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
        case accepted(history: PackedFeatureRow, trigger: String?)
    }

    public let config: FeatureConfig
    public let embeddings: TermEmbeddings
    var windowing: SlidingWindows { core.windowing }

    /// All mutable state, in one struct: a call reaches it through a single
    /// access to this property (one exclusivity check per call, not one per
    /// field touched).
    var core: EngineCore

    /// Int64.min before any event; after `flushAll`, the end of the last window holding an event.
    public internal(set) var watermark: Int64 {
        get { core.watermark }
        set { core.watermark = newValue }
    }
    public internal(set) var maxEventTime: Int64 {
        get { core.maxEventTime }
        set { core.maxEventTime = newValue }
    }
    public internal(set) var acceptedCount: Int64 {
        get { core.acceptedCount }
        set { core.acceptedCount = newValue }
    }
    public internal(set) var lateCount: Int64 {
        get { core.lateCount }
        set { core.lateCount = newValue }
    }
    public internal(set) var finalisedWindowCount: Int64 {
        get { core.finalisedWindowCount }
        set { core.finalisedWindowCount = newValue }
    }
    public internal(set) var evictedUserCount: Int64 {
        get { core.evictedUserCount }
        set { core.evictedUserCount = newValue }
    }
    public var userCount: Int { core.userIndex.count }

    /// The users that had an event since the last call (each once per
    /// in-memory state: one evicted and back again comes again), so a
    /// caller counting distinct users does one set insert per user, not per event.
    /// Off by default: a caller that never takes them would keep them all.
    public var tracksTouchedUsers: Bool {
        get { core.tracksTouchedUsers }
        set { core.tracksTouchedUsers = newValue }
    }

    public func takeTouchedUsers() -> [String] {
        defer { core.touchedUsers.removeAll(keepingCapacity: true) }
        return core.touchedUsers
    }
    public var openWindowCount: Int { core.openWindowCount }

    /// Tests turn these off to show that forgetting never changes an output.
    var pruningEnabled: Bool {
        get { core.pruningEnabled }
        set { core.pruningEnabled = newValue }
    }
    var evictionEnabled: Bool {
        get { core.evictionEnabled }
        set { core.evictionEnabled = newValue }
    }

    public init(config: FeatureConfig, embeddings: TermEmbeddings) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        self.embeddings = embeddings
        core = EngineCore(config: config, embeddings: embeddings)
    }

    deinit {
        core.users.destroy()
    }

    /// A copy of a user's state (for tests), nil when not in memory.
    func userState(_ userId: String) -> UserState? {
        guard let slot = core.slot(of: userId) else { return nil }
        return core.users[slot].pointee
    }

    public func process(_ event: FeatureEvent) -> Outcome {
        core.process(event)
    }

    /// End of input (`--flush-at-end`): the watermark moves to the end of the
    /// last window holding an event, so every open window is finalised; every
    /// user is dropped. A later event is late only if all its windows are among those.
    public func flushAll() {
        core.flushAll()
    }

    // MARK: Handing over results

    /// Windows finalised since the last call, in emission order (by window
    /// end, start, user id, event name).
    public func takeFinalWindows() -> [WindowCount] {
        core.takeFinalWindows().windowCounts
    }

    /// `takeFinalWindows` in the compact form the store writes.
    public func takeFinalWindowList() -> FinalWindows {
        core.takeFinalWindows()
    }

    /// Users whose online row changed since the last call, with that row, in
    /// the order they first changed.
    public func takeChangedOnlineRows() -> [PackedFeatureRow] {
        core.takeChangedOnlineRows()
    }

    /// Users whose state changed since the last call, with their encoded
    /// state, or nil for users dropped from memory (delete their checkpoint).
    /// Each user appears once.
    public func takeDirtyUserStates() -> [(userId: String, state: [UInt8]?)] {
        core.takeDirtyUserStates()
    }

    /// Like `takeDirtyUserStates`, but each state also holds the user's open
    /// windows (their counts as of now), so a checkpoint needs no row per
    /// open window: featurize's way. Use it with `tracksDirtyWindows` off.
    public func takeDirtyUserCheckpoints() -> [(userId: String, state: [UInt8]?)] {
        core.takeDirtyUserStates(withWindows: true)
    }

    /// Whether the engine keeps the list `takeDirtyWindows` hands over (on
    /// by default). A caller that checkpoints with `takeDirtyUserCheckpoints`
    /// turns it off: the list would grow without bound, untaken.
    public var tracksDirtyWindows: Bool {
        get { core.tracksDirtyWindows }
        set {
            core.tracksDirtyWindows = newValue
            if !newValue {
                core.dirtyWindowRefs.removeAll()
                core.finalisedWindowKeys.removeAll()
            }
        }
    }

    /// Marks every user in memory as changed, so the next `take` of states
    /// reports them all (after restoring from another checkpoint format).
    public func markAllUsersDirty() {
        core.markAllUsersDirty()
    }

    /// Open windows added, changed or finalised since the last call: the new
    /// count, or nil when finalised (delete its checkpoint row). Each window appears once.
    public func takeDirtyWindows() -> [(userId: String, event: String, windowStart: Int64, count: Int64?)] {
        core.takeDirtyWindows()
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
}

/// Sort key of a bucket entry: id prefix, then event-name rank and position.
struct EmissionKey {
    var high: UInt64
    var low: UInt64

    @inline(__always)
    static func less(_ a: EmissionKey, _ b: EmissionKey) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Quicksort (median of three) with insertion sort for short ranges; keys are distinct.
    static func sort(_ p: UnsafeMutablePointer<EmissionKey>, _ n: Int) {
        var lo = 0, hi = n - 1
        while hi - lo > 16 {
            let mid = lo + (hi - lo) / 2
            if less(p[mid], p[lo]) { p.swapAt(mid, lo) }
            if less(p[hi], p[lo]) { p.swapAt(hi, lo) }
            if less(p[hi], p[mid]) { p.swapAt(hi, mid) }
            let pivot = p[mid]
            var i = lo, j = hi
            while i <= j {
                while less(p[i], pivot) { i += 1 }
                while less(pivot, p[j]) { j -= 1 }
                if i <= j {
                    p.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Recurse into the smaller side, loop on the larger.
            if j - lo < hi - i {
                if lo < j { sort(p + lo, j - lo + 1) }
                lo = i
            } else {
                if i < hi { sort(p + i, hi - i + 1) }
                hi = j
            }
        }
        if hi > lo {
            for k in (lo + 1)...hi {
                let x = p[k]
                var m = k
                while m > lo && less(x, p[m - 1]) {
                    p[m] = p[m - 1]
                    m -= 1
                }
                p[m] = x
            }
        }
    }
}

extension UnsafeMutablePointer {
    @inline(__always)
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}

/// A finalised window, for `takeDirtyWindows` (a struct: its array is
/// destroyed by specialised code, not the runtime's generic tuple code).
struct FinalisedKey {
    var userId: String
    var event: Int32
    var windowStart: Int64
}

/// A user in a list that can outlive it.
struct SlotRef {
    var slot: Int32
    var serial: Int64
}

/// One (user, event name) count of the window of a bucket.
struct BucketEntry {
    var prefix: UInt64
    var slot: Int32
    var event: Int32
    var count: Int64
    /// Changed since the last `takeDirtyWindows`.
    var dirty: Bool
}

/// The open windows of one start (all windows have one length, so one end).
/// Buckets are reused; `generation` tells a reused one from its past.
struct WindowBucket {
    var start: Int64 = 0
    var generation: UInt32 = 0
    var entries: [BucketEntry] = []
}

/// The engine's state and logic (see `FeatureEngine`).
struct EngineCore {
    let config: FeatureConfig
    let embeddings: TermEmbeddings
    let windowing: SlidingWindows
    let calculator: FeatureCalculator

    var watermark: Int64 = .min
    var maxEventTime: Int64 = .min
    var acceptedCount: Int64 = 0
    var lateCount: Int64 = 0
    var finalisedWindowCount: Int64 = 0
    var evictedUserCount: Int64 = 0
    var openWindowCount = 0

    var users = UserTable()
    var userIndex = UserIndex()
    var nextSerial: Int64 = 0
    /// Users whose state had its first event since `takeTouchedUsers` (a
    /// user evicted and back again appears again).
    var touchedUsers: [String] = []
    var tracksTouchedUsers = false

    // Event names interned for windows: the known events first, by `KnownEvent.index`.
    var eventNames: [String] = KnownEvent.allCases.map(\.rawValue)
    var eventIds: [String: Int32] = Dictionary(
        uniqueKeysWithValues: KnownEvent.allCases.map { ($0.rawValue, Int32($0.index)) })
    /// Position of each interned name in byte order (recomputed when a name is added).
    var eventRanks: [Int32] = []

    /// Open windows: buckets by start, the starts in order, unused buckets.
    var buckets: [WindowBucket] = []
    var bucketOfStart: [Int64: Int32] = [:]
    var bucketStarts: [Int64] = []
    var spareBuckets: [Int32] = []
    /// The buckets of the two starts last looked up (an event is in two
    /// windows with the default settings, and events come in runs of one start).
    var lastStart: Int64 = .min
    var lastBucket: Int32 = -1
    var otherStart: Int64 = .min
    var otherBucket: Int32 = -1

    /// Users by the minute of their largest event time (stale entries are skipped).
    var evictionListOf: [Int64: Int32] = [:]
    var evictionLists: [[SlotRef]] = []
    var spareEvictionLists: [Int32] = []
    var evictionMinutes: [Int64] = []
    /// The list of the minute last added to (users move in runs of one minute).
    var lastEvictionMinute: Int64 = .min
    var lastEvictionList: Int32 = -1
    static let evictionBucketMillis: Int64 = 60_000
    var pruningEnabled = true
    var evictionEnabled = true

    // Pending output, handed over by the take methods.
    var finalWindows = FinalWindows()
    var changedOnline: [SlotRef] = []
    /// Online rows not yet handed over of users dropped since, by serial.
    var droppedOnline: [Int64: PackedFeatureRow] = [:]
    var dirtyUsers: [SlotRef] = []
    var evictedIds: [String] = []
    var dirtyWindowRefs: [(bucket: Int32, generation: UInt32, entry: Int32)] = []
    var finalisedWindowKeys: [FinalisedKey] = []
    var tracksDirtyWindows = true

    init(config: FeatureConfig, embeddings: TermEmbeddings) {
        self.config = config
        self.embeddings = embeddings
        windowing = SlidingWindows(config)
        calculator = FeatureCalculator(config: config, embeddings: embeddings)
        eventRanks = Self.ranks(eventNames)
    }

    static func ranks(_ names: [String]) -> [Int32] {
        let order = names.indices.sorted { FeatureEngine.compareBytes(names[$0], names[$1]) < 0 }
        var ranks = [Int32](repeating: 0, count: names.count)
        for (rank, id) in order.enumerated() { ranks[id] = Int32(rank) }
        return ranks
    }

    // MARK: Processing

    mutating func process(_ event: FeatureEvent) -> FeatureEngine.Outcome {
        let t = event.eventTime
        let latestStart = windowing.latestStart(t)
        let window = windowing.windowMillis
        if Saturating.add(latestStart, window) <= watermark {
            lateCount += 1
            return .late(watermark: watermark)
        }
        acceptedCount += 1

        let slot = userSlot(event.userId)
        if tracksTouchedUsers && !users[slot].pointee.touched {
            users[slot].pointee.touched = true
            touchedUsers.append(event.userId)
        }
        let eventId = event.kind.map { Int32($0.index) } ?? intern(event.event)
        var start = latestStart
        let lowest = Saturating.sub(t, window)
        while start > lowest {
            if Saturating.add(start, window) > watermark { count(slot, eventId, start) }
            start &-= windowing.slideMillis
        }

        let (history, trigger) = accept(event, slot, eventId)

        if t > maxEventTime {
            maxEventTime = t
            let candidate = Saturating.sub(t, config.watermarkDelayMillis)
            if candidate > watermark {
                watermark = candidate
                finaliseWindows()
                evictUsers()
            }
        }
        prune(users[slot])
        return .accepted(history: history, trigger: trigger)
    }

    @inline(__always)
    mutating func userSlot(_ userId: String) -> Int32 {
        let hash = UserIndex.hash(userId)
        if let known = userIndex.find(userId, hash: hash, in: users) { return known }
        let slot = users.add(UserState(userId: userId, serial: nextSerial))
        nextSerial += 1
        userIndex.insert(hash: hash, slot: slot)
        return slot
    }

    func slot(of userId: String) -> Int32? {
        userIndex.find(userId, hash: UserIndex.hash(userId), in: users)
    }

    mutating func intern(_ name: String) -> Int32 {
        if let id = eventIds[name] { return id }
        let id = Int32(eventNames.count)
        eventNames.append(name)
        eventIds[name] = id
        eventRanks = Self.ranks(eventNames)
        return id
    }

    @inline(__always)
    mutating func count(_ slot: Int32, _ event: Int32, _ start: Int64) {
        let user = users[slot]
        if let i = user.pointee.windowRef(event: event, start: start) {
            let ref = user.pointee.windows[i]
            let b = Int(ref.bucket), e = Int(ref.entry)
            buckets[b].entries[e].count += 1
            if tracksDirtyWindows && !buckets[b].entries[e].dirty {
                buckets[b].entries[e].dirty = true
                dirtyWindowRefs.append((ref.bucket, buckets[b].generation, ref.entry))
            }
        } else {
            let (bucket, entry) = addWindow(slot, event, start, count: 1, dirty: tracksDirtyWindows)
            if tracksDirtyWindows { dirtyWindowRefs.append((bucket, buckets[Int(bucket)].generation, entry)) }
        }
    }

    /// A new open window of the user: an entry in its start's bucket and a ref from the user.
    mutating func addWindow(_ slot: Int32, _ event: Int32, _ start: Int64, count: Int64, dirty: Bool) -> (Int32, Int32) {
        let bucket = self.bucket(start)
        let user = users[slot]
        let entry = Int32(buckets[Int(bucket)].entries.count)
        buckets[Int(bucket)].entries.append(
            BucketEntry(prefix: user.pointee.sortPrefix, slot: slot, event: event, count: count, dirty: dirty))
        // Drop the refs of final windows first, so the list stays short.
        let window = windowing.windowMillis, watermark = self.watermark
        var dropCount = 0
        if let first = user.pointee.windows.first, Saturating.add(first.start, window) <= watermark {
            user.pointee.windows.withUnsafeMutableBufferPointer { refs in
                var kept = 0
                for i in 0..<refs.count where Saturating.add(refs[i].start, window) > watermark {
                    refs[kept] = refs[i]
                    kept += 1
                }
                dropCount = refs.count - kept
            }
            user.pointee.windows.removeLast(dropCount)
        }
        user.pointee.windows.append(WindowRef(start: start, event: event, bucket: bucket, entry: entry))
        openWindowCount += 1
        return (bucket, entry)
    }

    @inline(__always)
    mutating func bucket(_ start: Int64) -> Int32 {
        if start == lastStart { return lastBucket }
        if start == otherStart {
            swap(&lastStart, &otherStart)
            swap(&lastBucket, &otherBucket)
            return lastBucket
        }
        let bucket: Int32
        if let known = bucketOfStart[start] {
            bucket = known
        } else {
            if let spare = spareBuckets.popLast() {
                bucket = spare
            } else {
                bucket = Int32(buckets.count)
                buckets.append(WindowBucket())
            }
            buckets[Int(bucket)].start = start
            bucketOfStart[start] = bucket
            var i = bucketStarts.count
            while i > 0 && bucketStarts[i - 1] > start { i -= 1 }
            bucketStarts.insert(start, at: i)
        }
        otherStart = lastStart
        otherBucket = lastBucket
        lastStart = start
        lastBucket = bucket
        return bucket
    }

    /// Applies an accepted event to its user's state; returns the history row and trigger.
    @inline(__always)
    mutating func accept(_ event: FeatureEvent, _ slot: Int32, _ eventId: Int32) -> (PackedFeatureRow, String?) {
        let user = users[slot]
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
        let inOrder = t >= user.pointee.maxTime
        let timelineIndex = user.pointee.timeline.insertByTime(TimelineEntry(time: t, flags: flags))
        let historySession: SessionCounts
        if inOrder {
            if user.pointee.maxTime != .min && t - user.pointee.maxTime >= gap { user.pointee.session = SessionCounts() }
            user.pointee.session.add(flags)
            historySession = user.pointee.session
        } else {
            historySession = user.pointee.sessionCounts(through: timelineIndex, gap: gap)
        }

        var sampleIndex = -1
        switch kind {
        case .contentStart, .contentComplete:
            if let category = event.category {
                user.pointee.contents.insertByTime(ContentMark(
                    time: t, category: UInt8(category.rawValue), isComplete: kind == .contentComplete))
            }
        case .search:
            if let query = event.query, let vector = embeddings.embed(query) {
                user.pointee.searches.insertByTime(SearchMark(time: t, vector: vector))
                user.pointee.embeddingCache.valid = false
            }
        case .biometric:
            if event.steps != nil || event.heartRate != nil {
                sampleIndex = user.pointee.samples.insertByTime(BiometricSample(
                    time: t, steps: event.steps ?? .nan, heartRate: event.heartRate ?? .nan, trend: 0))
            }
        default:
            break
        }

        if inOrder {
            user.pointee.maxTime = t
            user.pointee.lastEvent = eventId
            moveEvictionBucket(slot)
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
            user.pointee.samples[sampleIndex].trend = level
            var previous: UInt8 = 0
            if sampleIndex > 0,
               user.pointee.samples[sampleIndex - 1].time > Saturating.sub(t, config.trailingMillis) {
                previous = user.pointee.samples[sampleIndex - 1].trend
            }
            if level != previous { trigger = "biometric.trend" }
        }

        if inOrder {
            user.pointee.onlineRow = history
        } else {
            user.pointee.session = user.pointee.sessionCounts(through: user.pointee.timeline.count - 1, gap: gap)
            user.pointee.onlineRow = calculator.row(
                user, asOf: user.pointee.maxTime, session: user.pointee.session,
                lastEvent: eventNames[Int(user.pointee.lastEvent)], updatedAt: event.receivedAt).row
        }
        if !user.pointee.onlineChanged {
            user.pointee.onlineChanged = true
            changedOnline.append(SlotRef(slot: slot, serial: user.pointee.serial))
        }
        if !user.pointee.isDirty {
            user.pointee.isDirty = true
            dirtyUsers.append(SlotRef(slot: slot, serial: user.pointee.serial))
        }
        return (history, trigger)
    }

    // MARK: Bounded memory

    /// Any later accepted event has time > watermark - window (its latest
    /// window must end after the watermark): nothing at or before that can
    /// have an event inserted before it or be inside a later row's span.
    var horizon: Int64 { Saturating.sub(watermark, windowing.windowMillis) }

    static let pruneSlackMillis: Int64 = 60_000

    /// Drops what no later row can read: timeline entries at or before the
    /// horizon (folded into the session summary), samples and content marks
    /// older than the trailing span before it, searches older than the memory.
    /// Forgets in chunks of a minute rather than an item per event: less
    /// copying, the same outputs (nothing dropped can be read again).
    @inline(__always)
    func prune(_ user: UnsafeMutablePointer<UserState>) {
        guard pruningEnabled else { return }
        let h = horizon
        let slack = Self.pruneSlackMillis
        if let first = user.pointee.timeline.first, first.time <= Saturating.sub(h, slack) {
            user.pointee.foldTimeline(atOrBefore: h, gap: config.sessionGapMillis)
        }
        let trailingCut = Saturating.sub(h, config.trailingMillis)
        if let first = user.pointee.samples.first, first.time <= Saturating.sub(trailingCut, slack) {
            user.pointee.samples.removeAtOrBefore(trailingCut)
        }
        if let first = user.pointee.contents.first, first.time <= Saturating.sub(trailingCut, slack) {
            user.pointee.contents.removeAtOrBefore(trailingCut)
        }
        let searchCut = Saturating.sub(h, config.searchMemoryMillis)
        if let first = user.pointee.searches.first, first.time <= Saturating.sub(searchCut, slack) {
            user.pointee.searches.removeAtOrBefore(searchCut)
            user.pointee.embeddingCache.valid = false
        }
    }

    @inline(__always)
    mutating func moveEvictionBucket(_ slot: Int32) {
        let user = users[slot]
        let minute = SlidingWindows.floorDiv(user.pointee.maxTime, Self.evictionBucketMillis)
        guard minute != user.pointee.evictionBucket else { return }
        user.pointee.evictionBucket = minute
        let list: Int32
        if minute == lastEvictionMinute {
            list = lastEvictionList
        } else if let known = evictionListOf[minute] {
            list = known
        } else {
            if let spare = spareEvictionLists.popLast() {
                list = spare
            } else {
                list = Int32(evictionLists.count)
                evictionLists.append([])
            }
            evictionListOf[minute] = list
            var i = evictionMinutes.count
            while i > 0 && evictionMinutes[i - 1] > minute { i -= 1 }
            evictionMinutes.insert(minute, at: i)
        }
        lastEvictionMinute = minute
        lastEvictionList = list
        evictionLists[Int(list)].append(SlotRef(slot: slot, serial: user.pointee.serial))
    }

    @inline(__always)
    func isLive(_ slot: Int32, _ serial: Int64) -> Bool {
        users.live[Int(slot)] && users[slot].pointee.serial == serial
    }

    /// Drops every user whose state can no longer change a row: a later
    /// event of theirs has time > horizon, so when their largest event time
    /// is at least the memory span (session gap, trailing span, search
    /// memory) before that, it starts a new session and sees none of their
    /// samples, contents or searches. Whole minutes of largest event time go
    /// at once, so the set of users kept depends only on the events so far.
    mutating func evictUsers() {
        guard evictionEnabled else { return }
        let threshold = Saturating.sub(Saturating.add(horizon, 1), config.memorySpanMillis)
        let bucket = Self.evictionBucketMillis
        var k = 0
        while k < evictionMinutes.count, evictionMinutes[k] &* bucket &+ (bucket - 1) <= threshold {
            let minute = evictionMinutes[k]
            if let list = evictionListOf.removeValue(forKey: minute) {
                if minute == lastEvictionMinute { lastEvictionMinute = .min }
                var refs = evictionLists[Int(list)]
                evictionLists[Int(list)] = []
                for ref in refs
                where isLive(ref.slot, ref.serial) && users[ref.slot].pointee.evictionBucket == minute {
                    evict(ref.slot)
                }
                refs.removeAll(keepingCapacity: true)
                evictionLists[Int(list)] = refs
                spareEvictionLists.append(list)
            }
            k += 1
        }
        if k > 0 { evictionMinutes.removeFirst(k) }
    }

    mutating func evict(_ slot: Int32) {
        let user = users[slot]
        // Its windows end by maxTime + window <= the watermark: all final already.
        let open = user.pointee.hasOpenWindow(windowMillis: windowing.windowMillis, watermark: watermark)
        assert(!open, "evicting a user with open windows")
        guard !open else { return }
        let userId = user.pointee.userId
        if user.pointee.onlineChanged, let row = user.pointee.onlineRow {
            droppedOnline[user.pointee.serial] = row
        }
        userIndex.remove(hash: UserIndex.hash(userId), slot: slot)
        users.remove(slot)
        evictedIds.append(userId)
        evictedUserCount += 1
    }

    // MARK: Windows

    mutating func finaliseWindows() {
        let window = windowing.windowMillis
        var done = 0
        while done < bucketStarts.count, Saturating.add(bucketStarts[done], window) <= watermark {
            let start = bucketStarts[done]
            done += 1
            guard let b = bucketOfStart.removeValue(forKey: start) else { continue }
            if lastStart == start { lastStart = .min }
            if otherStart == start { otherStart = .min }
            var entries = buckets[Int(b)].entries
            buckets[Int(b)].entries = []
            buckets[Int(b)].generation &+= 1
            sortForEmission(&entries)
            let end = Saturating.add(start, window)
            finalWindows.reserveCapacity(finalWindows.count + entries.count)
            if tracksDirtyWindows {
                finalisedWindowKeys.reserveCapacity(finalisedWindowKeys.count + entries.count)
            }
            for e in entries {
                let userId = users[e.slot].pointee.userId
                finalWindows.append(userId: userId, event: eventNames[Int(e.event)], windowStart: start, windowEnd: end, count: e.count)
                if tracksDirtyWindows {
                    finalisedWindowKeys.append(FinalisedKey(userId: userId, event: e.event, windowStart: start))
                }
            }
            openWindowCount -= entries.count
            finalisedWindowCount += Int64(entries.count)
            entries.removeAll(keepingCapacity: true)
            buckets[Int(b)].entries = entries
            spareBuckets.append(b)
        }
        if done > 0 { bucketStarts.removeFirst(done) }
    }

    /// Orders one bucket's entries by user id, then event name (byte order
    /// of UTF-8): by the ids' 8-byte prefixes and the names' ranks (one
    /// 128-bit key, sorted without a comparison closure), then comparing
    /// whole ids only within a run of entries that share a prefix.
    func sortForEmission(_ entries: inout [BucketEntry]) {
        let n = entries.count
        guard n > 1 else { return }
        var keys = [EmissionKey](unsafeUninitializedCapacity: n) { keys, initialized in
            entries.withUnsafeBufferPointer { entries in
                eventRanks.withUnsafeBufferPointer { ranks in
                    for i in 0..<n {
                        let e = entries[i]
                        keys[i] = EmissionKey(high: e.prefix, low: UInt64(UInt32(ranks[Int(e.event)])) << 32 | UInt64(i))
                    }
                }
            }
            initialized = n
        }
        keys.withUnsafeMutableBufferPointer { EmissionKey.sort($0.baseAddress!, n) }
        // A run of one prefix with more than one user: order it by whole ids.
        var i = 0
        while i < n {
            var j = i + 1
            var oneUser = true
            let slot = entries[Int(keys[i].low & 0xFFFF_FFFF)].slot
            while j < n && keys[j].high == keys[i].high {
                if entries[Int(keys[j].low & 0xFFFF_FFFF)].slot != slot { oneUser = false }
                j += 1
            }
            if !oneUser {
                let users = self.users
                keys[i..<j].sort { a, b in
                    let ea = entries[Int(a.low & 0xFFFF_FFFF)], eb = entries[Int(b.low & 0xFFFF_FFFF)]
                    if ea.slot != eb.slot {
                        return FeatureEngine.compareBytes(users[ea.slot].pointee.userId, users[eb.slot].pointee.userId) < 0
                    }
                    return a.low < b.low
                }
            }
            i = j
        }
        entries = keys.map { entries[Int($0.low & 0xFFFF_FFFF)] }
    }

    mutating func flushAll() {
        if maxEventTime == .min { return }
        // Far enough to finalise every window holding an event seen so far,
        // and no further: a later run continuing the store (the next day)
        // must find its events on time, not late behind an infinite watermark.
        let flushed = max(watermark, windowing.latestEnd(maxEventTime))
        watermark = flushed
        finaliseWindows()
        // Every user goes: eviction measures idleness against the watermark,
        // so run it as if time had moved past everything, then set it back.
        watermark = .max
        evictUsers()
        watermark = flushed
    }

    // MARK: Handing over results

    mutating func takeFinalWindows() -> FinalWindows {
        defer { finalWindows.removeAll() }
        return finalWindows
    }

    mutating func takeChangedOnlineRows() -> [PackedFeatureRow] {
        var rows: [PackedFeatureRow] = []
        rows.reserveCapacity(changedOnline.count)
        // A user dropped and seen again is two users: the newer row wins.
        var emitted = Set<String>(minimumCapacity: changedOnline.count)
        for ref in changedOnline.reversed() {
            let slot = ref.slot, serial = ref.serial
            let row: PackedFeatureRow?
            if isLive(slot, serial) {
                users[slot].pointee.onlineChanged = false
                row = users[slot].pointee.onlineRow
            } else {
                row = droppedOnline[serial]
            }
            if let row, emitted.insert(row.userId).inserted { rows.append(row) }
        }
        changedOnline.removeAll(keepingCapacity: true)
        droppedOnline.removeAll()
        rows.reverse()
        return rows
    }

    mutating func markAllUsersDirty() {
        for slot in 0..<Int32(users.used) where users.live[Int(slot)] && !users[slot].pointee.isDirty {
            users[slot].pointee.isDirty = true
            dirtyUsers.append(SlotRef(slot: slot, serial: users[slot].pointee.serial))
        }
    }

    mutating func takeDirtyUserStates(withWindows: Bool = false) -> [(userId: String, state: [UInt8]?)] {
        var result: [(userId: String, state: [UInt8]?)] = []
        result.reserveCapacity(dirtyUsers.count + evictedIds.count)
        var dropped = Set<String>()
        for id in evictedIds where slot(of: id) == nil && dropped.insert(id).inserted {
            result.append((id, nil))
        }
        for ref in dirtyUsers where isLive(ref.slot, ref.serial) {
            users[ref.slot].pointee.isDirty = false
            result.append((users[ref.slot].pointee.userId, encodeUserState(users[ref.slot], withWindows: withWindows)))
        }
        evictedIds.removeAll(keepingCapacity: true)
        dirtyUsers.removeAll(keepingCapacity: true)
        return result
    }

    mutating func takeDirtyWindows() -> [(userId: String, event: String, windowStart: Int64, count: Int64?)] {
        var result: [(userId: String, event: String, windowStart: Int64, count: Int64?)] = []
        result.reserveCapacity(dirtyWindowRefs.count + finalisedWindowKeys.count)
        for (b, generation, e) in dirtyWindowRefs {
            guard buckets[Int(b)].generation == generation, buckets[Int(b)].entries[Int(e)].dirty else { continue }
            buckets[Int(b)].entries[Int(e)].dirty = false
            let entry = buckets[Int(b)].entries[Int(e)]
            result.append((users[entry.slot].pointee.userId, eventNames[Int(entry.event)], buckets[Int(b)].start, entry.count))
        }
        for key in finalisedWindowKeys {
            result.append((key.userId, eventNames[Int(key.event)], key.windowStart, nil))
        }
        dirtyWindowRefs.removeAll(keepingCapacity: true)
        finalisedWindowKeys.removeAll(keepingCapacity: true)
        return result
    }
}
