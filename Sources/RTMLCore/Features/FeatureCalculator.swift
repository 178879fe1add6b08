/// Positions of the built-in features in `FeatureSchema.columns`.
enum FeatureColumns {
    static let count = FeatureSchema.columns.count
    static let sleepStarts = at("session_sleep_starts")
    static let sleepBounces = at("session_sleep_bounces")
    static let sleepBounceRate = at("session_sleep_bounce_rate")
    static let searchEmbedding = at("search_embedding")
    static let searchAffinity = ContentCategory.allCases.map { at("search_affinity_\($0.name)") }
    static let stepsSlope = at("steps_slope_10m")
    static let stepsMean = at("steps_mean_10m")
    static let heartRateSlope = at("heart_rate_slope_10m")
    static let heartRateMean = at("heart_rate_mean_10m")
    static let starts = ContentCategory.allCases.map { at("starts_\($0.name)_10m") }
    static let completes = ContentCategory.allCases.map { at("completes_\($0.name)_10m") }
    static let lastEvent = at("last_event")
    static let lastEventTs = at("last_event_ts")

    private static func at(_ name: String) -> Int {
        guard let i = FeatureSchema.index(of: name) else { fatalError("FeatureSchema has no column \(name)") }
        return i
    }
}

/// Per-category column positions, held by the calculator (no lazy-static check per read).
struct CategoryColumns {
    let starts = FeatureColumns.starts
    let completes = FeatureColumns.completes
    let affinity = FeatureColumns.searchAffinity
}

/// Count, mean and least-squares slope of one biometric signal over the trailing span.
struct SignalStats: Equatable {
    var count = 0
    var mean = 0.0
    /// Per minute; nil with fewer than two samples or all at one instant.
    var slope: Double?
}

/// When a biometric sample signals a change of trend (the `biometric.trend` trigger).
///
/// A sample's level has one bit per signal: set when that signal's slope as
/// of the sample is at least its threshold, computed from at least
/// `minimumSamples` samples. A sample triggers when its level differs from
/// the level of the user's previous sample in event time (0 when there is
/// none within the trailing span): heart rate or steps started or stopped rising.
public enum BiometricTrend {
    /// bpm per minute: a walk or run ramps up by about 3–13.
    public static let heartRateThreshold = 3.0
    /// Steps per sample, per minute.
    public static let stepsThreshold = 8.0
    public static let minimumSamples = 3

    static func level(steps: SignalStats, heartRate: SignalStats) -> UInt8 {
        var level: UInt8 = 0
        if heartRate.count >= minimumSamples, let s = heartRate.slope, s >= heartRateThreshold { level |= 1 }
        if steps.count >= minimumSamples, let s = steps.slope, s >= stepsThreshold { level |= 2 }
        return level
    }
}

/// Computes feature rows from a user's state, as of a given event time.
struct FeatureCalculator {
    let config: FeatureConfig
    let embeddings: TermEmbeddings
    /// Seed-term vectors of the categories (nil: no seed term has a vector) and their norms.
    let categoryVectors: [[Double]?]
    let categoryNorms: [Double]
    let columns = CategoryColumns()

    init(config: FeatureConfig, embeddings: TermEmbeddings) {
        self.config = config
        self.embeddings = embeddings
        var vectors: [[Double]?] = []
        var norms: [Double] = []
        for category in ContentCategory.allCases {
            if let v = embeddings.embed(CategorySeeds.terms(category).joined(separator: " ")) {
                let d = v.map(Double.init)
                let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vectors.append(norm > 0 ? d : nil)
                norms.append(norm)
            } else {
                vectors.append(nil)
                norms.append(0)
            }
        }
        categoryVectors = vectors
        categoryNorms = norms
    }

    /// The row of `user` as of `t` from the state's events with time <= t.
    @inline(__always)
    func row(
        _ user: UnsafeMutablePointer<UserState>, asOf t: Int64, session: SessionCounts, lastEvent: String, updatedAt: Int64
    ) -> (row: FeatureRow, steps: SignalStats, heartRate: SignalStats) {
        var steps = SignalStats(), heartRate = SignalStats()
        let values = [FeatureValue](unsafeUninitializedCapacity: FeatureColumns.count) { buffer, initialized in
            buffer.initialize(repeating: .null)
            initialized = buffer.count
            (steps, heartRate) = fill(buffer.baseAddress!, user, asOf: t, session: session, lastEvent: lastEvent)
        }
        return (FeatureRow(userId: user.pointee.userId, eventTs: t, updatedAt: updatedAt, values: values), steps, heartRate)
    }

