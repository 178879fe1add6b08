import Histogram

/// Per-job latencies in microseconds (1 µs to 1 hour, 3 significant
/// digits: HdrHistogram's fixed-size buckets, so recording is O(1) and
/// memory constant however many jobs are served).
public struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

    public init() {}

    public mutating func record(microseconds: UInt64) {
        histogram.record(Swift.min(Swift.max(microseconds, 1), 3_600_000_000))
    }

    public var count: UInt64 { histogram.totalCount }

    /// Adds another recorder's values (a store set's shard servers).
    public mutating func add(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    /// The value at a percentile (0–100), in microseconds; 0 when empty.
    public func percentile(_ p: Double) -> UInt64 {
        count == 0 ? 0 : histogram.valueAtPercentile(p)
    }

    public var max: UInt64 { count == 0 ? 0 : histogram.max }
    public var mean: Double { count == 0 ? 0 : histogram.mean }

    /// `{"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..,"mean_us":..}`
    public var json: JSONValue {
        .object([
            ("count", .uint(count)),
            ("p50_us", .uint(percentile(50))), ("p90_us", .uint(percentile(90))),
            ("p99_us", .uint(percentile(99))), ("p999_us", .uint(percentile(99.9))),
            ("max_us", .uint(max)), ("mean_us", .double((mean * 10).rounded() / 10)),
        ])
    }

    /// `p50 0.12 ms, p90 ..., p99 ..., max ...`
    public var summary: String {
        func ms(_ us: UInt64) -> String { String(format: "%.3f", Double(us) / 1000) }
        return "p50 \(ms(percentile(50))) ms, p90 \(ms(percentile(90))) ms, p99 \(ms(percentile(99))) ms, max \(ms(max)) ms"
    }
}
