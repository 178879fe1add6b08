import Foundation

/// The end of a replayed pipeline: reads predictions as they become
/// available and measures, for each, the time from its triggering event's
/// emission (the `ReplayStamp`) to now.
///
/// Keeps every prediction's time and latency (12 bytes each) for the charts,
/// the HdrHistogram of all latencies for the percentiles, and, when asked,
/// what each prediction recommended, for `ReplayQuality`.
public final class ReplayMeasure {
    /// One prediction on the replay's clock.
    public struct Point: Sendable {
        /// When it was read, in ms since the replay's origin.
        public var atMillis: Int32
        public var latencyMicros: UInt32
        /// The triggering event's emission number.
        public var seq: Int32
    }

    /// What one prediction recommended, for the quality table.
    public struct Served: Sendable {
        public var jobId: String
        public var userId: String
        public var eventTime: Int64
        public var items: [String]
    }

    public private(set) var latency = LatencyRecorder()
    public private(set) var points: [Point] = []
    public private(set) var served: [Served] = []
    /// Prediction lines read, and those without a replay stamp (not measured).
    public private(set) var predictions = 0
    public private(set) var unstamped = 0
    public private(set) var malformed = 0
    /// Wall-clock microseconds of time 0 on the charts: the replay's start
    /// when known, else the first stamp seen.
    public var originMicros: Int64?
    private let collect: Bool
    private var scanner = JSONScanner()

    public init(collectServed: Bool, originMicros: Int64? = nil) {
        collect = collectServed
        self.originMicros = originMicros
    }

    /// One prediction line, read at `nowMicros` (wall clock).
    public func accept(_ line: UnsafeRawBufferPointer, nowMicros: Int64 = ReplayStamp.nowMicros()) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        predictions += 1
        if let stamp = ReplayStamp.read(line) {
            let origin = originMicros ?? stamp.micros
            if originMicros == nil { originMicros = origin }
            let us = UInt64(max(0, nowMicros - stamp.micros))
            latency.record(microseconds: us)
            points.append(Point(atMillis: Int32(clamping: (nowMicros - origin) / 1000),
                                latencyMicros: UInt32(clamping: us), seq: Int32(clamping: stamp.seq)))
        } else {
            unstamped += 1
        }
        if collect {
            if let one = parse(line) { served.append(one) } else { malformed += 1 }
        }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer) -> Served? {
        guard (try? scanner.scan(bytes)) == .object else { return nil }
        let members = scanner.members
        func string(_ key: StaticString) -> String? {
            guard let k = JSONScanner.firstIndex(of: key, in: members, bytes: bytes), members[k].kind == .string else { return nil }
            return JSONString.decodeValue(of: members[k], in: bytes)
        }
        guard let jobId = string("jobId"), let userId = string("userId"), let timeText = string("eventTime"),
              case .success(let time) = EventTime.parseRFC3339(timeText),
              let k = JSONScanner.firstIndex(of: "items", in: members, bytes: bytes), members[k].kind == .array
        else { return nil }
        // Our own push line: each item is {"contentId":"…","score":…}.
        let key: StaticString = "\"contentId\":\""
        var items: [String] = []
        var from = members[k].valueStart
        let end = members[k].valueEnd
        while from < end, let hit = ReplayStamp.search(bytes, from: from, to: end, key) {
            let start = hit + key.utf8CodeUnitCount
            var close = start
            while close < end, bytes[close] != UInt8(ascii: "\"") {
                close += bytes[close] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard close < end else { break }
            items.append(JSONString.decode(bytes, from: start - 1, to: close + 1))
            from = close + 1
        }
        return Served(jobId: jobId, userId: userId, eventTime: time, items: items)
    }
}