    /// Writes the row's values into `values` (all `.null` on entry: a value
    /// is written over a `.null` without destroying it, which holds nothing).
    @inline(__always)
    private func fill(
        _ values: UnsafeMutablePointer<FeatureValue>, _ user: UnsafeMutablePointer<UserState>, asOf t: Int64,
        session: SessionCounts, lastEvent: String
    ) -> (SignalStats, SignalStats) {
        @inline(__always) func put(_ k: Int, _ v: FeatureValue) { (values + k).initialize(to: v) }
        put(FeatureColumns.sleepStarts, .integer(session.starts))
        put(FeatureColumns.sleepBounces, .integer(session.bounces))
        if session.starts > 0 {
            put(FeatureColumns.sleepBounceRate, .real(Double(session.bounces) / Double(session.starts)))
        }

        searchFeatures(user, asOf: t, into: values)

        let trailingBound = Saturating.sub(t, config.trailingMillis)
        let (steps, heartRate) = user.pointee.samples.withUnsafeBufferPointer { samples in
            let hi = samples.end(atOrBefore: t)
            let lo = samples.start(after: trailingBound, end: hi)
            return (Self.stats(samples, lo, hi, t, heartRate: false), Self.stats(samples, lo, hi, t, heartRate: true))
        }
        if steps.count > 0 { put(FeatureColumns.stepsMean, .real(steps.mean)) }
        if let s = steps.slope { put(FeatureColumns.stepsSlope, .real(s)) }
        if heartRate.count > 0 { put(FeatureColumns.heartRateMean, .real(heartRate.mean)) }
        if let s = heartRate.slope { put(FeatureColumns.heartRateSlope, .real(s)) }

        var starts: (Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0)
        var completes: (Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0)
        user.pointee.contents.withUnsafeBufferPointer { contents in
            let chi = contents.end(atOrBefore: t)
            let clo = contents.start(after: trailingBound, end: chi)
            withUnsafeMutableBytes(of: &starts) { s in
                withUnsafeMutableBytes(of: &completes) { c in
                    let sp = s.bindMemory(to: Int64.self), cp = c.bindMemory(to: Int64.self)
                    for i in clo..<chi {
                        let mark = contents[i]
                        if mark.isComplete { cp[Int(mark.category)] += 1 } else { sp[Int(mark.category)] += 1 }
                    }
                    for k in 0..<5 {
                        put(columns.starts[k], .integer(sp[k]))
                        put(columns.completes[k], .integer(cp[k]))
                    }
                }
            }
        }

        put(FeatureColumns.lastEvent, .text(lastEvent))
        put(FeatureColumns.lastEventTs, .integer(t))
        return (steps, heartRate)
    }

    /// Mean and OLS slope per minute of one signal over samples lo..<hi,
    /// against time in minutes relative to `t` (two passes, centred).
    @inline(__always)
    static func stats(_ samples: UnsafeBufferPointer<BiometricSample>, _ lo: Int, _ hi: Int, _ t: Int64,
                      heartRate: Bool) -> SignalStats {
        @inline(__always) func value(_ i: Int) -> Double { heartRate ? samples[i].heartRate : samples[i].steps }
        var n = 0
        var sumX = 0.0, sumY = 0.0
        var firstTime = Int64.min
        var oneInstant = true
        for i in lo..<hi {
            let y = value(i)
            if y.isNaN { continue }
            let time = samples[i].time
            if firstTime == .min { firstTime = time } else if time != firstTime { oneInstant = false }
            n += 1
            sumX += Double(time - t) / 60_000
            sumY += y
        }
        guard n > 0 else { return SignalStats() }
        let meanX = sumX / Double(n), meanY = sumY / Double(n)
        guard n >= 2, !oneInstant else { return SignalStats(count: n, mean: meanY, slope: nil) }
        var sxy = 0.0, sxx = 0.0
        for i in lo..<hi {
            let y = value(i)
            if y.isNaN { continue }
            let dx = Double(samples[i].time - t) / 60_000 - meanX
            sxy += dx * (y - meanY)
            sxx += dx * dx
        }
        return SignalStats(count: n, mean: meanY, slope: sxx > 0 ? sxy / sxx : nil)
    }

    /// `search_embedding` and the affinities from the searches in (t - memory, t].
    @inline(__always)
    func searchFeatures(_ user: UnsafeMutablePointer<UserState>, asOf t: Int64, into values: UnsafeMutablePointer<FeatureValue>) {
        guard !user.pointee.searches.isEmpty else { return }
        let (lo, hi) = user.pointee.searches.withUnsafeBufferPointer { searches in
            let hi = searches.end(atOrBefore: t)
            return (searches.start(after: Saturating.sub(t, config.searchMemoryMillis), end: hi), hi)
        }
        guard lo < hi else { return }
        if !(user.pointee.embeddingCache.valid && user.pointee.embeddingCache.lo == lo && user.pointee.embeddingCache.hi == hi) {
            user.pointee.embeddingCache = embedding(user.pointee.searches, lo, hi)
        }
        (values + FeatureColumns.searchEmbedding).initialize(to: user.pointee.embeddingCache.embedding)
        user.pointee.embeddingCache.affinities.withUnsafeBufferPointer { affinities in
            for k in 0..<affinities.count {
                (values + columns.affinity[k]).initialize(to: affinities[k])
            }
        }
    }

    func embedding(_ searches: [SearchMark], _ lo: Int, _ hi: Int) -> EmbeddingCache {
        let dims = embeddings.dimensions
        var sum = [Double](repeating: 0, count: dims)
        for i in lo..<hi {
            searches[i].vector.withUnsafeBufferPointer { v in
                for d in 0..<dims { sum[d] += Double(v[d]) }
            }
        }
        let n = Double(hi - lo)
        let mean = sum.map { Float($0 / n) }
        var affinities = [FeatureValue](repeating: .null, count: categoryVectors.count)
        let norm = mean.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        if norm > 0 {
            for (k, vector) in categoryVectors.enumerated() {
                guard let c = vector else { continue }
                var dot = 0.0
                for d in 0..<dims { dot += Double(mean[d]) * c[d] }
                affinities[k] = .real(dot / (norm * categoryNorms[k]))
            }
        }
        return EmbeddingCache(valid: true, lo: lo, hi: hi, embedding: .vector(mean), affinities: affinities)
    }
}
