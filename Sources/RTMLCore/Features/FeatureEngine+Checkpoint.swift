/// Checkpointing: the driver stores these bytes in the same SQLite
/// transaction as the features of a micro-batch, and `restore` rebuilds an
/// engine that behaves exactly like the one that wrote them.
///
/// Encodings are internal: a leading format-version byte, little-endian
/// integers, exact Double/Float bit patterns.
extension FeatureEngine {
    static let globalStateVersion: UInt8 = 1

    /// Engine-wide scalars: settings fingerprint, watermark, max event time, counters.
    public func encodeGlobalState() -> [UInt8] {
        var w = StateWriter(version: Self.globalStateVersion)
        w.i64(Int64(bitPattern: settingsFingerprint.high))
        w.i64(Int64(bitPattern: settingsFingerprint.low))
        w.i64(watermark)
        w.i64(maxEventTime)
        w.i64(acceptedCount)
        w.i64(lateCount)
        w.i64(finalisedWindowCount)
        w.i64(evictedUserCount)
        return w.bytes
    }

    /// The config and term vectors the state was computed with: a checkpoint
    /// is only resumed with the same ones.
    var settingsFingerprint: Hash128 {
        var w = StateWriter(version: 0)
        for v in [config.windowMillis, config.slideMillis, windowing.offsetMillis, config.watermarkDelayMillis,
                  config.sessionGapMillis, config.bounceThresholdMillis, config.searchMemoryMillis,
                  config.trailingMillis, Int64(embeddings.dimensions)] {
            w.i64(v)
        }
        w.i64(Int64(bitPattern: embeddings.fingerprint.high))
        w.i64(Int64(bitPattern: embeddings.fingerprint.low))
        return w.bytes.withUnsafeBytes { Hash128($0) }
    }

    /// Rebuilds an engine from `encodeGlobalState`, the latest state of every
    /// user `takeDirtyUserStates` (or `takeDirtyUserCheckpoints`) reported
    /// (without the dropped ones) and every open window `takeDirtyWindows`
    /// reported (without the finalised ones; none when the user states came
    /// from `takeDirtyUserCheckpoints`, which carry their open windows).
    public static func restore(
        config: FeatureConfig, embeddings: TermEmbeddings, global: [UInt8], users: [(String, [UInt8])],
        windows: [(userId: String, event: String, windowStart: Int64, count: Int64)]
    ) throws -> FeatureEngine {
        if let problem = config.problem { throw RTMLError.usage(problem) }
        let engine = FeatureEngine(config: config, embeddings: embeddings)
        var r = try StateReader(global, what: "featurize", version: globalStateVersion)
        let fingerprint = Hash128(high: UInt64(bitPattern: try r.i64()), low: UInt64(bitPattern: try r.i64()))
        guard fingerprint == engine.settingsFingerprint else {
            throw RTMLError(
                "the checkpoint was made with other feature settings or term vectors (--window, --slide, "
                    + "--window-offset, --watermark, --session-gap, --bounce-threshold, --search-memory, --embeddings); "
                    + "run with the same ones or start a new store")
        }
        engine.watermark = try r.i64()
        engine.maxEventTime = try r.i64()
        engine.acceptedCount = try r.i64()
        engine.lateCount = try r.i64()
        engine.finalisedWindowCount = try r.i64()
        engine.evictedUserCount = try r.i64()
        try r.finish()

        var windows = windows
        for (userId, bytes) in users {
            let (decoded, lastEvent, userWindows) = try EngineCore.decodeUserState(userId, bytes, dimensions: embeddings.dimensions)
            // Windows that became final after the state was written are in user_windows already.
            for w in userWindows where Saturating.add(w.windowStart, config.windowMillis) > engine.watermark {
                windows.append((userId: userId, event: w.event, windowStart: w.windowStart, count: w.count))
            }
            guard engine.core.slot(of: userId) == nil else { throw RTMLError("checkpoint has user \"\(userId)\" twice") }
            let slot = engine.core.userSlot(userId)
            let user = engine.core.users[slot]
            let serial = user.pointee.serial
            user.pointee = decoded
            user.pointee.serial = serial
            user.pointee.lastEvent = engine.core.intern(lastEvent)
            user.pointee.session = user.pointee.sessionCounts(
                through: user.pointee.timeline.count - 1, gap: config.sessionGapMillis)
            if user.pointee.maxTime != .min { engine.core.moveEvictionBucket(slot) }
        }
        for w in windows {
            guard let slot = engine.core.slot(of: w.userId) else {
                throw RTMLError("checkpoint has an open window of user \"\(w.userId)\" but no state for that user")
            }
            guard w.count > 0, Saturating.add(w.windowStart, config.windowMillis) > engine.watermark,
                  engine.windowing.latestStart(w.windowStart) == w.windowStart
            else {
                throw RTMLError("checkpoint has an impossible open window (\(w.userId), \(w.event), start \(w.windowStart), count \(w.count))")
            }
            let event = KnownEvent(rawValue: w.event).map { Int32($0.index) } ?? engine.core.intern(w.event)
            guard engine.core.users[slot].pointee.windowRef(event: event, start: w.windowStart) == nil else {
                throw RTMLError("checkpoint has the window (\(w.userId), \(w.event), start \(w.windowStart)) twice")
            }
            _ = engine.core.addWindow(slot, event, w.windowStart, count: w.count, dirty: false)
        }
        return engine
    }
}

extension EngineCore {
    static let userStateVersion: UInt8 = 1

    /// Version 2 is version 1 followed by the user's open windows (see `encodeUserState(_:withWindows:)`).
    static let userStateWithWindowsVersion: UInt8 = 2

