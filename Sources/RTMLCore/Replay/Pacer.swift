import Foundation

/// Settings of `rtml replay pace` (and of the in-process replay's first step).
public struct PaceOptions: Sendable {
    /// Replay time runs this many times faster than the recording; nil: as fast as possible.
    public var speed: Double? = 1
    /// The slice of the recording to replay, by `receivedAt` (epoch ms):
    /// from `from` (default: the first event) for `forMillis`, or until `until`.
    public var from: Int64?
    public var until: Int64?
    public var forMillis: Int64?
    /// Add the replay stamp to each event (docs/replay.md).
    public var stamp = true
    public var maxLineBytes = 1 << 20
    /// Lag beyond which `onLag` is told (at most every `lagReportEvery` seconds).
    public var lagWarningSeconds = 1.0
    public var lagReportEvery = 10.0
    public init() {}
}

/// What pacing did: how many events went out, how close to their schedule.
public struct PaceStats: Sendable {
    public var read = 0
    public var emitted = 0
    /// Lines outside the slice (not emitted).
    public var skipped = 0
    /// Emitted lines without a readable `receivedAt`: sent at the previous event's time.
    public var unpaced = 0
    public var firstReceivedAt: Int64?
    public var lastReceivedAt: Int64?
    /// The slice's start on the recording's clock (the replay's time 0).
    public var originReceivedAt: Int64?
    /// Wall clock (µs) at the replay's time 0.
    public var startedMicros: Int64 = 0
    public var elapsedSeconds = 0.0
    /// Per event: how late it went out against its schedule (µs).
    public var lag = LatencyRecorder()
    /// Events more than 10 ms behind their schedule.
    public var behind = 0
    /// Events emitted in each tenth of a second of the replay.
    public var emittedPerTenth: [Int] = []
    public var speed: Double?

    public init() {}

    /// The recording's span of the emitted events divided by the speed.
    public var scheduledSeconds: Double {
        guard let speed, let first = originReceivedAt, let last = lastReceivedAt else { return 0 }
        return Double(last - first) / 1000 / speed
    }

    public var json: JSONValue {
        .object([
            ("stage", .string("replay pace")), ("read", .int(read)), ("emitted", .int(emitted)),
            ("skipped", .int(skipped)), ("unpaced", .int(unpaced)),
            ("speed", speed.map { .double($0) } ?? .string("as-fast-as-possible")),
            ("from", originReceivedAt.map { .string(EventTime.formatRFC3339($0)) } ?? .null),
            ("to", lastReceivedAt.map { .string(EventTime.formatRFC3339($0)) } ?? .null),
            ("scheduled_s", .double((scheduledSeconds * 1000).rounded() / 1000)),
            ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("behind", .int(behind)), ("lag", lag.json),
        ])
    }

    public var summary: String {
        var text = "replay pace: \(Format.count(emitted)) events emitted of \(Format.count(read)) read (\(Format.count(skipped)) outside the slice, \(Format.count(unpaced)) without receivedAt)"
        if let speed {
            text += String(format: "\n  speed %g: scheduled %.3f s, took %.3f s; lag p99 %.3f ms, max %.3f ms; %@ events more than 10 ms behind",
                           speed, scheduledSeconds, elapsedSeconds, Double(lag.percentile(99)) / 1000,
                           Double(lag.max) / 1000, Format.count(behind))
        } else {
            text += String(format: "\n  as fast as possible: %.3f s, %@ events/s", elapsedSeconds,
                           Format.count(Int(Double(emitted) / max(elapsedSeconds, 1e-9))))
        }
        return text
    }
}

/// Writes a recorded day's events at their recorded pace (by `receivedAt`,
/// scaled by the speed), stamping each with its emission (`ReplayStamp`).
///
/// The schedule is absolute: event i goes out at start + (receivedAt_i −
/// origin) / speed on the monotonic clock, with the output flushed before each
/// wait, so errors do not accumulate over a long replay. An event that cannot
/// go out on time (the next stage has stopped reading, so the pipe is full) goes
/// as soon as it can: that is lag, measured per event and reported.
public final class Pacer {
    public private(set) var stats = PaceStats()
    /// Told the current lag (seconds) when the pipeline falls behind.
    public var onLag: ((Double, Int64) -> Void)?

    private let options: PaceOptions
    private let output: OutputWriter
    /// Where the paced events go.
    public var outputWriter: OutputWriter { output }
    private var line: [UInt8] = []
    private var clock = ReplayStamp.Clock()
    private struct Stop: Error {}

