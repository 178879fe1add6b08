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

/// The column positions `FeatureCalculator.row` writes, held by the
/// calculator (no lazy-static check per read).
struct RowColumns {
    let sleepStarts = FeatureColumns.sleepStarts
    let sleepBounces = FeatureColumns.sleepBounces
    let sleepBounceRate = FeatureColumns.sleepBounceRate
    let stepsSlope = FeatureColumns.stepsSlope
    let stepsMean = FeatureColumns.stepsMean
    let heartRateSlope = FeatureColumns.heartRateSlope
    let heartRateMean = FeatureColumns.heartRateMean
    let lastEventTs = FeatureColumns.lastEventTs
    /// Per category, in `ContentCategory` order.
    let affinity = FeatureColumns.searchAffinity
    let starts = FeatureColumns.starts
    let completes = FeatureColumns.completes
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
    let columns = RowColumns()

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
        precondition(vectors.count == 5, "row() writes five affinities")
        Self.checkSchemaOrder()
    }

    /// The row of `user` as of `t` from the state's events with time <= t.
    ///
    /// The values are written in schema order (checked in `init`), each
    /// once, into a packed row: no heap block per row.
    @inline(__always)
    func row(
        _ user: UnsafeMutablePointer<UserState>, asOf t: Int64, session: SessionCounts, lastEvent: String, updatedAt: Int64
    ) -> (row: PackedFeatureRow, steps: SignalStats, heartRate: SignalStats) {
        let trailingBound = Saturating.sub(t, config.trailingMillis)
        let (steps, heartRate) = user.pointee.samples.withUnsafeBufferPointer { samples in
            let hi = samples.end(atOrBefore: t)
            let lo = samples.start(after: trailingBound, end: hi)
            return Self.stats(samples, lo, hi, t)
        }

        var starts = InlineArray<5, Int64>(repeating: 0)
        var completes = InlineArray<5, Int64>(repeating: 0)
        user.pointee.contents.withUnsafeBufferPointer { contents in
            let chi = contents.end(atOrBefore: t)
            let clo = contents.start(after: trailingBound, end: chi)
            for i in clo..<chi {
                let mark = contents[i]
                if mark.isComplete { completes[Int(mark.category)] += 1 } else { starts[Int(mark.category)] += 1 }
            }
        }

        let c = columns
        var row = PackedFeatureRow(userId: user.pointee.userId, eventTs: t, updatedAt: updatedAt)
        row.set(c.sleepStarts, integer: session.starts)
        row.set(c.sleepBounces, integer: session.bounces)
        if session.starts > 0 { row.set(c.sleepBounceRate, real: Double(session.bounces) / Double(session.starts)) }
        if searchFeatures(user, asOf: t) {
            if let embedding = user.pointee.embeddingCache.embedding {
                row.setVector(embedding, hash: user.pointee.embeddingCache.embeddingHash)
            }
            user.pointee.embeddingCache.affinities.withUnsafeBufferPointer { a in
                for k in 0..<5 { row.set(c.affinity[k], real: a[k]) }
            }
        }
        row.set(c.stepsSlope, real: steps.slope)
        if steps.count > 0 { row.set(c.stepsMean, real: steps.mean) }
        row.set(c.heartRateSlope, real: heartRate.slope)
        if heartRate.count > 0 { row.set(c.heartRateMean, real: heartRate.mean) }
        for k in 0..<5 {
            row.set(c.starts[k], integer: starts[k])
            row.set(c.completes[k], integer: completes[k])
        }
        row.setText(lastEvent)
        row.set(c.lastEventTs, integer: t)
        return (row, steps, heartRate)
    }

    /// `row` writes every column of the schema, each once: by name, and its
    /// one text and one vector column where `PackedFeatureRow` keeps them.
    static func checkSchemaOrder() {
        let written = [
            FeatureColumns.sleepStarts, FeatureColumns.sleepBounces, FeatureColumns.sleepBounceRate,
            FeatureColumns.searchEmbedding,
        ] + FeatureColumns.searchAffinity + [
            FeatureColumns.stepsSlope, FeatureColumns.stepsMean, FeatureColumns.heartRateSlope,
            FeatureColumns.heartRateMean,
        ] + FeatureColumns.starts + FeatureColumns.completes + [FeatureColumns.lastEvent, FeatureColumns.lastEventTs]
        precondition(written.sorted() == Array(0..<FeatureColumns.count), "FeatureCalculator.row does not write every column once")
        precondition(FeatureColumns.lastEvent == PackedFeatureRow.Layout.textColumn
            && FeatureColumns.searchEmbedding == PackedFeatureRow.Layout.vectorColumn,
            "last_event and search_embedding must be the schema's text and vector columns")
    }

    /// Mean and OLS slope per minute of steps and of heart rate over samples
    /// lo..<hi, against time in minutes relative to `t` (two passes, centred;
    /// both signals in the same passes, each with its own sums in sample order).
    @inline(__always)
    static func stats(_ samples: UnsafeBufferPointer<BiometricSample>, _ lo: Int, _ hi: Int, _ t: Int64)
        -> (steps: SignalStats, heartRate: SignalStats) {
        var ns = 0, nh = 0
        var sumXs = 0.0, sumYs = 0.0, sumXh = 0.0, sumYh = 0.0
        var firstS = Int64.min, firstH = Int64.min
        var oneInstantS = true, oneInstantH = true
        for i in lo..<hi {
            let sample = samples[i]
            let x = Double(sample.time - t) / 60_000
            if !sample.steps.isNaN {
                if firstS == .min { firstS = sample.time } else if sample.time != firstS { oneInstantS = false }
                ns += 1
                sumXs += x
                sumYs += sample.steps
            }
            if !sample.heartRate.isNaN {
                if firstH == .min { firstH = sample.time } else if sample.time != firstH { oneInstantH = false }
                nh += 1
                sumXh += x
                sumYh += sample.heartRate
            }
        }
        let meanXs = ns > 0 ? sumXs / Double(ns) : 0, meanYs = ns > 0 ? sumYs / Double(ns) : 0
        let meanXh = nh > 0 ? sumXh / Double(nh) : 0, meanYh = nh > 0 ? sumYh / Double(nh) : 0
        let slopeS = ns >= 2 && !oneInstantS, slopeH = nh >= 2 && !oneInstantH
        var sxyS = 0.0, sxxS = 0.0, sxyH = 0.0, sxxH = 0.0
        if slopeS || slopeH {
            for i in lo..<hi {
                let sample = samples[i]
                let x = Double(sample.time - t) / 60_000
                if slopeS && !sample.steps.isNaN {
                    let dx = x - meanXs
                    sxyS += dx * (sample.steps - meanYs)
                    sxxS += dx * dx
                }
                if slopeH && !sample.heartRate.isNaN {
                    let dx = x - meanXh
                    sxyH += dx * (sample.heartRate - meanYh)
                    sxxH += dx * dx
                }
            }
        }
        let steps = ns == 0 ? SignalStats()
            : SignalStats(count: ns, mean: meanYs, slope: slopeS && sxxS > 0 ? sxyS / sxxS : nil)
        let heartRate = nh == 0 ? SignalStats()
            : SignalStats(count: nh, mean: meanYh, slope: slopeH && sxxH > 0 ? sxyH / sxxH : nil)
        return (steps, heartRate)
    }

    /// Brings the user's embedding cache to the searches in (t - memory, t];
    /// false when there is none.
    @inline(__always)
    func searchFeatures(_ user: UnsafeMutablePointer<UserState>, asOf t: Int64) -> Bool {
        guard !user.pointee.searches.isEmpty else { return false }
        let (lo, hi) = user.pointee.searches.withUnsafeBufferPointer { searches in
            let hi = searches.end(atOrBefore: t)
            return (searches.start(after: Saturating.sub(t, config.searchMemoryMillis), end: hi), hi)
        }
        guard lo < hi else { return false }
        if !(user.pointee.embeddingCache.valid && user.pointee.embeddingCache.lo == lo && user.pointee.embeddingCache.hi == hi) {
            user.pointee.embeddingCache = embedding(user.pointee.searches, lo, hi)
        }
        return true
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
        var affinities = [Double?](repeating: nil, count: categoryVectors.count)
        let norm = mean.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        if norm > 0 {
            for (k, vector) in categoryVectors.enumerated() {
                guard let c = vector else { continue }
                var dot = 0.0
                for d in 0..<dims { dot += Double(mean[d]) * c[d] }
                affinities[k] = dot / (norm * categoryNorms[k])
            }
        }
        return EmbeddingCache(valid: true, lo: lo, hi: hi, embedding: mean, embeddingHash: PackedFeatureRow.hash(mean), affinities: affinities)
    }
}