    /// The format `StateWriter` would write, written at once into a buffer of
    /// the exact size. With `withWindows` (format version 2) the user's open
    /// windows follow: a u32 count, then per window its start (i64), count
    /// (i64) and event name (u32 length and UTF-8 bytes), in the order of the
    /// user's refs. Only windows open now (end after the watermark) are written;
    /// `restore` also skips those that became final after the blob was written.
    func encodeUserState(_ u: UnsafeMutablePointer<UserState>, withWindows: Bool = false) -> [UInt8] {
        let lastEvent = u.pointee.lastEvent >= 0 ? eventNames[Int(u.pointee.lastEvent)] : ""
        var size = 1 + 8 + 4 + lastEvent.utf8.count + 1 + 24
        size += 4 + 9 * u.pointee.timeline.count
        size += 4 + 25 * u.pointee.samples.count
        size += 4 + 10 * u.pointee.contents.count
        size += 4
        for s in u.pointee.searches { size += 12 + 4 * s.vector.count }
        let window = windowing.windowMillis, watermark = self.watermark
        if withWindows {
            size += 4
            for ref in u.pointee.windows where Saturating.add(ref.start, window) > watermark {
                size += 20 + eventNames[Int(ref.event)].utf8.count
            }
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var w = RawStateWriter(buffer.baseAddress!)
            w.u8(withWindows ? Self.userStateWithWindowsVersion : Self.userStateVersion)
            w.i64(u.pointee.maxTime)
            w.u32(lastEvent.utf8.count)
            for b in lastEvent.utf8 { w.u8(b) }
            w.u8(u.pointee.hasBase ? 1 : 0)
            w.i64(u.pointee.baseLast)
            w.i64(u.pointee.baseCounts.starts)
            w.i64(u.pointee.baseCounts.bounces)
            u.pointee.timeline.withUnsafeBufferPointer { timeline in
                w.u32(timeline.count)
                for e in timeline {
                    w.i64(e.time)
                    w.u8(e.flags)
                }
            }
            u.pointee.samples.withUnsafeBufferPointer { samples in
                w.u32(samples.count)
                for s in samples {
                    w.i64(s.time)
                    w.u64(s.steps.bitPattern)
                    w.u64(s.heartRate.bitPattern)
                    w.u8(s.trend)
                }
            }
            u.pointee.contents.withUnsafeBufferPointer { contents in
                w.u32(contents.count)
                for c in contents {
                    w.i64(c.time)
                    w.u8(c.category)
                    w.u8(c.isComplete ? 1 : 0)
                }
            }
            w.u32(u.pointee.searches.count)
            for s in u.pointee.searches {
                w.i64(s.time)
                w.u32(s.vector.count)
                for x in s.vector { w.u32(Int(x.bitPattern)) }
            }
            if withWindows {
                var n = 0
                for ref in u.pointee.windows where Saturating.add(ref.start, window) > watermark { n += 1 }
                w.u32(n)
                for ref in u.pointee.windows where Saturating.add(ref.start, window) > watermark {
                    w.i64(ref.start)
                    w.i64(buckets[Int(ref.bucket)].entries[Int(ref.entry)].count)
                    let name = eventNames[Int(ref.event)]
                    w.u32(name.utf8.count)
                    for b in name.utf8 { w.u8(b) }
                }
            }
            precondition(w.offset == size, "user state size")
            initialized = size
        }
    }

    /// The user (with a placeholder serial), the name of its last event and,
    /// in format version 2, its open windows as written.
    static func decodeUserState(_ userId: String, _ bytes: [UInt8], dimensions: Int) throws
        -> (UserState, String, [(event: String, windowStart: Int64, count: Int64)])
    {
        let what = "user \"\(userId)\""
        let withWindows = bytes.first == userStateWithWindowsVersion
        var r = try StateReader(bytes, what: what, version: withWindows ? userStateWithWindowsVersion : userStateVersion)
        var user = UserState(userId: userId, serial: -1)
        user.maxTime = try r.i64()
        let lastEvent = try r.string()
        user.hasBase = try r.u8() != 0
        user.baseLast = try r.i64()
        user.baseCounts = SessionCounts(starts: try r.i64(), bounces: try r.i64())
        for _ in 0..<(try r.count(itemSize: 9)) {
            user.timeline.append(TimelineEntry(time: try r.i64(), flags: try r.u8()))
        }
        for _ in 0..<(try r.count(itemSize: 25)) {
            user.samples.append(BiometricSample(time: try r.i64(), steps: try r.f64(), heartRate: try r.f64(), trend: try r.u8()))
        }
        for _ in 0..<(try r.count(itemSize: 10)) {
            let time = try r.i64()
            let category = try r.u8()
            guard Int(category) < ContentCategory.allCases.count else { throw r.corrupt("category \(category)") }
            user.contents.append(ContentMark(time: time, category: category, isComplete: try r.u8() != 0))
        }
        for _ in 0..<(try r.count(itemSize: 12)) {
            let time = try r.i64()
            let n = try r.count(itemSize: 4)
            guard n == dimensions else { throw r.corrupt("a search vector of \(n) dimensions, expected \(dimensions)") }
            var vector: [Float] = []
            vector.reserveCapacity(n)
            for _ in 0..<n { vector.append(try r.f32()) }
            user.searches.append(SearchMark(time: time, vector: vector))
        }
        var windows: [(event: String, windowStart: Int64, count: Int64)] = []
        if withWindows {
            for _ in 0..<(try r.count(itemSize: 20)) {
                let start = try r.i64()
                let count = try r.i64()
                windows.append((event: try r.string(), windowStart: start, count: count))
            }
        }
        try r.finish()
        return (user, lastEvent, windows)
    }

}
