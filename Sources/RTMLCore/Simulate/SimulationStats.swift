/// What a simulated day contains, as `--stats` reports it.
public struct SimulationStats: Equatable, Sendable {
    /// Users simulated (`--users`).
    public var users = 0
    /// Users with at least one session.
    public var activeUsers = 0
    /// Lines written, good and malformed.
    public var events = 0
    /// Good lines by event name, re-sends included (so the counts plus
    /// `malformed` add up to `events`).
    public var byEvent: [String: Int] {
        Dictionary(uniqueKeysWithValues: EventKind.allCases.map { ($0.name, kindCounts[Int($0.rawValue)]) })
    }
    public var malformed = 0
    /// Re-sent lines (same `messageId` as an earlier line).
    public var duplicates = 0
    /// Lines delivered 20 minutes or more after their event time.
    public var late = 0
    var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count)

    public init() {}

    @inline(__always)
    mutating func count(_ kind: EventKind) {
        kindCounts[Int(kind.rawValue)] += 1
    }

    /// The counters as `--stats` writes them.
    public func json(date: String, seed: UInt64, elapsedSeconds: Double) -> JSONValue {
        .object([
            ("stage", .string("simulate")),
            ("users", .int(users)),
            ("active_users", .int(activeUsers)),
            ("date", .string(date)),
            ("seed", .uint(seed)),
            ("events", .int(events)),
            ("by_event", .object(EventKind.allCases.map { ($0.name, .int(kindCounts[Int($0.rawValue)])) })),
            ("malformed", .int(malformed)),
            ("duplicates", .int(duplicates)),
            ("late", .int(late)),
            ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("events_per_s", .int(elapsedSeconds > 0 ? Int(Double(events) / elapsedSeconds) : 0)),
        ])
    }

    /// The human summary for stderr.
    public func summary(date: String, elapsedSeconds: Double) -> String {
        let rate = elapsedSeconds > 0 ? Double(events) / elapsedSeconds : 0
        return "simulate: \(Format.count(users)) users (\(Format.count(activeUsers)) active), \(Format.count(events)) events for \(date) "
            + "(\(Format.count(malformed)) malformed, \(Format.count(duplicates)) duplicates, \(Format.count(late)) late) "
            + "in \(Format.seconds(elapsedSeconds)), \(Format.rate(rate)) events/s"
    }
}
