/// Sliding event-time windows as Spark's `window(col, window, slide, startTime)`
/// makes them: half-open `[start, start + window)`, starts at
/// `offset + k·slide` for every integer k (epoch-aligned).
public struct SlidingWindows: Sendable, Equatable {
    public let windowMillis: Int64
    public let slideMillis: Int64
    /// The offset reduced to `[0, slide)`: the same set of starts, no overflow.
    public let offsetMillis: Int64

    public init(windowMillis: Int64, slideMillis: Int64, offsetMillis: Int64 = 0) {
        precondition(windowMillis > 0 && slideMillis > 0, "window and slide must be positive")
        self.windowMillis = windowMillis
        self.slideMillis = slideMillis
        self.offsetMillis = Self.floorMod(offsetMillis, slideMillis)
    }

    public init(_ config: FeatureConfig) {
        self.init(windowMillis: config.windowMillis, slideMillis: config.slideMillis, offsetMillis: config.windowOffsetMillis)
    }

    /// The largest window start at or before `t` (floor division, so it is
    /// also right for times before the epoch).
    @inline(__always)
    public func latestStart(_ t: Int64) -> Int64 {
        offsetMillis &+ Self.floorDiv(t &- offsetMillis, slideMillis) &* slideMillis
    }

    /// End of the latest window that can contain `t`. The event is late when
    /// this end is at or behind the watermark: every window holding it is final.
    @inline(__always)
    public func latestEnd(_ t: Int64) -> Int64 {
        latestStart(t) &+ windowMillis
    }

    /// Starts of every window that contains `t` (`start <= t < start + window`), latest first.
    /// With a window shorter than the slide an instant can fall in no window.
    public func starts(containing t: Int64) -> [Int64] {
        var result: [Int64] = []
        var s = latestStart(t)
        while s > t &- windowMillis {
            result.append(s)
            s &-= slideMillis
        }
        return result
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}

/// Int64 arithmetic that sticks at the ends instead of trapping: the
/// watermark starts at `Int64.min` and `flushAll` moves it to `Int64.max`.
enum Saturating {
    @inline(__always)
    static func sub(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b > 0 ? .min : .max) : r
    }

    @inline(__always)
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : r
    }
}