    public init(options: PaceOptions, output: OutputWriter) {
        self.options = options
        self.output = output
        stats.speed = options.speed
    }

    /// Paces every input in order, then flushes (the caller closes the output).
    public func run(_ sources: [InputSource]) throws {
        let startNanos = Monotonic.nanoseconds()
        stats.startedMicros = ReplayStamp.nowMicros()
        var lastTargetNanos = startNanos
        var lastWarning = -Double.infinity
        var sliceEnd: Int64? = options.until
        var origin: Int64? = options.from
        if let from = options.from, let length = options.forMillis { sliceEnd = from + length }
        let key: StaticString = "\"receivedAt\":\""
        do {
            for source in sources {
                let reader = LineReader(source: source, maxLineBytes: options.maxLineBytes)
                try reader.forEachLine { input in
                    stats.read += 1
                    let received = Self.receivedAt(input.bytes, key: key)
                    if let received {
                        if stats.firstReceivedAt == nil { stats.firstReceivedAt = received }
                        if origin == nil {
                            origin = received
                            if let length = options.forMillis, sliceEnd == nil { sliceEnd = received + length }
                        }
                        if received < origin! { stats.skipped += 1; return }
                        if let end = sliceEnd, received >= end { throw Stop() }
                    } else if stats.emitted == 0 {
                        // Before the slice has begun, an unreadable line belongs to no time.
                        if origin != nil { stats.skipped += 1; return }
                    }
                    var target = lastTargetNanos
                    if let speed = options.speed {
                        if let received {
                            let offset = Double(received - origin!) / speed * 1e6
                            target = max(lastTargetNanos, startNanos + UInt64(max(0, offset)))
                        } else {
                            stats.unpaced += 1
                        }
                        if target > Monotonic.nanoseconds() {
                            try output.flush()
                            Self.sleep(until: target)
                        }
                        let now = Monotonic.nanoseconds()
                        let lagNanos = now > target ? now - target : 0
                        stats.lag.record(microseconds: lagNanos / 1000)
                        if lagNanos > 10_000_000 { stats.behind += 1 }
                        let lagSeconds = Double(lagNanos) / 1e9
                        let elapsed = Double(now - startNanos) / 1e9
                        if lagSeconds >= options.lagWarningSeconds, elapsed - lastWarning >= options.lagReportEvery {
                            lastWarning = elapsed
                            onLag?(lagSeconds, received ?? stats.lastReceivedAt ?? 0)
                        }
                    } else if received == nil {
                        stats.unpaced += 1
                    }
                    lastTargetNanos = target
                    if let received { stats.lastReceivedAt = max(stats.lastReceivedAt ?? received, received) }
                    stats.emitted += 1
                    line.removeAll(keepingCapacity: true)
                    if options.stamp {
                        ReplayStamp.stamp(input.bytes, seq: stats.emitted, micros: ReplayStamp.nowMicros(), into: &line, clock: &clock)
                    } else {
                        line.append(contentsOf: input.bytes)
                    }
                    line.append(0x0A)
                    try output.write(line)
                    let tenth = Int((Monotonic.nanoseconds() - startNanos) / 100_000_000)
                    if tenth >= stats.emittedPerTenth.count {
                        stats.emittedPerTenth.append(contentsOf: repeatElement(0, count: tenth - stats.emittedPerTenth.count + 1))
                    }
                    stats.emittedPerTenth[tenth] += 1
                }
            }
        } catch is Stop {
            stats.read -= 1  // the line past the slice was looked at, not taken
        }
        try output.flush()
        stats.originReceivedAt = origin
        stats.elapsedSeconds = Double(Monotonic.nanoseconds() - startNanos) / 1e9
    }

    /// The `receivedAt` of a raw event line (RFC 3339), if it has a readable one.
    @inline(__always)
    static func receivedAt(_ line: UnsafeRawBufferPointer, key: StaticString) -> Int64? {
        guard let at = ReplayStamp.find(key, in: line) else { return nil }
        let from = at + key.utf8CodeUnitCount
        var close = from
        while close < line.count, line[close] != UInt8(ascii: "\""), close - from < 40 { close += 1 }
        guard close < line.count, line[close] == UInt8(ascii: "\"") else { return nil }
        guard case .success(let millis) = EventTime.parseRFC3339(UnsafeRawBufferPointer(rebasing: line[from..<close])) else { return nil }
        return millis
    }

    static func sleep(until nanos: UInt64) {
        var spec = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}
